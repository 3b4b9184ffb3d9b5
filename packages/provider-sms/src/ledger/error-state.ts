// Which ledger state an error leaves a notification in (docs/design.md §10).
import type { SmsError, SmsErrorCode, SmsLedgerState } from '../errors.js';

/** Codes about the recipient or the message: retrying the same notification cannot help. */
export const REJECTING_CODES: ReadonlySet<SmsErrorCode> = new Set<SmsErrorCode>([
  'invalid_recipient',
  'recipient_unreachable',
  'recipient_opted_out',
  'invalid_message',
  'invalid_template',
]);

/**
 * The state `error` leaves: recipient/message codes and a created message that failed (201 `failed`) →
 * 'rejected'; outcome unknown, and MSG91's 311 'duplicate' (an identical request reached MSG91) → 'unknown';
 * every other certainly-not-sent error → 'deferred'.
 */
export function ledgerStateForError(error: SmsError): Exclude<SmsLedgerState, 'claimed' | 'accepted'> {
  if (error.outcome === 'unknown' || error.code === 'duplicate') return 'unknown';
  if (REJECTING_CODES.has(error.code) || error.messageId !== undefined) return 'rejected';
  return 'deferred';
}

/** Codes a legacy row (no outcome stored) may have been sent with: its derived state is 'unknown'. */
const LEGACY_UNKNOWN_CODES: readonly SmsErrorCode[] = [
  'timeout',
  'provider_unavailable',
  'network',
  'aborted',
  'unknown',
  'duplicate',
];

const sqlList = (codes: Iterable<SmsErrorCode>) => [...codes].map((c) => `'${c}'`).join(', ');

/** SQL deriving the state of a legacy `notification_dispatch_log` row from its `status` and `error_code`. */
export const LEGACY_STATE_SQL = `CASE
  WHEN status <> 'failed' THEN 'accepted'
  WHEN message_id IS NOT NULL OR error_code IN (${sqlList(REJECTING_CODES)}) THEN 'rejected'
  WHEN error_code IS NULL OR error_code IN (${sqlList(LEGACY_UNKNOWN_CODES)}) THEN 'unknown'
  ELSE 'deferred' END`;
