import { isSmsError } from '../errors.js';
import type { SmsStatusEvent } from './status.js';
import type { TwilioWebhookAuth } from './twilio-auth-store.js';
import { twilioStatusEventFromForm } from './twilio-status.js';

/** A verified callback and whether the tenant's current token (not a rotating previous one) signed it. */
export interface VerifiedTwilioCallback {
  event: SmsStatusEvent;
  current: boolean;
}

/** True when two loaded auths verify the same way (account, token, previous token). */
export const sameTwilioAuth = (a: TwilioWebhookAuth, b: TwilioWebhookAuth): boolean =>
  a.authToken === b.authToken && a.accountSid === b.accountSid && a.previousAuthToken === b.previousAuthToken;

/** Verifies a callback with the tenant's current token, then with an unexpired previous one (rotation); throws the current token's error. */
export function verifyTwilioCallback(
  auth: TwilioWebhookAuth,
  params: URLSearchParams,
  signature: string,
  url: string,
  now: () => Date,
  sameQueryAs?: URL,
): VerifiedTwilioCallback {
  const parse = (authToken: string) =>
    twilioStatusEventFromForm(params, signature, {
      authToken,
      expectedAccountSid: auth.accountSid,
      url,
      now,
      sameQueryAs,
    });
  try {
    return { event: parse(auth.authToken), current: true };
  } catch (err) {
    const previous = auth.previousAuthToken;
    const expiresAt = auth.previousAuthTokenExpiresAt;
    const usable = previous !== undefined && expiresAt !== undefined && expiresAt > now();
    if (!usable || !isSmsError(err) || err.httpStatus !== 403) throw err;
    try {
      return { event: parse(previous), current: false };
    } catch {
      throw err;
    }
  }
}
