import { SmsError, sanitizeCause } from './errors.js';
import type { SmsProviderName } from './types.js';

/** Default per-request timeout of both providers. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** One HTTP request made by a provider. */
export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  provider: SmsProviderName;
  /** Values that must never appear in an error (tokens, keys, Basic headers). */
  secrets: readonly (string | undefined)[];
}

/** A response read in full. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

// Connection-stage failures: the request never left this machine, so nothing can have been sent.
const BEFORE_SEND_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Finds the system/undici error code in a fetch failure (it sits on `cause`, sometimes nested). */
export function transportErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_INVALID_ARG_TYPE') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length) e = errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Maps a failure of the transport (no HTTP status) to `network`, `timeout` or `aborted`. */
export function transportError(
  err: unknown,
  ctx: { provider: SmsProviderName; secrets: readonly (string | undefined)[]; timedOut: boolean; callerAborted: boolean; started: boolean },
): SmsError {
  const cause = sanitizeCause(err, ctx.secrets);
  const base = { provider: ctx.provider, ...(cause ? { cause } : {}) };
  if (ctx.callerAborted) {
    return new SmsError({
      ...base,
      code: 'aborted',
      message: ctx.started ? 'The request was aborted by the caller after it was sent' : 'The request was aborted before it was sent',
      outcome: ctx.started ? 'unknown' : 'not_sent',
    });
  }
  if (ctx.timedOut) {
    return new SmsError({ ...base, code: 'timeout', message: `The ${ctx.provider} request timed out` });
  }
  const code = transportErrorCode(err);
  if (code && BEFORE_SEND_CODES.has(code)) {
    return new SmsError({ ...base, code: 'network', message: `Could not connect to ${ctx.provider} (${code})`, outcome: 'not_sent' });
  }
  return new SmsError({
    ...base,
    code: 'network',
    message: `The connection to ${ctx.provider} failed after the request was sent${code ? ` (${code})` : ''}`,
    outcome: 'unknown',
  });
}

/**
 * Sends one request with Node's fetch (one shared connection pool), a timeout and the caller's signal,
 * both of which cancel the HTTP request. Transport failures become `SmsError`s; any HTTP status resolves.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const ctx = { provider: req.provider, secrets: req.secrets, timedOut: false, callerAborted: false, started: false };
  if (req.signal?.aborted) throw transportError(req.signal.reason, { ...ctx, callerAborted: true });
  const controller = new AbortController();
  const timer = setTimeout(() => {
    ctx.timedOut = true;
    controller.abort(new Error('timeout'));
  }, req.timeoutMs);
  const onAbort = () => {
    ctx.callerAborted = true;
    controller.abort(req.signal?.reason);
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    ctx.started = true;
    const res = await fetch(req.url, {
      method: req.method,
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: controller.signal,
      redirect: 'manual',
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  } catch (err) {
    throw transportError(err, ctx);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

/** The `basic` Authorization header value for a user and password. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
