import type { SmsProviderName } from './types.js';

/** Every failure the package reports, as a stable machine-readable code (docs/design.md §5). */
export type SmsErrorCode =
  | 'invalid_recipient'
  | 'recipient_unreachable'
  | 'recipient_opted_out'
  | 'permission_denied'
  | 'invalid_sender'
  | 'sender_queue_full'
  | 'invalid_message'
  | 'invalid_template'
  | 'authentication_failed'
  | 'insufficient_balance'
  | 'duplicate'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'timeout'
  | 'network'
  | 'aborted'
  | 'invalid_config'
  | 'carrier_rejected'
  | 'in_progress'
  | 'idempotency_conflict'
  | 'unknown';

/** 'not_sent': certainly not sent. 'unknown': it may have been sent (timeout, 5xx after the POST left). */
export type SmsOutcome = 'not_sent' | 'unknown';

/** One attempt of a send, as `createSmsSender` reports it: a resolve or a provider call. */
export interface SmsAttempt {
  stage: 'resolve' | 'send';
  /** Absent for resolve attempts. */
  provider?: SmsProviderName;
  /** Absent when the attempt succeeded. */
  code?: SmsErrorCode;
  outcome?: SmsOutcome;
  durationMs: number;
  /** True for the send through the platform default after a failover. */
  failover?: boolean;
  /** True when the circuit was open and the provider was not called. */
  circuitOpen?: boolean;
  /** True when pacing refused the message (`sender_queue_full`) and the provider was not called. */
  paced?: boolean;
}

/** Constructor options of `SmsError`; `retryable` and `outcome` default from the code. */
export interface SmsErrorOptions {
  code: SmsErrorCode;
  message: string;
  provider?: SmsProviderName;
  providerCode?: string | number;
  httpStatus?: number;
  retryable?: boolean;
  outcome?: SmsOutcome;
  retryAfterMs?: number;
  /** The provider's id of the message it created, when the error is about a created message (201 failed, error_code). */
  messageId?: string;
  /** The ledger state the notification is left in (set by the dispatcher, docs/design.md §10). */
  ledgerState?: SmsLedgerState;
  cause?: unknown;
  attempts?: SmsAttempt[];
}

/** States of a notification in the dispatch ledger (docs/design.md §10). */
export type SmsLedgerState = 'claimed' | 'accepted' | 'rejected' | 'deferred' | 'unknown';

/** All error codes, e.g. for exhaustive tests and docs. */
export const SMS_ERROR_CODES: readonly SmsErrorCode[] = [
  'invalid_recipient',
  'recipient_unreachable',
  'recipient_opted_out',
  'permission_denied',
  'invalid_sender',
  'sender_queue_full',
  'invalid_message',
  'invalid_template',
  'authentication_failed',
  'insufficient_balance',
  'duplicate',
  'rate_limited',
  'provider_unavailable',
  'timeout',
  'network',
  'aborted',
  'invalid_config',
  'carrier_rejected',
  'in_progress',
  'idempotency_conflict',
  'unknown',
];

const DEFAULTS: Record<SmsErrorCode, { outcome: SmsOutcome; retryable: boolean }> = {
  invalid_recipient: { outcome: 'not_sent', retryable: false },
  recipient_unreachable: { outcome: 'not_sent', retryable: false },
  recipient_opted_out: { outcome: 'not_sent', retryable: false },
  permission_denied: { outcome: 'not_sent', retryable: false },
  invalid_sender: { outcome: 'not_sent', retryable: false },
  sender_queue_full: { outcome: 'not_sent', retryable: true },
  invalid_message: { outcome: 'not_sent', retryable: false },
  invalid_template: { outcome: 'not_sent', retryable: false },
  authentication_failed: { outcome: 'not_sent', retryable: false },
  insufficient_balance: { outcome: 'not_sent', retryable: false },
  duplicate: { outcome: 'not_sent', retryable: false },
  rate_limited: { outcome: 'not_sent', retryable: true },
  provider_unavailable: { outcome: 'unknown', retryable: false },
  timeout: { outcome: 'unknown', retryable: false },
  network: { outcome: 'not_sent', retryable: true },
  aborted: { outcome: 'not_sent', retryable: false },
  invalid_config: { outcome: 'not_sent', retryable: false },
  carrier_rejected: { outcome: 'not_sent', retryable: false },
  // Ledger (docs/design.md §10): another worker holds a live claim; by this call certainly not sent.
  in_progress: { outcome: 'not_sent', retryable: true },
  // Ledger: the same notification id with a different message; a caller bug, nothing sent.
  idempotency_conflict: { outcome: 'not_sent', retryable: false },
  unknown: { outcome: 'unknown', retryable: false },
};

const BRAND = Symbol.for('@leadmetrics/provider-sms/SmsError');

/** A cause reduced to what is safe to keep: name, message and a code, never a request, header or client. */
export interface SanitizedCause {
  name: string;
  message: string;
  code?: string | number;
}

