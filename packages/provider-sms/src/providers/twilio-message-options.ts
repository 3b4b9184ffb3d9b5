import { MESSAGING_SERVICE_SID_RE } from '../config/schemas.js';
import { SmsError } from '../errors.js';
import { TWILIO_SEND_AT_WINDOW_MS } from '../message-limits.js';
import { checkSendAtWindow, sendAtEpochSeconds } from '../send-at.js';
import type { SmsMessage } from '../types.js';

/**
 * The Message-create parameters of `validityPeriodSec` (`ValidityPeriod`) and `sendAt` (`ScheduleType=fixed`,
 * `SendAt`); a schedule Twilio would not honour (no Messaging Service, outside 15 min – 35 days) → `invalid_message`.
 */
export function twilioMessageOptions(
  message: SmsMessage,
  from: string,
  now = Date.now(),
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (message.validityPeriodSec !== undefined) params.validityPeriod = message.validityPeriodSec;
  if (message.sendAt === undefined) return params;
  if (!MESSAGING_SERVICE_SID_RE.test(from)) {
    // Twilio drops the scheduling parameters without a Messaging Service and sends at once.
    throw new SmsError({
      code: 'invalid_message',
      provider: 'twilio',
      message:
        'message.sendAt needs a Messaging Service sender (config.fromNumber MG…): from a phone number or alphanumeric sender Twilio would send at once',
    });
  }
  const seconds = sendAtEpochSeconds(message.sendAt);
  checkSendAtWindow(seconds * 1000, now, TWILIO_SEND_AT_WINDOW_MS, 'twilio', '15 minutes to 35 days ahead');
  params.scheduleType = 'fixed';
  // ISO 8601 in UTC to the second, as Twilio documents it ("2026-12-24T09:00:00Z").
  params.sendAt = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  return params;
}
