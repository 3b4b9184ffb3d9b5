// Public API of @leadmetrics/provider-sms: exports only, nothing else.

export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.js';
export type {
  ConfigCipher,
  ConfigCipherContext,
  ConfigCipherOptions,
  ConfigDecryptFailure,
  DerivedKey,
} from './config/cipher.js';
export {
  ConfigDecryptError,
  createConfigCipher,
  generateConfigKey,
  isConfigDecryptError,
  parseKeyRing,
} from './config/cipher.js';
export type { DataDirLockHolder } from './config/data-dir-lock.js';
export { DataDirLockedError } from './config/data-dir-lock.js';
// Tenant configs: database, cipher, store, service, platform default
export type { ListenConnection, OpenDatabase, OpenDatabaseOptions, Queryable } from './config/database.js';
export { openDatabase, withTransaction } from './config/database.js';
export type { ChangeListener, ListenForChangesOptions } from './config/listen.js';
export { listenForChanges } from './config/listen.js';
export { createPlatformDefaultFromEnv } from './config/platform-default.js';
// Providers
export type { Msg91Config, TwilioConfig } from './config/schemas.js';
export { parseTwilioConfig } from './config/schemas.js';
export type {
  RedactedTwilioConfig,
  SmsConfigService,
  SmsConfigServiceOptions,
  StoredVerificationError,
  VerificationResult,
} from './config/service.js';
export { createSmsConfigService } from './config/service.js';
export type {
  ConfigChannel,
  ConfigStoreOptions,
  ReencryptResult,
  SmsConfigStore,
  StoredProviderConfig,
} from './config/store.js';
export { CHANGE_CHANNEL, createPostgresConfigStore, reencryptAll } from './config/store.js';
// Dispatch log
export type { DispatchLogEntry, DispatchLogInput, DispatchLogOptions } from './dispatch-log.js';
export { dispatchLogInput, listDispatchLog, migrateDispatchLog, recordDispatch } from './dispatch-log.js';
// Every duration option (…Ms) is at most this: setTimeout's limit
export { MAX_TIMER_MS } from './duration.js';
export type {
  SanitizedCause,
  SmsAttempt,
  SmsErrorCode,
  SmsErrorOptions,
  SmsLedgerState,
  SmsOutcome,
} from './errors.js';
export { isSmsError, redactSecrets, SMS_ERROR_CODES, SmsError } from './errors.js';
// Local checks: numbers, segments, encoding
// Dispatch ledger: each notification sent at most once, its fate known
export type {
  SmsLedgerStatusEvent,
  SmsStatusApplyOptions,
  SmsStatusApplyOutcome,
  SmsStatusApplyResult,
} from './ledger/apply-status.js';
export type {
  SmsDispatchEvent,
  SmsDispatcher,
  SmsDispatcherOptions,
  SmsDispatchInput,
  SmsDispatchResult,
} from './ledger/dispatcher.js';
export { createSmsDispatcher } from './ledger/dispatcher.js';
export { ledgerStateForError } from './ledger/error-state.js';
export type { MessageFingerprint } from './ledger/fingerprint.js';
export type { SmsLedger, SmsLedgerEvidenceKey, SmsLedgerLease, SmsLedgerOptions } from './ledger/ledger.js';
export { createSmsLedger, DEFAULT_LEDGER_RETENTION_DAYS } from './ledger/ledger.js';
export type {
  SmsLedgerAttempt,
  SmsLedgerEntry,
  SmsLedgerError,
  SmsLedgerResult,
} from './ledger/ledger-row.js';
export { MAX_NOTIFICATION_ID_LENGTH } from './ledger/notification-id.js';
export type {
  SmsReconcileOutcome,
  SmsReconcileReason,
  SmsReconciler,
  SmsReconcilerOptions,
} from './ledger/reconciler.js';
export { createSmsReconciler } from './ledger/reconciler.js';
export type { CheckedMessage, SegmentInfo } from './message.js';
export { checkMessage, countSegments, MAX_BODY_LENGTH, normalizeRecipient } from './message.js';
export {
  MAX_REFERENCE_LENGTH,
  MAX_TEMPLATE_ID_LENGTH,
  MAX_TEMPLATE_VARIABLE_LENGTH,
  MAX_TEMPLATE_VARIABLE_NAME_LENGTH,
  MAX_TEMPLATE_VARIABLES,
  TWILIO_SEND_AT_WINDOW_MS,
  TWILIO_VALIDITY_PERIOD,
} from './message-limits.js';
export type { MigrateOptions } from './migrate.js';
export { migrate } from './migrate.js';
// Per-sender pacing (createSmsSender({ pacing }))
export type {
  SmsPacingRequest,
  SmsPacingReservation,
  SmsPacingState,
  SmsPacingStore,
} from './pacing/pacing-store.js';
export type { RedisPacingStoreOptions, SmsPacingRedis } from './pacing/redis-pacing-store.js';
export { createRedisPacingStore } from './pacing/redis-pacing-store.js';
export type { SmsPacingOptions, SmsSenderPacing } from './pacing/send-pacing.js';
export {
  DEFAULT_JITTER_TOLERANCE_MS,
  DEFAULT_MAX_QUEUE_DELAY_MS,
  DEFAULT_PACING_RATES,
} from './pacing/send-pacing.js';
export type { SmsPacedProvider, SmsPacingSender, SmsSenderKind } from './pacing/sender-key.js';
export { MSG91_API_BASE_URL, Msg91Provider } from './providers/msg91.js';
export type { TwilioFailure } from './providers/twilio.js';
export { mapTwilioError, TWILIO_ERROR_CODES, TwilioProvider } from './providers/twilio.js';
export type { TwilioErrorCodeRow } from './providers/twilio-error-codes.js';
export { TWILIO_ERROR_CODE_TABLE } from './providers/twilio-error-codes.js';
export { DEFAULT_TWILIO_API_BASE_URL } from './providers/twilio-http-client.js';
export type { TwilioListedMessage, TwilioListQuery } from './providers/twilio-listed-message.js';
export { redactUrl } from './redact.js';
// Resolver
export type {
  SmsFallbackReason,
  SmsProviderResolution,
  SmsProviderResolver,
  SmsProviderResolverOptions,
  SmsProviderSource,
  TwilioProviderFactory,
} from './resolver.js';
export { createSmsProviderResolver, tenantStatusCallbackUrl } from './resolver.js';
// Dispatch-facing sender: retries, failover, circuit breaker
export type {
  SmsFailoverMode,
  SmsRetryOptions,
  SmsSender,
  SmsSenderEvent,
  SmsSenderOptions,
  SmsSenderResult,
  SmsSenderSendOptions,
} from './sender.js';
export { createSmsSender, DEFAULT_RETRY, FAILOVER_CODES } from './sender.js';
export { snapshotMessage } from './snapshot-message.js';
// Tenant ids
export { assertTenantId, MAX_TENANT_ID_LENGTH } from './tenant-id.js';
// Types and errors
export type {
  Logger,
  ProviderOptions,
  SmsCallOptions,
  SmsEncoding,
  SmsMessage,
  SmsProvider,
  SmsProviderName,
  SmsSendResult,
  SmsStatus,
} from './types.js';
export type {
  FetchHandler,
  NodeListenerOptions,
  StatusWebhookCacheControl,
  StatusWebhookHandler,
  StatusWebhookHandlerOptions,
  StatusWebhookLedger,
  TwilioWebhookAuth,
} from './webhooks/handler.js';
export { createStatusWebhookHandler, toNodeListener } from './webhooks/handler.js';
export type { Msg91DeliveryReportOptions } from './webhooks/msg91-report.js';
export { parseMsg91DeliveryReport } from './webhooks/msg91-report.js';
// Delivery status webhooks
export type { SmsStatusEvent } from './webhooks/status.js';
export {
  isStatusAdvance,
  msg91ReportStatus,
  statusRank,
  twilioDeliveryErrorCode,
} from './webhooks/status.js';
export type { TwilioSignatureParams } from './webhooks/twilio-signature.js';
export { computeTwilioSignature, validateTwilioSignature } from './webhooks/twilio-signature.js';
export type { TwilioStatusCallbackOptions } from './webhooks/twilio-status.js';
export { parseTwilioStatusCallback } from './webhooks/twilio-status.js';
