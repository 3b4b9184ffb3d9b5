import { redactSecrets, SmsError, type SmsErrorCode } from '../errors.js';
import { isSmsStatus } from '../status.js';
import type { SmsStatus } from '../types.js';
import { twilioErrorCode } from './twilio-error-codes.js';

/** The part of the SDK's message resource the provider reads. */
export interface TwilioCreatedMessage {
  sid?: string;
  status?: string;
  numSegments?: string | number | null;
  errorCode?: number | string | null;
  errorMessage?: string | null;
}

/** Statuses of a message Twilio created but will not send. */
const FAILED_STATUSES: ReadonlySet<string> = new Set<SmsStatus>(['failed', 'undelivered', 'canceled']);

/**
 * Checks a message Twilio answered a create with (HTTP 2xx): returns the `SmsError` to throw, or undefined
 * when it is a success. A `failed`/`undelivered`/`canceled` status is certainly not sent and not retried
 * (code from the error table when an `error_code` came, else `unknown`); an `error_code` on any other status
 * may still be sent (`unknown` outcome); a missing SID or an unrecognised status may have been sent. Every
 * error about a created message carries its SID as `messageId`.
 */
export function createdTwilioMessageError(
  msg: TwilioCreatedMessage,
  httpStatus: number | undefined,
  secrets: readonly (string | undefined)[] = [],
): SmsError | undefined {
  const messageId = typeof msg.sid === 'string' && msg.sid ? msg.sid : undefined;
  const noCode = msg.errorCode === null || msg.errorCode === undefined || String(msg.errorCode).trim() === '';
  // The common case first, before any error detail is built: a SID and a live status, no error code.
  if (noCode && messageId !== undefined && isSmsStatus(msg.status) && !FAILED_STATUSES.has(msg.status))
    return undefined;
  const base = {
    provider: 'twilio' as const,
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    ...(messageId !== undefined ? { messageId } : {}),
  };
  const hasCode = !noCode;
  const failed = typeof msg.status === 'string' && FAILED_STATUSES.has(msg.status);
  if (hasCode || failed) {
    const n = Number(msg.errorCode);
    const providerCode = hasCode ? (Number.isInteger(n) && n > 0 ? n : String(msg.errorCode)) : undefined;
    const code: SmsErrorCode = (hasCode ? twilioErrorCode(msg.errorCode) : undefined) ?? 'unknown';
    const detail =
      typeof msg.errorMessage === 'string' && msg.errorMessage.trim() ? `: ${msg.errorMessage}` : '';
    const what = [`status ${String(msg.status ?? 'missing')}`, hasCode ? `error ${providerCode}` : '']
      .filter(Boolean)
      .join(', ');
    return new SmsError({
      ...base,
      code,
      message: redactSecrets(
        `Twilio created message ${messageId ?? '(no SID)'} but it failed (${what})${detail}`,
        secrets,
      ),
      ...(providerCode !== undefined ? { providerCode } : {}),
      // Failed at creation: certainly not sent. An error code on a live status: it may still go out.
      outcome: failed ? 'not_sent' : 'unknown',
      retryable: false,
    });
  }
  if (messageId === undefined) {
    return new SmsError({
      ...base,
      code: 'unknown',
      outcome: 'unknown',
      message: 'Twilio accepted the request but its response carried no message SID',
    });
  }
  if (!isSmsStatus(msg.status)) {
    // Accepted (a SID came back), but in a shape we cannot trust: it may well have been sent.
    return new SmsError({
      ...base,
      code: 'unknown',
      outcome: 'unknown',
      message: `Twilio accepted message ${messageId} but answered an unrecognised status`,
    });
  }
  return undefined;
}