const SECRET_PATTERNS: RegExp[] = [
  /(authorization["']?\s*[:=]\s*["']?)(basic|bearer)\s+[A-Za-z0-9+/=._~-]+/gi,
  /\b(basic|bearer)\s+[A-Za-z0-9+/=]{12,}/gi,
  /([?&](?:authkey|auth_key|token|password|key)=)[^&\s"']+/gi,
  /(authkey["']?\s*[:=]\s*["']?)[^\s"',}&[]+/gi,
  /(\/\/)[^/\s:@]*:[^/\s@]+@/g, // user:password@, and :password@ (Redis URLs have no user)
];

/** Removes known secrets and anything shaped like a credential (Basic/Bearer headers, authkey=…, user:pass@) from text. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  }
  for (const re of SECRET_PATTERNS) {
    out = out.replace(re, (_m, prefix: string) =>
      prefix && !/^(basic|bearer)$/i.test(prefix) ? `${prefix}[REDACTED]` : '[REDACTED]',
    );
  }
  return out;
}

/** Turns anything thrown into a `SanitizedCause` with secrets redacted; drops every other property. */
export function sanitizeCause(
  cause: unknown,
  secrets: readonly (string | undefined)[] = [],
): SanitizedCause | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (isSmsError(cause)) {
    return { name: 'SmsError', message: redactSecrets(cause.message, secrets), code: cause.code };
  }
  if (typeof cause === 'object') {
    const c = cause as { name?: unknown; message?: unknown; code?: unknown };
    const out: SanitizedCause = {
      name: typeof c.name === 'string' ? c.name : 'Error',
      message: redactSecrets(typeof c.message === 'string' ? c.message : String(cause), secrets),
    };
    if (typeof c.code === 'string' || typeof c.code === 'number') out.code = c.code;
    return out;
  }
  return { name: 'Error', message: redactSecrets(String(cause), secrets) };
}

/** The one error type of the package: a stable `code`, `retryable`, and whether it may have been sent (`outcome`). */
export class SmsError extends Error {
  readonly code: SmsErrorCode;
  readonly provider?: SmsProviderName;
  readonly providerCode?: string | number;
  readonly httpStatus?: number;
  readonly retryable: boolean;
  readonly outcome: SmsOutcome;
  readonly retryAfterMs?: number;
  /** Set when the provider created the message this error is about (e.g. a 201 with status `failed`). */
  readonly messageId?: string;
  /** Set by the dispatcher: the ledger state the notification is left in. */
  readonly ledgerState?: SmsLedgerState;
  /** Set by `createSmsSender`: every attempt made before giving up. */
  attempts?: SmsAttempt[];
  declare readonly cause?: SanitizedCause;

  constructor(options: SmsErrorOptions) {
    const cause = sanitizeCause(options.cause);
    super(redactSecrets(options.message), cause ? { cause } : undefined);
    this.name = 'SmsError';
    this.code = options.code;
    const d = DEFAULTS[options.code] ?? DEFAULTS.unknown;
    this.outcome = options.outcome ?? d.outcome;
    // Never retry what may have been sent.
    this.retryable = this.outcome === 'not_sent' && (options.retryable ?? d.retryable);
    if (options.provider !== undefined) this.provider = options.provider;
    if (options.providerCode !== undefined) this.providerCode = options.providerCode;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.messageId !== undefined) this.messageId = options.messageId;
    if (options.ledgerState !== undefined) this.ledgerState = options.ledgerState;
    if (options.attempts !== undefined) this.attempts = options.attempts;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A copy of this error with some fields replaced (the original, possibly shared, is never mutated). */
  with(changes: Partial<Omit<SmsErrorOptions, 'code' | 'message'>>): SmsError {
    const own: SmsErrorOptions = { code: this.code, message: this.message, outcome: this.outcome };
    own.retryable = this.retryable;
    if (this.provider !== undefined) own.provider = this.provider;
    if (this.providerCode !== undefined) own.providerCode = this.providerCode;
    if (this.httpStatus !== undefined) own.httpStatus = this.httpStatus;
    if (this.retryAfterMs !== undefined) own.retryAfterMs = this.retryAfterMs;
    if (this.messageId !== undefined) own.messageId = this.messageId;
    if (this.ledgerState !== undefined) own.ledgerState = this.ledgerState;
    if (this.cause !== undefined) own.cause = this.cause;
    if (this.attempts !== undefined) own.attempts = this.attempts.map((a) => ({ ...a }));
    return new SmsError({ ...own, ...changes });
  }

  /** A log-safe plain object. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      providerCode: this.providerCode,
      httpStatus: this.httpStatus,
      retryable: this.retryable,
      outcome: this.outcome,
      retryAfterMs: this.retryAfterMs,
      messageId: this.messageId,
      ledgerState: this.ledgerState,
      attempts: this.attempts,
      cause: this.cause,
    };
  }
}

/** True for an `SmsError`, also one thrown by another copy of this package. */
export function isSmsError(e: unknown): e is SmsError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
