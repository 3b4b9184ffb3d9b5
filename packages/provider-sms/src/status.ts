import type { SmsStatus } from './types.js';

/** Every message status, in Twilio's vocabulary (the runtime list of `SmsStatus`). */
export const SMS_STATUSES: readonly SmsStatus[] = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'canceled',
  'read',
  'partially_delivered',
];

const KNOWN = new Set<string>(SMS_STATUSES);

/** True for a string that is a known `SmsStatus`. */
export function isSmsStatus(value: unknown): value is SmsStatus {
  return typeof value === 'string' && KNOWN.has(value);
}
