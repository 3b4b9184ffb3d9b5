import { type EmulatorRequest, type EmulatorResponse, jsonResponse } from './core.js';
import type { EmulatedMessage, TwilioTestAccount } from './twilio-emulator.js';
import { listTwilioMessages } from './twilio-message-list.js';
import { rfc2822, TWILIO_API_VERSION, twilioMessageResource } from './twilio-message-resource.js';

const STARTED = new Date();

/** `GET /2010-04-01/Accounts/{sid}.json` of a live account: Twilio's account shape, minimal (never the auth token). */
function accountResource(accountSid: string): Record<string, unknown> {
  const base = `/${TWILIO_API_VERSION}/Accounts/${accountSid}`;
  return {
    date_created: rfc2822(STARTED),
    date_updated: rfc2822(STARTED),
    friendly_name: 'Twilio emulator (live mode)',
    owner_account_sid: accountSid,
    sid: accountSid,
    status: 'active',
    subresource_uris: { messages: `${base}/Messages.json` },
    type: 'Full',
    uri: `${base}.json`,
  };
}

/**
 * The reads a live account answers (test credentials get 403/20008 for them): the account, one message
 * (`…/Messages/{SM}.json`, 404/20404 when it is not this account's) and the message list. Undefined for anything else.
 * `rest` is the path after `/Accounts/{sid}` (undefined for the account itself).
 */
export function handleTwilioLiveRead(
  req: EmulatorRequest,
  account: TwilioTestAccount,
  rest: string | undefined,
  messages: readonly EmulatedMessage[],
  notFound: (path: string) => EmulatorResponse,
): EmulatorResponse | undefined {
  if (req.method !== 'GET') return undefined;
  const q = req.path.indexOf('?');
  const pathname = q === -1 ? req.path : req.path.slice(0, q);
  const search = q === -1 ? '' : req.path.slice(q + 1);
  if (rest === undefined)
    return pathname.endsWith('.json') ? jsonResponse(200, accountResource(account.accountSid)) : undefined;
  if (rest === '/Messages.json')
    return listTwilioMessages(messages, account.accountSid, new URLSearchParams(search));
  const one = /^\/Messages\/(SM[0-9a-fA-F]{32})\.json$/.exec(rest);
  if (!one) return undefined;
  const message = messages.find((m) => m.sid === one[1] && m.accountSid === account.accountSid);
  return message ? jsonResponse(200, twilioMessageResource(message)) : notFound(pathname);
}
