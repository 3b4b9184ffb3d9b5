// A dispatch service in one file, as the README shows it: the tenant's verified Twilio, else the MSG91
// platform default. It runs against the local emulators (never a real SMS) and an in-memory PGlite, or
// the PostgreSQL server in DATABASE_URL, and closes everything it opened, so the process exits by itself.
// Run: pnpm --filter @leadmetrics/provider-sms-example-quickstart start
import {
  createConfigCipher,
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsProviderResolver,
  createSmsSender,
  generateConfigKey,
  isSmsError,
  listenForChanges,
  Msg91Provider,
  migrate,
  openDatabase,
  parseKeyRing,
} from '@leadmetrics/provider-sms';
import { startMsg91Emulator, startTwilioEmulator } from '@leadmetrics/provider-sms/testing';

// Stand-ins for api.twilio.com and control.msg91.com (real local HTTP servers).
const twilio = await startTwilioEmulator();
const msg91 = await startMsg91Emulator();
const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL }); // unset → in-memory PGlite
const listen = await database.openListenConnection(); // LISTEN needs its own connection, not the pool
try {
  await migrate(database.db);
  const store = createPostgresConfigStore(database.db);
  // PROVIDER_CONFIG_KEYS="k1:<base64 of 32 bytes>" in production; a throwaway key here.
  const cipher = createConfigCipher(
    parseKeyRing(process.env.PROVIDER_CONFIG_KEYS || `k1:${generateConfigKey()}`),
  );
  const platformDefault = new Msg91Provider(
    { authKey: msg91.authKey, templateId: msg91.templateId },
    { apiBaseUrl: msg91.url }, // omit in production: https://control.msg91.com
  );
  const twilioOptions = { apiBaseUrl: twilio.url }; // omit in production: https://api.twilio.com
  const resolver = createSmsProviderResolver({ store, cipher, platformDefault, twilioOptions });
  const changes = await listenForChanges(listen.connection, resolver); // config changes from other replicas

  // Admin side: a tenant brings its own Twilio account; it is used only once verified.
  const service = createSmsConfigService({ store, cipher, resolver, twilioOptions });
  const saved = await service.saveTwilioConfig('tenant-42', {
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    fromNumber: '+15005550006', // the test-credentials sender Twilio (and its emulator) accept
  });
  console.log('tenant-42 Twilio config verified:', saved.verified);

  const sender = createSmsSender({ resolver }); // retries only what certainly was not sent
  for (const tenantId of ['tenant-42', 'tenant-7']) {
    const { result } = await sender.send(tenantId, { to: '+14155552671', body: 'Your code is 4821' });
    console.log(tenantId, '→', result);
  }
  try {
    await sender.send('tenant-42', { to: '+15005550001', body: 'Your code is 4821' }); // Twilio's "invalid number"
  } catch (e) {
    if (!isSmsError(e)) throw e;
    console.log('tenant-42 → SmsError', { code: e.code, outcome: e.outcome, retryable: e.retryable });
  }
  await changes.close();
} finally {
  await listen.close();
  await database.close();
  await Promise.all([twilio.close(), msg91.close()]);
}
