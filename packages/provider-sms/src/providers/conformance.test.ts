import { basicAuth } from '../http.js';
import { startMsg91Emulator, startTwilioEmulator, TWILIO_VALID_FROM } from '../testing/index.js';
import { runProviderConformance } from './conformance.js';
import { Msg91Provider } from './msg91.js';
import { TwilioProvider } from './twilio.js';

runProviderConformance('twilio', async () => {
  const tw = await startTwilioEmulator();
  const config = { accountSid: tw.accountSid, authToken: tw.authToken, fromNumber: TWILIO_VALID_FROM };
  const header = basicAuth(tw.accountSid, tw.authToken);
  return {
    provider: (options) => new TwilioProvider(config, { apiBaseUrl: tw.url, timeoutMs: 5_000, ...options }),
    badCredentials: () =>
      new TwilioProvider({ ...config, authToken: 'f'.repeat(32) }, { apiBaseUrl: tw.url }),
    message: { to: '+14155552671', body: 'Your code is 4821' },
    inject: (fault) => tw.inject(fault),
    sent: () => tw.messages.length,
    received: () => tw.received,
    reset: () => tw.reset(),
    secrets: [tw.authToken, header, header.slice('Basic '.length)],
    close: () => tw.close(),
  };
});

runProviderConformance('msg91', async () => {
  const m = await startMsg91Emulator({ duplicateWindowMs: 0 });
  const config = { authKey: m.authKey, templateId: m.templateId };
  return {
    provider: (options) => new Msg91Provider(config, { apiBaseUrl: m.url, timeoutMs: 5_000, ...options }),
    badCredentials: () => new Msg91Provider({ ...config, authKey: 'wrong-key-0000' }, { apiBaseUrl: m.url }),
    message: { to: '+919876543210', body: 'Your code is 4821' },
    inject: (fault) => m.inject(fault),
    sent: () => m.messages.length,
    received: () => m.received,
    reset: () => m.reset(),
    secrets: [m.authKey],
    close: () => m.close(),
  };
});
