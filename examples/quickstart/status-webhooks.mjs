// Delivery statuses in one file: a status webhook server, a tenant whose Twilio sends carry a StatusCallback
// URL under it, and the events as they arrive (the Twilio emulator signs and posts them, as Twilio does).
// Run: pnpm --filter @leadmetrics/provider-sms-example-quickstart webhooks
import { createServer } from 'node:http';
import {
  createConfigCipher,
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsProviderResolver,
  createSmsSender,
  createStatusWebhookHandler,
  generateConfigKey,
  Msg91Provider,
  migrate,
  openDatabase,
  parseKeyRing,
  toNodeListener,
} from '@leadmetrics/provider-sms';
import { startMsg91Emulator, startTwilioEmulator } from '@leadmetrics/provider-sms/testing';

const twilio = await startTwilioEmulator(); // fires signed status callbacks by itself
const msg91 = await startMsg91Emulator();
const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
await migrate(database.db);
const store = createPostgresConfigStore(database.db);
const cipher = createConfigCipher(
  parseKeyRing(process.env.PROVIDER_CONFIG_KEYS || `k1:${generateConfigKey()}`),
);

// The webhook routes: POST <base>/twilio/:tenantId (signed with that tenant's auth token) and
// POST <base>/msg91/:secret (MSG91 reports). Mount it before any body parser. Behind a proxy, set
// publicBaseUrl to the public origin + prefix: the signature covers the URL Twilio called.
/** @type {(event: import('@leadmetrics/provider-sms').SmsStatusEvent) => void} */
let delivered = () => {};
const done = new Promise((resolve) => {
  delivered = resolve;
});
const handler = createStatusWebhookHandler({
  store,
  cipher,
  onEvent: (e) => {
    console.log('status', e.tenantId, e.messageId, e.status);
    if (e.status === 'delivered' || e.status === 'undelivered' || e.status === 'failed') delivered(e);
  },
});
const server = createServer(toNodeListener(handler));
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
const hooks = `http://127.0.0.1:${port}/hooks/sms`;

try {
  const platformDefault = new Msg91Provider(
    { authKey: msg91.authKey, templateId: msg91.templateId },
    { apiBaseUrl: msg91.url },
  );
  const twilioOptions = { apiBaseUrl: twilio.url };
  // Tenant providers send StatusCallback = `${hooks}/twilio/<tenantId>`.
  const statusCallbackBaseUrl = `${hooks}/twilio`;
  const resolver = createSmsProviderResolver({
    store,
    cipher,
    platformDefault,
    twilioOptions,
    statusCallbackBaseUrl,
  });
  const service = createSmsConfigService({ store, cipher, resolver, twilioOptions });
  await service.saveTwilioConfig('tenant-42', {
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    fromNumber: '+15005550006',
  });

  const sender = createSmsSender({ resolver });
  const { result } = await sender.send('tenant-42', { to: '+14155552671', body: 'Your order shipped' });
  console.log('sent', result.provider, result.messageId, result.status);
  await done; // sent, then delivered: in order, verified, de-duplicated
} finally {
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  await database.close();
  await Promise.all([twilio.close(), msg91.close()]);
}
