import { checkAttemptId } from '../attempt-id.js';
import { type Msg91Config, msg91ConfigSchema, parseConfig } from '../config/schemas.js';
import { isSmsError, redactSecrets, SmsError, type SmsErrorCode } from '../errors.js';
import { type HttpResponse, httpRequest, parseRetryAfter, parseTransportOptions } from '../http.js';
import { checkMessage } from '../message.js';
import { msg91PacingSender, type SmsPacingSender } from '../pacing/sender-key.js';
import { snapshotMessage } from '../snapshot-message.js';
import type {
  Logger,
  ProviderOptions,
  SmsCallOptions,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
} from '../types.js';
import { msg91Schtime } from './msg91-schtime.js';

/** MSG91's API origin, used when `options.apiBaseUrl` is not given. */
export const MSG91_API_BASE_URL = 'https://control.msg91.com';

const PROVIDER = 'msg91' as const;

/** MSG91 error codes (HTTP 200, `type: "error"`) and what they mean in §5 of the design. */
const CODE_MAP: Readonly<Record<string, SmsErrorCode>> = {
  '101': 'invalid_recipient', // missing mobile
  '202': 'invalid_recipient', // invalid mobile number
  '418': 'permission_denied', // IP not whitelisted
  '203': 'invalid_sender', // invalid sender id / DLT mismatch
  '102': 'invalid_message', // missing message / template
  '106': 'authentication_failed', // missing auth key
  '201': 'authentication_failed',
  '207': 'authentication_failed',
  '301': 'insufficient_balance',
  '311': 'duplicate', // same request repeated within 10 s
};

const INVALID_AUTHKEY_RE = /invalid\s*auth\s*key/i;
const INVALID_TEMPLATE_RE =
  /\b(flow|template)[\s_-]*id\b.*\binvalid\b|\binvalid\b.*\b(flow|template)[\s_-]*id\b/i;
const NUMERIC_RE = /^-?\d+(\.\d+)?$/;
const MAX_PROVIDER_TEXT = 200;

interface Msg91Body {
  type?: unknown;
  message?: unknown;
  code?: unknown;
  msg?: unknown;
}

function parseJson(text: string): Msg91Body | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Msg91Body) : undefined;
  } catch {
    return undefined;
  }
}

function isHtml(res: HttpResponse): boolean {
  return /html/i.test(res.headers.get('content-type') ?? '') || /^\s*</.test(res.text);
}

