// The error a ledger row stores (recipient masked), and the SmsError a later dispatch of a settled row throws.
import { SmsError } from '../errors.js';
import { maskPhone } from '../message.js';
import { type LedgerRow, rowAttempts, type SmsLedgerError } from './ledger-row.js';

/** Milliseconds from `now` to `until` (0 when past or absent). */
export const msLeft = (until: Date | undefined, now: Date): number =>
  until === undefined ? 0 : Math.max(0, Math.ceil(until.getTime() - now.getTime()));

/** `error` as a row stores it: its message with the recipient (E.164, and its digits alone) masked. */
export function toStoredError(error: SmsError, recipient: string): SmsLedgerError {
  const masked = maskPhone(recipient) ?? '';
  const message = error.message.split(recipient).join(masked).split(recipient.slice(1)).join(masked);
  return {
    code: error.code,
    outcome: error.outcome,
    message,
    ...(error.provider !== undefined ? { provider: error.provider } : {}),
    ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
    ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
    ...(error.messageId !== undefined ? { messageId: error.messageId } : {}),
  };
}

/**
 * The error a dispatch of a settled row throws: 'rejected' → its stored error; 'unknown' → outcome unknown with
 * `retryAfterMs` = time to the latest attempt's settle deadline (on the database clock); never sends.
 */
export function settledRowError(row: LedgerRow): SmsError {
  const stored = (row.error ?? undefined) as SmsLedgerError | undefined;
  const now = row.db_now as Date;
  if (row.state === 'unknown') {
    const settleBy = rowAttempts(row).reduce<Date | undefined>(
      (max, a) => (max === undefined || a.settleBy > max ? a.settleBy : max),
      undefined,
    );
    const left = msLeft(settleBy, now);
    return new SmsError({
      ...(stored ?? {}),
      code: stored?.code ?? 'unknown',
      message: `Notification ${String(row.notification_id)} may have been sent (${stored?.message ?? String(row.reason ?? 'outcome unknown')}); not sent again`,
      outcome: 'unknown',
      ledgerState: 'unknown',
      ...(left > 0 ? { retryAfterMs: left } : {}),
    });
  }
  return new SmsError({
    ...(stored ?? { code: 'unknown', outcome: 'not_sent', message: 'The notification was not sent' }),
    retryable: false,
    ledgerState: row.state as 'rejected' | 'deferred',
  });
}
