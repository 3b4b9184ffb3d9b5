import { SmsError, type SmsErrorCode } from '../errors.js';
import { twilioErrorCode } from '../providers/twilio-error-codes.js';
import type { SmsProviderName, SmsStatus } from '../types.js';

/** One delivery-status update, normalized from a Twilio status callback or an MSG91 delivery report. */
export interface SmsStatusEvent {
  provider: SmsProviderName;
  /** Twilio MessageSid (SM…) or MSG91 requestId: what `send()` returned as `messageId`. */
  messageId: string;
  status: SmsStatus;
  /** The provider's raw error/status code on a failure: Twilio ErrorCode (30003…), MSG91 report status (2, 9, 16…). */
  errorCode?: string | number;
  /** Delivery-failure code of docs/design.md §5 (second table); set on failed/undelivered events and whenever an error code came. */
  code?: SmsErrorCode;
  /** Recipient in E.164. */
  to: string;
  /** Sender as reported (Twilio `From`, MSG91 `senderId`), when given. */
  from?: string;
  /** When the status happened: MSG91 report date (IST), Twilio `RawDlrDoneDate` when given, else time of receipt. */
  at: Date;
  /** The caller's `reference` (MSG91 CRQID), when reported. */
  reference?: string;
  /**
   * The dispatch ledger's attempt id (`SmsCallOptions.attemptId`), when the event names one: Twilio's `sms_attempt`
   * query parameter of the signed callback URL; MSG91's CRQID when it has an attempt id's shape (then also `reference`).
   */
  attemptId?: string;
  /** Tenant whose callback URL received it (set by the webhook handler for Twilio). */
  tenantId?: string;
  /** The provider's payload as received (no secrets: neither provider puts credentials in it). */
  raw: Record<string, unknown>;
}

// Progress of a message. Final failures rank below `delivered`: carriers do correct an
// `undelivered` into `delivered` later, never the reverse.
const RANK: Record<SmsStatus, number> = {
  accepted: 1,
  scheduled: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  failed: 5,
  undelivered: 5,
  canceled: 5,
  partially_delivered: 6,
  delivered: 7,
  read: 8,
};

/** Rank of a status for monotonic transitions: higher = further along (queued < sent < failed/undelivered < delivered < read). */
export function statusRank(status: SmsStatus): number {
  return RANK[status] ?? 0;
}

/** True when moving from `from` to `to` goes forward (strictly higher rank); `from` undefined = first status seen. */
export function isStatusAdvance(from: SmsStatus | undefined, to: SmsStatus): boolean {
  return from === undefined || statusRank(to) > statusRank(from);
}

/** Maps a Twilio ErrorCode of a status callback to a §5 delivery-failure code by the Twilio error table (30008 and anything unlisted → 'unknown'). */
export function twilioDeliveryErrorCode(errorCode: string | number): SmsErrorCode {
  return twilioErrorCode(errorCode) ?? 'unknown';
}

/** How one MSG91 report status maps: its `SmsStatus` and, for failures, the §5 code. */
export interface Msg91StatusMapping {
  status: SmsStatus;
  code?: SmsErrorCode;
}

const MSG91_STATUSES: Record<string, Msg91StatusMapping> = {
  '1': { status: 'delivered' },
  '2': { status: 'failed', code: 'recipient_unreachable' },
  '9': { status: 'failed', code: 'recipient_opted_out' },
  '16': { status: 'failed', code: 'carrier_rejected' },
  '17': { status: 'failed', code: 'carrier_rejected' },
  '25': { status: 'failed', code: 'carrier_rejected' },
};

/** Maps an MSG91 report status (1 delivered; 2, 9, 16, 17, 25 failed); any other → 'undelivered' with code 'unknown'. */
export function msg91ReportStatus(status: string | number): Msg91StatusMapping {
  return MSG91_STATUSES[String(status).trim()] ?? { status: 'undelivered', code: 'unknown' };
}

// The tenant part of a key: URL-encoded (no ':' inside), '' for the platform's MSG91 account.
const scopeOf = (tenantId: string | undefined) => encodeURIComponent(tenantId ?? '');

/**
 * Idempotency key of an event, `provider:tenant:messageId:to:status`, always within the tenant whose route and token
 * verified it (MSG91 reports: the platform account, tenant ''); MSG91 request ids cover several numbers, hence `to`.
 */
export function statusEventKey(
  event: Pick<SmsStatusEvent, 'provider' | 'tenantId' | 'messageId' | 'to' | 'status'>,
): string {
  return `${statusMessageKey(event)}:${event.status}`;
}

/** Key of the message an event is about, `provider:tenant:messageId:to`: monotonic transitions are tracked per key. */
export function statusMessageKey(
  event: Pick<SmsStatusEvent, 'provider' | 'tenantId' | 'messageId' | 'to'>,
): string {
  return `${event.provider}:${scopeOf(event.tenantId)}:${event.messageId}:${event.to}`;
}

/** Dedupe key of one Twilio callback delivery by its `I-Twilio-Idempotency-Token` (a retry carries the same token), within the tenant. */
export function twilioIdempotencyKey(tenantId: string, token: string): string {
  return `twilio:${scopeOf(tenantId)}:idempotency:${token}`;
}

/** The `SmsError` a webhook parser throws for a body it cannot read (the handler answers 400). */
export function malformedWebhook(provider: SmsProviderName, message: string): SmsError {
  return new SmsError({ code: 'invalid_message', message, provider, httpStatus: 400, outcome: 'not_sent' });
}

/** The `SmsError` a webhook parser throws for a bad signature or secret (the handler answers 403). */
export function unauthenticatedWebhook(provider: SmsProviderName, message: string): SmsError {
  return new SmsError({
    code: 'authentication_failed',
    message,
    provider,
    httpStatus: 403,
    outcome: 'not_sent',
  });
}
