import { onAbort } from './abort-relay.js';
import { checkDurationMs } from './duration.js';
import { SmsError, sanitizeCause } from './errors.js';
import { type HttpResponse, ReadResponse } from './http-response.js';
import { type HttpTarget, httpTarget, startRequest } from './http-target.js';
import type { SmsProviderName } from './types.js';

/** Default per-request timeout of both providers. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export { type HttpResponse, headerRecord } from './http-response.js';

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

/** The transport options both providers take, checked. */
export interface TransportOptions {
  /** Base URL without a trailing slash (a path prefix is kept). */
  baseUrl: string;
  timeoutMs: number;
}

/**
 * Checks a provider's `apiBaseUrl` (absolute http(s), no credentials, query or fragment) and `timeoutMs`
 * (1 ms to 2^31 − 1 ms, `setTimeout`'s limit), or throws `SmsError('invalid_config')` naming the option.
 */
export function parseTransportOptions(
  provider: SmsProviderName,
  options: { apiBaseUrl?: unknown; timeoutMs?: unknown } | undefined,
  defaultBaseUrl: string,
): TransportOptions {
  const invalid = (field: string, why: string) =>
    new SmsError({ code: 'invalid_config', provider, message: `Invalid options: options.${field} ${why}` });
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new SmsError({ code: 'invalid_config', provider, message: 'Invalid options: must be an object' });
  }
  const raw = options?.apiBaseUrl ?? defaultBaseUrl;
  if (typeof raw !== 'string' || !URL.canParse(raw))
    throw invalid('apiBaseUrl', 'must be an absolute http(s) URL');
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('apiBaseUrl', 'must be an absolute http(s) URL');
  }
  if (url.username || url.password) throw invalid('apiBaseUrl', 'must not contain credentials');
  if (url.search || url.hash) throw invalid('apiBaseUrl', 'must not contain a query or fragment');
  const timeoutMs = checkDurationMs(options?.timeoutMs ?? DEFAULT_TIMEOUT_MS, {
    option: 'options.timeoutMs',
    owner: 'Invalid options',
    provider,
    min: 1,
  });
  return { baseUrl: url.href.replace(/\/+$/, ''), timeoutMs };
}

/** Finds the system error code of a transport failure (on the error, or on a nested `cause`). */
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
  ctx: {
    provider: SmsProviderName;
    secrets: readonly (string | undefined)[];
    timedOut: boolean;
    callerAborted: boolean;
    started: boolean;
  },
): SmsError {
  const cause = sanitizeCause(err, ctx.secrets);
  const base = { provider: ctx.provider, ...(cause ? { cause } : {}) };
  if (ctx.callerAborted) {
    return new SmsError({
      ...base,
      code: 'aborted',
      message: ctx.started
        ? 'The request was aborted by the caller after it was sent'
        : 'The request was aborted before it was sent',
      outcome: ctx.started ? 'unknown' : 'not_sent',
    });
  }
  if (ctx.timedOut) {
    return new SmsError({ ...base, code: 'timeout', message: `The ${ctx.provider} request timed out` });
  }
  const code = transportErrorCode(err);
  if (code === 'ERR_RESPONSE_TOO_LARGE') {
    return new SmsError({
      ...base,
      code: 'provider_unavailable',
      message: `The ${ctx.provider} response was too large`,
    });
  }
  // Nothing is written before the connection is up (TCP connect, or the TLS handshake for https), so
  // any failure before that is certainly not sent, whatever its code; any failure after it may have been.
  if (!ctx.started) {
    return new SmsError({
      ...base,
      code: 'network',
      message: `Could not connect to ${ctx.provider}${code ? ` (${code})` : ''}`,
      outcome: 'not_sent',
    });
  }
  return new SmsError({
    ...base,
    code: 'network',
    message: `The connection to ${ctx.provider} failed after the request was sent${code ? ` (${code})` : ''}`,
    outcome: 'unknown',
  });
}

/** Largest response body read (bytes); a larger one is cut off and reported as `provider_unavailable`. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends one request over a shared keep-alive pool, with a timeout and the caller's signal, both of which
 * cancel the HTTP request (the socket is destroyed). Failures before the connection was established are
 * `network` / `not_sent`; once the request may have left, `timeout`, `network` or `aborted` / `unknown`.
 * Any HTTP status resolves.
 */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const ctx = {
    provider: req.provider,
    secrets: req.secrets,
    timedOut: false,
    callerAborted: false,
    started: false,
  };
  if (req.signal?.aborted)
    return Promise.reject(transportError(req.signal.reason, { ...ctx, callerAborted: true }));
  let target: HttpTarget;
  try {
    target = httpTarget(req.url);
  } catch {
    return Promise.reject(
      transportError(Object.assign(new Error('Invalid URL'), { code: 'ERR_INVALID_URL' }), ctx),
    );
  }
  const { body } = req;
  const headers: Record<string, string> = { ...req.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body, 'utf8'));

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      offAbort?.();
      if (res) resolve(res);
      else reject(transportError(err, ctx));
    };
    let request: import('node:http').ClientRequest;
    try {
      request = startRequest(target, req.method, headers);
    } catch (err) {
      // Synchronous rejections (e.g. a header value with a control character): nothing left, and
      // no timer or listener is registered yet.
      settled = true;
      reject(transportError(err, ctx));
      return;
    }
    const timer = setTimeout(() => {
      // Before the connection was up, nothing left: a connect timeout is a plain network failure.
      ctx.timedOut = ctx.started;
      const err = ctx.started
        ? new Error('timeout')
        : Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
      request.destroy(err);
      finish(err);
    }, req.timeoutMs);
    const offAbort = req.signal
      ? onAbort(req.signal, () => {
          ctx.callerAborted = true;
          request.destroy(new Error('aborted'));
          finish(req.signal?.reason);
        })
      : undefined;

    request.on('socket', (socket) => {
      const { secure } = target;
      const markStarted = () => {
        ctx.started = true;
      };
      // A reused keep-alive socket is already connected: the request leaves at once.
      if (!socket.connecting && (!secure || (socket as { encrypted?: boolean }).encrypted)) markStarted();
      else socket.once(secure ? 'secureConnect' : 'connect', markStarted);
    });
    request.on('error', (err) => finish(err));
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          res.destroy();
          request.destroy();
          finish(
            Object.assign(new Error(`response body over ${MAX_RESPONSE_BYTES} bytes`), {
              code: 'ERR_RESPONSE_TOO_LARGE',
            }),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(err));
      res.on('aborted', () => finish(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        if (!res.complete) {
          finish(Object.assign(new Error('response incomplete'), { code: 'ECONNRESET' }));
          return;
        }
        // Most answers arrive in one chunk: decode it without copying it first.
        const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))?.toString('utf8') ?? '';
        finish(undefined, new ReadResponse(res.statusCode ?? 0, res.headers, text));
      });
    });
    if (body === undefined) request.end();
    else request.end(body, 'utf8');
  });
}

/** The `basic` Authorization header value for a user and password. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
