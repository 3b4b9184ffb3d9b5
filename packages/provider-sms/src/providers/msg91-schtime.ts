import { checkSendAtWindow, sendAtEpochSeconds } from '../send-at.js';

/**
 * MSG91's `schtime` for `sendAt`: Unix seconds, rounded up (one of the formats MSG91 documents, and the only
 * one without a time zone to assume). `sendAt` must lie in the future, else `invalid_message`.
 */
export function msg91Schtime(sendAt: Date, now = Date.now()): string {
  const seconds = sendAtEpochSeconds(sendAt);
  checkSendAtWindow(seconds * 1000, now, { min: 1 }, 'msg91', 'in the future');
  return String(seconds);
}