/** A provider-supplied text made safe for an error message: secrets removed, length bounded. */
function safeText(value: unknown, secrets: readonly (string | undefined)[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  if (!s) return undefined;
  const clean = redactSecrets(s, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > MAX_PROVIDER_TEXT ? `${clean.slice(0, MAX_PROVIDER_TEXT)}…` : clean;
}

function codeOf(body: Msg91Body | undefined, secrets: readonly (string | undefined)[]): string | undefined {
  const c = body?.code;
  if (typeof c === 'number' && Number.isFinite(c)) return String(c);
  if (typeof c === 'string' && c.trim()) return safeText(c.trim(), secrets);
  return undefined;
}

function messageOf(body: Msg91Body | undefined): unknown {
  return body?.message ?? body?.msg;
}

/** Maps an MSG91 `type: "error"` answer (any non-5xx, non-429 status) to a §5 code by its code, then by its message. */
function mapErrorAnswer(code: string | undefined, message: string | undefined): SmsErrorCode | undefined {
  if (code && CODE_MAP[code]) return CODE_MAP[code];
  if (message && INVALID_AUTHKEY_RE.test(message)) return 'authentication_failed';
  if (message && INVALID_TEMPLATE_RE.test(message)) return 'invalid_template';
  return undefined;
}

/** Returns the MSG91 request id of a successful Flow API response, or throws the §5 `SmsError` for any other. */
export function readMsg91SendResponse(
  res: HttpResponse,
  secrets: readonly (string | undefined)[] = [],
): string {
  const body = parseJson(res.text);
  const ok = res.status >= 200 && res.status < 300;
  // The common case first: nothing of the answer goes into an error, so nothing needs redacting.
  if (ok && body?.type === 'success' && typeof body.message === 'string' && body.message.trim()) {
    return body.message.trim();
  }
  const code = codeOf(body, secrets);
  const text = safeText(messageOf(body), secrets);
  const providerCode = code ?? text;
  const base = {
    provider: PROVIDER,
    httpStatus: res.status,
    ...(providerCode !== undefined ? { providerCode } : {}),
  };
  const detail = [text, code !== undefined ? `code ${code}` : undefined].filter(Boolean).join(', ');
  const suffix = detail ? `: ${detail}` : '';

  if (ok && body?.type === 'success') {
    // A success without a usable request id (the one with an id returned above).
    throw new SmsError({
      ...base,
      code: 'unknown',
      outcome: 'unknown',
      message: `MSG91 answered success (HTTP ${res.status}) without a request id; the message may have been sent`,
    });
  }
  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    throw new SmsError({
      ...base,
      code: 'rate_limited',
      message: `MSG91 rate limit reached (HTTP 429)${suffix}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (res.status >= 500) {
    throw new SmsError({
      ...base,
      code: 'provider_unavailable',
      message: `MSG91 is unavailable (HTTP ${res.status})${isHtml(res) ? ', HTML error page' : suffix}`,
    });
  }
  if (body?.type === 'error') {
    const mapped = mapErrorAnswer(code, text);
    if (mapped) {
      throw new SmsError({ ...base, code: mapped, message: `MSG91 rejected the message${suffix}` });
    }
    // MSG91 said "error" explicitly: the request was refused, so nothing was sent.
    throw new SmsError({
      ...base,
      code: 'unknown',
      outcome: 'not_sent',
      message: `MSG91 rejected the message with an unmapped error (HTTP ${res.status})${suffix}`,
    });
  }
  if (res.status >= 400) {
    throw new SmsError({
      ...base,
      code: 'unknown',
      outcome: 'not_sent',
      message: `MSG91 rejected the request (HTTP ${res.status})${suffix}`,
    });
  }
  if (isHtml(res)) {
    throw new SmsError({
      ...base,
      code: 'provider_unavailable',
      message: `MSG91 answered an HTML page (HTTP ${res.status}); the message may have been sent`,
    });
  }
  throw new SmsError({
    ...base,
    code: 'unknown',
    outcome: 'unknown',
    message: `MSG91 answered an unexpected body (HTTP ${res.status}); the message may have been sent`,
  });
}

/** Returns the balance of a `balance.php` response, or throws the §5 `SmsError` (bad key → authentication_failed). */
export function readMsg91BalanceResponse(
  res: HttpResponse,
  secrets: readonly (string | undefined)[] = [],
): number {
  const trimmed = res.text.trim();
  const base = { provider: PROVIDER, httpStatus: res.status };
  if (res.status >= 200 && res.status < 300 && NUMERIC_RE.test(trimmed)) return Number(trimmed);
  const body = parseJson(trimmed);
  const code = codeOf(body, secrets);
  const text = body ? safeText(messageOf(body), secrets) : safeText(trimmed, secrets);
  const providerCode = code ?? text;
  const withCode = { ...base, ...(providerCode !== undefined ? { providerCode } : {}) };
  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    throw new SmsError({
      ...withCode,
      code: 'rate_limited',
      message: 'MSG91 rate limit reached (HTTP 429) while checking the balance',
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (res.status >= 500 || (isHtml(res) && res.status < 400)) {
    throw new SmsError({
      ...withCode,
      code: 'provider_unavailable',
      message: `MSG91 is unavailable (HTTP ${res.status}) while checking the balance`,
    });
  }
  const authFailed =
    (res.status >= 200 && res.status < 300) ||
    res.status === 401 ||
    res.status === 403 ||
    INVALID_AUTHKEY_RE.test(trimmed) ||
    (code !== undefined && CODE_MAP[code] === 'authentication_failed');
  if (authFailed) {
    throw new SmsError({
      ...withCode,
      code: 'authentication_failed',
      message: `MSG91 did not accept the auth key (HTTP ${res.status})${text ? `: ${text}` : ''}`,
    });
  }
  throw new SmsError({
    ...withCode,
    code: 'unknown',
    outcome: 'not_sent',
    message: `MSG91 rejected the balance request (HTTP ${res.status})${text ? `: ${text}` : ''}`,
  });
}

/** The platform's default SMS provider: MSG91's Flow API (DLT templates) over the shared HTTP transport. */
export class Msg91Provider implements SmsProvider {
  readonly name = PROVIDER;
  readonly #authKey: string;
  /** Values that must never appear in an error: the key as-is and in both URL encodings. */
  readonly #secrets: readonly string[];
  /** The Flow API URL and the request headers, the same for every send. */
  readonly #flowUrl: string;
  readonly #flowHeaders: Readonly<Record<string, string>>;
  readonly #config: Omit<Msg91Config, 'authKey'>;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  #pacingSender: SmsPacingSender | undefined;

  /** Validates the config and options; throws `SmsError('invalid_config')` naming the bad field. */
  constructor(config: Msg91Config, options: ProviderOptions = {}) {
    const { authKey, ...rest } = parseConfig(msg91ConfigSchema, config, 'config', PROVIDER);
    this.#authKey = authKey;
    const formEncoded = new URLSearchParams({ k: authKey }).toString().slice(2);
    this.#secrets = [...new Set([authKey, encodeURIComponent(authKey), formEncoded])];
    this.#config = rest;
    const transport = parseTransportOptions(PROVIDER, options, MSG91_API_BASE_URL);
    this.#baseUrl = transport.baseUrl;
    this.#timeoutMs = transport.timeoutMs;
    this.#flowUrl = `${this.#baseUrl}/api/v5/flow`;
    this.#flowHeaders = Object.freeze({
      authkey: authKey,
      'content-type': 'application/json',
      accept: 'application/json',
    });
    this.#logger = options?.logger;
  }

  /** The sender pacing counts against: this MSG91 account, keyed by a hash prefix of its auth key (never the key). */
  get pacingSender(): SmsPacingSender {
    this.#pacingSender ??= msg91PacingSender(this.#authKey);
    return this.#pacingSender;
  }

  /**
   * Sends one message through the Flow API; resolves with MSG91's request id as `messageId`, status 'queued'
   * ('scheduled' with `sendAt`). `CRQID` is `options.attemptId` when given (under the dispatcher the caller's
   * `reference` lives on the ledger row), else `message.reference`.
   */
  async send(input: SmsMessage, options: SmsCallOptions = {}): Promise<SmsSendResult> {
    const attemptId = checkAttemptId(options.attemptId, PROVIDER);
    const message = snapshotMessage(input, PROVIDER);
    const checked = await checkMessage(message, PROVIDER);
    const templateId = message.template?.id ?? this.#config.templateId;
    if (!templateId) {
      throw new SmsError({
        code: 'invalid_message',
        provider: PROVIDER,
        message: 'MSG91 needs a template: set message.template.id or config.templateId',
      });
    }
    const variables = message.template?.variables ?? { [this.#config.bodyVariable ?? 'body']: message.body };
    if (Object.hasOwn(variables, 'mobiles')) {
      throw new SmsError({
        code: 'invalid_message',
        provider: PROVIDER,
        message: 'message.template.variables must not contain "mobiles" (it would change the recipient)',
      });
    }
    const payload: Record<string, unknown> = {
      template_id: templateId,
      short_url: this.#config.shortUrl ? '1' : '0',
      recipients: [{ mobiles: checked.to.slice(1), ...variables }],
    };
    const crqid = attemptId ?? message.reference;
    if (crqid !== undefined) payload.CRQID = crqid;
    // validityPeriodSec has no MSG91 equivalent: it stays local (the sender's pacing uses it).
    if (message.sendAt !== undefined) payload.schtime = msg91Schtime(message.sendAt);

    this.#logger?.debug(
      {
        provider: PROVIDER,
        templateId,
        segments: checked.segments,
        encoding: checked.encoding,
        ...(message.reference !== undefined ? { reference: message.reference } : {}),
        ...(attemptId !== undefined ? { attemptId } : {}),
      },
      'msg91 send',
    );
    try {
      const res = await httpRequest({
        url: this.#flowUrl,
        method: 'POST',
        headers: this.#flowHeaders,
        body: JSON.stringify(payload),
        timeoutMs: this.#timeoutMs,
        signal: options.signal,
        provider: PROVIDER,
        secrets: this.#secrets,
      });
      const messageId = readMsg91SendResponse(res, this.#secrets);
      this.#logger?.debug({ provider: PROVIDER, messageId, httpStatus: res.status }, 'msg91 send accepted');
      return {
        messageId,
        provider: PROVIDER,
        status: payload.schtime === undefined ? 'queued' : 'scheduled',
        segments: checked.segments,
        encoding: checked.encoding,
      };
    } catch (err) {
      this.#logFailure('msg91 send failed', err);
      throw err;
    }
  }

  /** Checks the auth key against the balance endpoint; resolves when MSG91 answers a numeric balance. */
  async verify(options: SmsCallOptions = {}): Promise<void> {
    this.#logger?.debug({ provider: PROVIDER }, 'msg91 verify');
    const query = new URLSearchParams({ authkey: this.#authKey, type: '4' });
    try {
      const res = await httpRequest({
        url: `${this.#baseUrl}/api/balance.php?${query.toString()}`,
        method: 'GET',
        headers: { accept: 'application/json, text/plain' },
        timeoutMs: this.#timeoutMs,
        signal: options.signal,
        provider: PROVIDER,
        secrets: this.#secrets,
      });
      const balance = readMsg91BalanceResponse(res, this.#secrets);
      this.#logger?.debug({ provider: PROVIDER, balance }, 'msg91 verify ok');
    } catch (err) {
      this.#logFailure('msg91 verify failed', err);
      throw err;
    }
  }

  #logFailure(msg: string, err: unknown): void {
    if (!this.#logger) return;
    const fields: Record<string, unknown> = { provider: PROVIDER };
    if (isSmsError(err)) {
      fields.code = err.code;
      fields.outcome = err.outcome;
      fields.retryable = err.retryable;
      if (err.httpStatus !== undefined) fields.httpStatus = err.httpStatus;
      if (err.providerCode !== undefined) fields.providerCode = err.providerCode;
    }
    this.#logger.debug(fields, msg);
  }
}
