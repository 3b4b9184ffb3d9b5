/**
 * The Message-create parameters the Twilio emulator checks the way Twilio does (besides To/From, which
 * twilio-emulator.ts handles with the magic numbers): Body or media/content, StatusCallback, MediaUrl,
 * ValidityPeriod and scheduling. Codes and ranges are from Twilio's error pages and
 * shared/reference/twilio.md.
 */

import { TWILIO_SEND_AT_WINDOW_MS, TWILIO_VALIDITY_PERIOD } from '../message-limits.js';

/** A refused parameter: Twilio's error code and message (answered as HTTP 400). */
export interface TwilioParamFailure {
  code: number;
  message: string;
}

/** The checked optional parameters of a Message create. */
export interface TwilioCreateParams {
  body: string;
  mediaUrls: string[];
  contentSid?: string;
  statusCallback?: string;
  validityPeriod?: number;
  /** Set when the message is scheduled (`ScheduleType=fixed`, `SendAt`, a Messaging Service). */
  sendAt?: Date;
}

// The ranges are the library's own (what it checks before sending), so the two never disagree.
export { TWILIO_SEND_AT_WINDOW_MS, TWILIO_VALIDITY_PERIOD };

const MAX_BODY = 1600;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** True for an absolute http(s) URL with a host and no whitespace or raw non-ASCII (what Twilio accepts as a URI). */
export function isHttpUri(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\s\u0000-\u001f\u007f-\uffff]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Checks the optional Message-create parameters of `form`; `viaService` = a MessagingServiceSid was given. */
export function checkCreateParams(
  form: URLSearchParams,
  viaService: boolean,
  now: Date,
): TwilioCreateParams | TwilioParamFailure {
  const body = form.get('Body') ?? '';
  const mediaUrls = form.getAll('MediaUrl');
  const contentSid = form.get('ContentSid') ?? '';
  if (!body && mediaUrls.length === 0 && !contentSid) return fail(21602, 'Message body is required.');
  if (body.length > MAX_BODY)
    return fail(21617, 'The concatenated message body exceeds the 1600 character limit.');
  if (mediaUrls.some((u) => !isHttpUri(u))) return fail(21620, 'Invalid media URL(s).');
  const params: TwilioCreateParams = { body, mediaUrls };
  if (contentSid) params.contentSid = contentSid;

  const statusCallback = form.get('StatusCallback');
  if (statusCallback !== null) {
    if (!isHttpUri(statusCallback)) return fail(21609, 'Invalid StatusCallback url');
    params.statusCallback = statusCallback;
  }

  const validity = form.get('ValidityPeriod');
  if (validity !== null) {
    const n = Number(validity);
    if (!/^\d+$/.test(validity) || n < TWILIO_VALIDITY_PERIOD.min || n > TWILIO_VALIDITY_PERIOD.max)
      return fail(21624, 'Invalid validity period value: an integer from 1 to 36000 seconds.');
    params.validityPeriod = n;
  }

  const schedule = checkSchedule(form, viaService, now);
  if (schedule instanceof Date) params.sendAt = schedule;
  else if (schedule) return schedule;
  return params;
}

/** `ScheduleType` / `SendAt`: the send time, a failure, or undefined when the message is not scheduled. */
function checkSchedule(
  form: URLSearchParams,
  viaService: boolean,
  now: Date,
): Date | TwilioParamFailure | undefined {
  const type = form.get('ScheduleType');
  const sendAt = form.get('SendAt');
  if (type === null) return undefined; // Without ScheduleType, Twilio ignores SendAt.
  if (type !== 'fixed') return fail(35126, "The ScheduleType value provided is not supported: only 'fixed'.");
  if (!sendAt)
    return fail(35111, "SendAt timestamp is missing: it is required when ScheduleType is 'fixed'.");
  if (!viaService) return fail(35118, 'MessagingServiceSid is required to schedule a message.');
  const at = ISO_8601.test(sendAt) ? new Date(sendAt) : undefined;
  const ahead = at ? at.getTime() - now.getTime() : Number.NaN;
  if (!(ahead >= TWILIO_SEND_AT_WINDOW_MS.min && ahead <= TWILIO_SEND_AT_WINDOW_MS.max))
    return fail(
      35114,
      'Scheduling does not support this timestamp: SendAt must be an ISO 8601 time 15 minutes to 35 days ahead.',
    );
  return at;
}

function fail(code: number, message: string): TwilioParamFailure {
  return { code, message };
}

/** True when `checkCreateParams` refused the request. */
export function isParamFailure(r: TwilioCreateParams | TwilioParamFailure): r is TwilioParamFailure {
  return 'code' in r;
}
