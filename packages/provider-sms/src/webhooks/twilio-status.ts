import { attemptIdFromUrl } from '../attempt-id.js';
import { isSmsStatus } from '../status.js';
import {
  malformedWebhook,
  type SmsStatusEvent,
  twilioDeliveryErrorCode,
  unauthenticatedWebhook,
} from './status.js';
import { validateTwilioSignature } from './twilio-signature.js';
import { fromFetchRequest, type WebhookRequest } from './webhook-request.js';

/** Options of `parseTwilioStatusCallback`. */
export interface TwilioStatusCallbackOptions {
  /** The auth token of the account that sent the message (the tenant's). */
  authToken: string;
  /** The full public URL Twilio called, incl. query string (what was sent as StatusCallback); default `request.url`. */
  url?: string;
  /** When given, the payload's AccountSid must equal it (the tenant config's accountSid). */
  expectedAccountSid?: string;
  /** Clock for `at` when the payload carries no delivery date; default `() => new Date()`. */
  now?: () => Date;
}

const SID_RE = /^[A-Za-z]{2}[0-9a-fA-F]{32}$/;

/** Reads `RawDlrDoneDate` (carrier delivery time, YYMMDDhhmm, UTC) into a Date. */
function parseDlrDate(value: string | null): Date | undefined {
  const m = value ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, yy, mo, dd, hh, mi, ss] = m.map(Number) as number[];
  const d = new Date(Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mi!, ss || 0));
  return Number.isNaN(d.getTime()) || d.getUTCMonth() !== mo! - 1 ? undefined : d;
}

/** Reads a form-encoded body; `null` when the content type is not a form. */
export async function readFormBody(
  request: Pick<WebhookRequest, 'header' | 'text'>,
): Promise<URLSearchParams | null> {
  const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return null;
  return new URLSearchParams(await request.text());
}

/** Verifies (X-Twilio-Signature, AccountSid) and normalizes one Twilio status callback; throws SmsError 403 / 400. */
export async function parseTwilioStatusCallback(
  request: Request,
  options: TwilioStatusCallbackOptions,
): Promise<SmsStatusEvent> {
  const signature = request.headers.get('x-twilio-signature');
  if (!signature) throw unauthenticatedWebhook('twilio', 'Twilio status callback without X-Twilio-Signature');
  if (request.method !== 'POST') throw malformedWebhook('twilio', 'Twilio status callback must be a POST');
  const params = await readFormBody(fromFetchRequest(request));
  if (!params)
    throw malformedWebhook('twilio', 'Twilio status callback must be application/x-www-form-urlencoded');
  return twilioStatusEventFromForm(params, signature, { ...options, url: options.url ?? request.url });
}

/** The synchronous core of `parseTwilioStatusCallback`, for an already-read form body and signature header (`sameQueryAs`: a parsed URL with `url`'s query, not parsed again). */
export function twilioStatusEventFromForm(
  params: URLSearchParams,
  signature: string | null | undefined,
  options: TwilioStatusCallbackOptions & { url: string; sameQueryAs?: URL | undefined },
): SmsStatusEvent {
  if (!signature) throw unauthenticatedWebhook('twilio', 'Twilio status callback without X-Twilio-Signature');
  if (!validateTwilioSignature(options.authToken, signature, options.url, params)) {
    // Never name the token or the expected signature.
    throw unauthenticatedWebhook('twilio', 'Twilio status callback signature does not match');
  }
  const accountSid = params.get('AccountSid');
  if (options.expectedAccountSid !== undefined && accountSid !== options.expectedAccountSid) {
    throw unauthenticatedWebhook(
      'twilio',
      'Twilio status callback AccountSid does not match the configured account',
    );
  }
  const messageId = params.get('MessageSid') ?? params.get('SmsSid') ?? '';
  if (!SID_RE.test(messageId))
    throw malformedWebhook('twilio', 'Twilio status callback without a valid MessageSid');
  const status = params.get('MessageStatus') ?? params.get('SmsStatus') ?? '';
  if (!isSmsStatus(status))
    throw malformedWebhook('twilio', 'Twilio status callback with an unknown MessageStatus');
  const to = params.get('To') ?? '';
  if (!to) throw malformedWebhook('twilio', 'Twilio status callback without To');

  const raw: Record<string, unknown> = {};
  for (const [k, v] of params) raw[k] = v;
  const event: SmsStatusEvent = {
    provider: 'twilio',
    messageId,
    status,
    to,
    at: parseDlrDate(params.get('RawDlrDoneDate')) ?? (options.now ?? (() => new Date()))(),
    raw,
  };
  const from = params.get('From');
  if (from) event.from = from;
  // The query is part of the signed URL: an attempt id read from it was signed by the account's token.
  const attemptId = attemptIdFromUrl(options.sameQueryAs ?? options.url);
  if (attemptId) event.attemptId = attemptId;
  const errorCode = params.get('ErrorCode')?.trim();
  if (errorCode) {
    event.errorCode = /^\d+$/.test(errorCode) ? Number(errorCode) : errorCode;
    event.code = twilioDeliveryErrorCode(errorCode);
  } else if (status === 'failed' || status === 'undelivered') {
    event.code = 'unknown';
  }
  return event;
}
