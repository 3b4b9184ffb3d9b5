import type { SmsErrorCode } from '../errors.js';

/** One Twilio error code (twilio.com/docs/api/errors/<code>) and the `SmsErrorCode` it maps to. */
export interface TwilioErrorCodeRow {
  readonly code: number;
  readonly smsCode: SmsErrorCode;
  /** Twilio's meaning, shortened. */
  readonly meaning: string;
}

const row = (code: number, smsCode: SmsErrorCode, meaning: string): TwilioErrorCodeRow =>
  Object.freeze({ code, smsCode, meaning });

/**
 * Twilio's error codes the package knows, API errors (2xxxx, 14xxx: the create request was refused) and
 * delivery failures (30xxx: on a created message or a status callback), one row per code (docs/design.md §5).
 * A code not listed maps conservatively (see `twilioErrorCode`): Twilio keeps splitting broad codes.
 */
export const TWILIO_ERROR_CODE_TABLE: readonly TwilioErrorCodeRow[] = Object.freeze([
  row(14107, 'rate_limited', 'SMS send rate limit exceeded (over 30 messages between the same pair in 30 s)'),
  row(20003, 'authentication_failed', 'Authentication failed (wrong Account SID or auth token)'),
  row(20429, 'rate_limited', 'Too many requests'),
  row(21210, 'invalid_sender', "'From' phone number not verified"),
  row(21211, 'invalid_recipient', "Invalid 'To' phone number"),
  row(21212, 'invalid_sender', "Invalid 'From' phone number"),
  row(21408, 'permission_denied', 'Permission to send an SMS has not been enabled for the region'),
  row(21602, 'invalid_message', 'Message body is required'),
  row(21606, 'invalid_sender', "The 'From' phone number is not a valid, SMS-capable number for this account"),
  row(21609, 'invalid_config', 'Invalid StatusCallback URL'),
  row(21610, 'recipient_opted_out', 'Attempt to send to an unsubscribed recipient (replied STOP)'),
  row(21611, 'sender_queue_full', "This 'From' number has exceeded the maximum number of queued messages"),
  row(21612, 'recipient_unreachable', "The 'To' phone number is not currently reachable via SMS"),
  row(21614, 'invalid_recipient', "'To' number is not a valid mobile number"),
  row(21617, 'invalid_message', 'The concatenated message body exceeds the 1600 character limit'),
  row(21624, 'invalid_message', 'Invalid validity period value (ValidityPeriod: 1–36 000 s)'),
  row(30001, 'sender_queue_full', 'Queue overflow: too many messages queued for the sender'),
  row(30002, 'permission_denied', 'Account suspended'),
  row(30003, 'recipient_unreachable', 'Unreachable destination handset'),
  row(30004, 'carrier_rejected', 'Message blocked'),
  row(30005, 'invalid_recipient', 'Unknown destination handset'),
  row(30006, 'invalid_recipient', 'Landline or unreachable carrier'),
  row(30007, 'carrier_rejected', 'Message filtered by the carrier'),
  row(30008, 'unknown', 'Unknown error'),
  row(30022, 'rate_limited', 'US A2P 10DLC: rate limits exceeded'),
  row(30023, 'rate_limited', 'US A2P 10DLC: daily message cap reached'),
  row(30032, 'invalid_sender', 'Toll-free number has not been verified'),
  row(30034, 'invalid_sender', 'US A2P 10DLC: message from an unregistered number'),
  row(30036, 'sender_queue_full', 'Validity period expired (the message stayed queued too long)'),
  row(30450, 'permission_denied', 'Message delivery blocked: SMS pumping protection flagged the request'),
  row(
    30453,
    'permission_denied',
    'Message could not be delivered: destination temporarily blocked by SMS pumping protection',
  ),
  row(35111, 'invalid_message', "SendAt is missing: it is required when ScheduleType is 'fixed'"),
  row(
    35114,
    'invalid_message',
    'Scheduling does not support this timestamp (SendAt 15 minutes to 35 days ahead)',
  ),
  row(35118, 'invalid_message', 'A MessagingServiceSid is required to schedule a message'),
]);

/** Twilio error codes and the `SmsErrorCode` each maps to, as a lookup (built from `TWILIO_ERROR_CODE_TABLE`). */
export const TWILIO_ERROR_CODES: Readonly<Record<number, SmsErrorCode>> = Object.freeze(
  Object.fromEntries(TWILIO_ERROR_CODE_TABLE.map((r) => [r.code, r.smsCode])),
);

/** The `SmsErrorCode` of a Twilio error code (number or numeric string), or undefined when it is not in the table. */
export function twilioErrorCode(code: number | string | null | undefined): SmsErrorCode | undefined {
  const n = typeof code === 'number' ? code : Number(String(code ?? '').trim());
  if (!Number.isInteger(n) || n <= 0 || !Object.hasOwn(TWILIO_ERROR_CODES, n)) return undefined;
  return TWILIO_ERROR_CODES[n];
}
