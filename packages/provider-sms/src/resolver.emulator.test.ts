// The seed's integration case, on the wire: real TwilioProvider + the Twilio emulator (a local HTTP server;
// no msw in this file). Runs on PGlite and, with DATABASE_URL, on the real server.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConfigCipher } from './config/cipher.js';
import { createPlatformDefaultFromEnv } from './config/platform-default.js';
import { createSmsConfigService } from './config/service.js';
import { createPostgresConfigStore } from './config/store.js';
import { describeWithDatabases } from './config/test-databases.js';
import { createSmsProviderResolver } from './resolver.js';
import {
  createTwilioTestAccount,
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  type TwilioEmulator,
} from './testing/index.js';
import type { Logger } from './types.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const accountA = createTwilioTestAccount();
const accountB = createTwilioTestAccount();
let twilio: TwilioEmulator;
let msg91: Msg91Emulator;

beforeAll(async () => {
  twilio = await startTwilioEmulator({ accounts: [accountA, accountB], statusCallbacks: false });
  msg91 = await startMsg91Emulator();
});
afterAll(async () => {
  await twilio?.close();
  await msg91?.close();
});

const logs: unknown[] = [];
const logger: Logger = {
  debug: (f, m) => logs.push([f, m]),
  info: (f, m) => logs.push([f, m]),
  warn: (f, m) => logs.push([f, m]),
  error: (f, m) => logs.push([f, m]),
};

describeWithDatabases('tenant Twilio on the wire', (get) => {
  const setup = () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const platformDefault = createPlatformDefaultFromEnv({
      MSG91_AUTH_KEY: msg91.authKey,
      MSG91_TEMPLATE_ID: msg91.templateId,
      MSG91_API_BASE_URL: msg91.url,
    });
    const twilioOptions = { apiBaseUrl: twilio.url, timeoutMs: 5_000 };
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      twilioOptions,
      logger,
      statusCallbackBaseUrl: 'https://hooks.example.com/sms/status',
    });
    const service = createSmsConfigService({ store, cipher, resolver, twilioOptions, logger });
    return { store, resolver, service };
  };

  it("tenant Twilio used when verified: the request carries that tenant's Account SID, token and From", async () => {
    const { resolver, service } = setup();
    const [ta, tb] = [
      `tenant-a-${randomBytes(3).toString('hex')}`,
      `tenant-b-${randomBytes(3).toString('hex')}`,
    ];
    const saveA = await service.saveTwilioConfig(ta, { ...accountA, fromNumber: '+15005550006' });
    const saveB = await service.saveTwilioConfig(tb, { ...accountB, fromNumber: '+15005550006' });
    expect(saveA).toEqual({ verified: true });
    expect(saveB).toEqual({ verified: true });
    twilio.reset();

    const ra = await resolver.resolve(ta);
    const rb = await resolver.resolve(tb);
    expect(ra.source).toBe('tenant');
    expect(rb.source).toBe('tenant');
    const resA = await ra.provider.send({ to: '+14155552671', body: 'code 1111' });
    const resB = await rb.provider.send({ to: '+14155552672', body: 'code 2222' });
    expect([resA.provider, resB.provider]).toEqual(['twilio', 'twilio']);
    // The emulator authenticates Basic SID:token per account and records the account the message was
    // created under: a message under accountA proves SID and token were tenant A's.
    expect(twilio.messages).toHaveLength(2);
    expect(twilio.messages[0]).toMatchObject({
      accountSid: accountA.accountSid,
      from: '+15005550006',
      to: '+14155552671',
    });
    expect(twilio.messages[0]!.statusCallback).toBe(
      `https://hooks.example.com/sms/status/${encodeURIComponent(ta)}`,
    );
    expect(twilio.messages[1]).toMatchObject({ accountSid: accountB.accountSid, to: '+14155552672' });
    expect(twilio.requests.every((r) => r.path.includes('/Accounts/'))).toBe(true);
    expect(twilio.requests[0]!.path).toContain(accountA.accountSid);
  });

  it('no verified config → MSG91 platform default sends', async () => {
    const { resolver } = setup();
    const r = await resolver.resolve(`nobody-${randomBytes(3).toString('hex')}`);
    expect(r).toMatchObject({ source: 'platform-default', reason: 'no_tenant_config' });
    const before = msg91.messages.length;
    const res = await r.provider.send({
      to: '+919876543210',
      body: `hello ${randomBytes(3).toString('hex')}`,
    });
    expect(res.provider).toBe('msg91');
    expect(msg91.messages.length).toBe(before + 1);
  });

  it('wrong token → verification fails with authentication_failed, nothing secret stored or logged', async () => {
    const { service, resolver, store } = setup();
    const t = `tenant-bad-${randomBytes(3).toString('hex')}`;
    const wrong = randomBytes(16).toString('hex');
    const r = await service.saveTwilioConfig(t, {
      accountSid: accountA.accountSid,
      authToken: wrong,
      fromNumber: '+15005550006',
    });
    expect(r).toMatchObject({ verified: false, error: { code: 'authentication_failed' } });
    expect(JSON.stringify(r.error)).not.toContain(wrong);
    const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
    expect(row.verifiedAt).toBeNull();
    expect(row.verificationError).not.toContain(wrong);
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_unverified');
    const dump = JSON.stringify(logs);
    for (const secret of [wrong, accountA.authToken, accountB.authToken]) expect(dump).not.toContain(secret);
  });
});
