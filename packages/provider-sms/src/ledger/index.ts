// `@leadmetrics/provider-sms/ledger`: the dispatch ledger and dispatcher on their own page. Every name is also
// exported by the root entry (this entry re-exports it, so the two are the same objects and cost the same to import). `SmsError` and
// `isSmsError` are here because a dispatch's failures are read through them (`err.ledgerState`, `err.retryAfterMs`).
export type {
  MessageFingerprint,
  SmsDispatchEvent,
  SmsDispatcher,
  SmsDispatcherOptions,
  SmsDispatchInput,
  SmsDispatchResult,
  SmsLedger,
  SmsLedgerAttempt,
  SmsLedgerEntry,
  SmsLedgerError,
  SmsLedgerEvidenceKey,
  SmsLedgerLease,
  SmsLedgerOptions,
  SmsLedgerResult,
  SmsLedgerState,
  SmsLedgerStatusEvent,
  SmsReconcileOutcome,
  SmsReconcileReason,
  SmsReconciler,
  SmsReconcilerOptions,
  SmsStatusApplyOptions,
  SmsStatusApplyOutcome,
  SmsStatusApplyResult,
} from '../index.js';
export {
  createSmsDispatcher,
  createSmsLedger,
  createSmsReconciler,
  DEFAULT_LEDGER_RETENTION_DAYS,
  isSmsError,
  ledgerStateForError,
  MAX_NOTIFICATION_ID_LENGTH,
  migrate,
  SmsError,
} from '../index.js';
