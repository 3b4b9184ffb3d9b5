import { SmsError } from '../errors.js';
import type { TwilioCreatedMessage } from './map-twilio-message.js';

/** The part of the SDK client this provider uses. */
export interface SdkClient {
  messages: {
    create(params: Record<string, unknown>): Promise<TwilioCreatedMessage>;
    page(params: Record<string, unknown>): Promise<SdkPage>;
  };
  api: { v2010: { accounts(sid: string): { fetch(): Promise<unknown> } } };
}

/** A page of the SDK's list: its instances and the next page (undefined after the last). */
export interface SdkPage {
  instances: Array<Record<string, unknown>>;
  nextPage(): Promise<SdkPage> | undefined;
}

export type SdkFactory = (accountSid: string, authToken: string, opts: Record<string, unknown>) => SdkClient;

let sdk: Promise<SdkFactory> | undefined;

type SdkClass = new (accountSid: string, authToken: string, opts: Record<string, unknown>) => SdkClient;

/**
 * Loads the SDK's REST client class on first use, through the module's default export (named ESM imports
 * break). `twilio/lib/rest/Twilio.js` is what `twilio()` constructs, without the webhooks, JWT and TwiML
 * modules the package root also loads (≈ 40 ms of its ≈ 200 ms); `twilio` is pinned to an exact version.
 */
export function loadSdk(): Promise<SdkFactory> {
  sdk ??= import('twilio/lib/rest/Twilio.js').then(
    (m) => {
      const Twilio = ((m as { default?: unknown }).default ?? m) as SdkClass;
      return (accountSid, authToken, opts) => new Twilio(accountSid, authToken, opts);
    },
    (err: unknown) => {
      sdk = undefined;
      throw new SmsError({
        code: 'unknown',
        provider: 'twilio',
        outcome: 'not_sent',
        message: 'Could not load the twilio SDK',
        cause: err,
      });
    },
  );
  return sdk;
}
