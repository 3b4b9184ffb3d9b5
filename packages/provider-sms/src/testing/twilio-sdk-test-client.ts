// Test-only: the real twilio SDK's REST client pointed at a Twilio emulator through the package's http client.
import { createTwilioHttpClient } from '../providers/twilio-http-client.js';
import type { TwilioEmulator } from './twilio-emulator.js';

/** A real `twilio` client (autoRetry off) whose requests go to `tw` over `createTwilioHttpClient`; `T` is the part a test uses. */
export async function twilioSdkClientFor<T>(
  tw: Pick<TwilioEmulator, 'url' | 'accountSid' | 'authToken'>,
): Promise<T> {
  const m = (await import('twilio/lib/rest/Twilio.js')) as { default?: unknown };
  const Twilio = (m.default ?? m) as new (sid: string, token: string, opts: Record<string, unknown>) => T;
  return new Twilio(tw.accountSid, tw.authToken, {
    accountSid: tw.accountSid,
    autoRetry: false,
    httpClient: createTwilioHttpClient({ apiBaseUrl: tw.url, timeoutMs: 5_000 }),
  });
}
