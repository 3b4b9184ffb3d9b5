import type { EmulatedMessage } from './twilio-emulator.js';

/** The REST API version every emulated Twilio path starts with. */
export const TWILIO_API_VERSION = '2010-04-01';

/** RFC 2822 date as Twilio writes it: "Thu, 30 Jul 2015 20:12:31 +0000". */
export function rfc2822(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/** The path of a message resource, as Twilio's `uri` field gives it. */
export function twilioMessageUri(accountSid: string, sid: string): string {
  return `/${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`;
}

/** A message as Twilio's API answers it (create, fetch and list): snake_case, `date_sent` null until it is sent. */
export function twilioMessageResource(message: EmulatedMessage): Record<string, unknown> {
  const { accountSid, sid } = message;
  // Like a live account: a Messaging Service has not picked a sender yet, so Twilio reports 0 segments.
  const unrouted = message.from === null && (message.status === 'accepted' || message.status === 'scheduled');
  return {
    account_sid: accountSid,
    api_version: TWILIO_API_VERSION,
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: message.sentAt ? rfc2822(message.sentAt) : null,
    date_updated: rfc2822(message.updatedAt ?? message.createdAt),
    direction: 'outbound-api',
    error_code: message.errorCode ?? null,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid ?? null,
    num_media: String(message.mediaUrls?.length ?? 0),
    num_segments: unrouted ? '0' : String(message.segments),
    price: null,
    price_unit: 'USD',
    sid,
    status: message.status,
    subresource_uris: { media: `/${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages/${sid}/Media.json` },
    to: message.to,
    uri: twilioMessageUri(accountSid, sid),
  };
}
