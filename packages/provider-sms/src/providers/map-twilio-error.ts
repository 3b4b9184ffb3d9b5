import {
  isSmsError,
  redactSecrets,
  SmsError,
  type SmsErrorCode,
  type SmsOutcome,
  sanitizeCause,
} from '../errors.js';
import { twilioErrorCode } from './twilio-error-codes.js';
import type { TwilioCallContext } from './twilio-http-client.js';

/** A failure Twilio reported: HTTP status and/or Twilio error code. */
export interface TwilioFailure {
  httpStatus?: number | undefined;
  code?: number | string | null | undefined;
  message?: string | null | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** Maps a Twilio failure to an `SmsError` by the §5 table (5xx first, then the code, then 401/429/4xx). */
export function twilioFailureToSmsError(
  f: TwilioFailure,
  secrets: readonly (string | undefined)[] = [],
): SmsError {
  const status = f.httpStatus;
  const n = typeof f.code === 'number' ? f.code : Number(f.code);
  const code = Number.isFinite(n) && n > 0 ? n : undefined;
  // A code the table does not know (or maps to 'unknown') falls through to the HTTP status.
  const mapped = code !== undefined ? twilioErrorCode(code) : undefined;
  let smsCode: SmsErrorCode = 'unknown';
  let outcome: SmsOutcome | undefined;
  if (status !== undefined && status >= 500) smsCode = 'provider_unavailable';
  else if (mapped !== undefined && mapped !== 'unknown') smsCode = mapped;
  else if (status === 401) smsCode = 'authentication_failed';
  else if (status === 429) smsCode = 'rate_limited';
  else if (status !== undefined && status >= 400) outcome = 'not_sent';
  const what = [status !== undefined ? `HTTP ${status}` : '', code !== undefined ? `error ${code}` : '']
    .filter(Boolean)
    .join(', ');
  const detail = typeof f.message === 'string' && f.message.trim() ? f.message : 'request failed';
  const cause = sanitizeCause(f.cause, secrets);
  return new SmsError({
    code: smsCode,
    message: redactSecrets(`Twilio ${what ? `(${what}) ` : ''}${detail}`, secrets),
    provider: 'twilio',
    ...(code !== undefined ? { providerCode: code } : {}),
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(outcome ? { outcome } : {}),
    ...(smsCode === 'rate_limited' && f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
    ...(cause ? { cause } : {}),
  });
}

/** True for an SDK HTTP error: `twilio.RestException` or `TwilioServiceException` (an HTTP `status`, maybe a `code`). */
export function isTwilioHttpError(
  err: unknown,
): err is { status: number; code?: unknown; message?: unknown } {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599;
}

/** Maps anything a Twilio SDK call threw to an `SmsError`; transport `SmsError`s pass through unchanged. */
export function mapTwilioError(
  err: unknown,
  ctx: Pick<TwilioCallContext, 'httpStatus' | 'retryAfterMs'> = {},
  secrets: readonly (string | undefined)[] = [],
): SmsError {
  if (isSmsError(err)) return err;
  if (isTwilioHttpError(err)) {
    return twilioFailureToSmsError(
      {
        httpStatus: err.status,
        code: err.code as TwilioFailure['code'],
        message: typeof err.message === 'string' ? err.message : undefined,
        retryAfterMs: ctx.retryAfterMs,
        cause: err,
      },
      secrets,
    );
  }
  // A raw error (unreadable body, SDK bug): it may have happened after Twilio accepted the message.
  const cause = sanitizeCause(err, secrets);
  const name = cause?.name ?? 'Error';
  return new SmsError({
    code: 'unknown',
    provider: 'twilio',
    message: `Twilio call failed unexpectedly${ctx.httpStatus !== undefined ? ` (HTTP ${ctx.httpStatus})` : ''}: ${name}`,
    outcome: 'unknown',
    ...(ctx.httpStatus !== undefined ? { httpStatus: ctx.httpStatus } : {}),
    ...(cause ? { cause } : {}),
  });
}
