// The seed's third integration test: a tenant's Twilio is used when its config is verified; otherwise the
// platform default (MSG91) sends. Twilio is the emulator, or api.twilio.com with TWILIO_TEST_* set;
// MSG91 is always its emulator. Config store: PGlite (or DATABASE_URL), isolated in its own schema.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigCipher } from '../../src/config/cipher.js';
import { type OpenDatabase, openDatabase } from '../../src/config/database.js';
import { createPostgresConfigStore, type SmsConfigStore } from '../../src/config/store.js';
import { migrate } from '../../src/migrate.js';
import { Msg91Provider } from '../../src/providers/msg91.js';
import { createSmsProviderResolver, type SmsProviderResolver } from '../../src/resolver.js';
import {
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  type TwilioEmulator,
} from '../../src/testing/index.js';
import type { ProviderOptions } from '../../src/types.js';

const REAL_SID = process.env.TWILIO_TEST_ACCOUNT_SID ?? '';
const REAL_TOKEN = process.env.TWILIO_TEST_AUTH_TOKEN ?? '';
const REAL = REAL_SID !== '' && REAL_TOKEN !== '';
delete process.env.TWILIO_ACCOUNT_SID;
delete process.env.TWILIO_AUTH_TOKEN;

const SCHEMA = `routing_it_${process.pid}`;
const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });

let database: OpenDatabase;
let store: SmsConfigStore;
let twilio: TwilioEmulator | undefined;
let msg91: Msg91Emulator;
let resolver: SmsProviderResolver;
let account: { accountSid: string; authToken: string };

async function saveTwilio(tenantId: string, verified: boolean) {
  const envelope = cipher.encrypt(JSON.stringify({ ...account, fromNumber: '+15005550006' }), {
    tenantId,
    channel: 'sms',
    provider: 'twilio',
  });
  const row = await store.upsert({ tenantId, provider: 'twilio' }, envelope);
  if (verified) await store.markVerified({ tenantId, provider: 'twilio' }, row.configVersion, { ok: true });
}

beforeAll(async () => {
  database = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
  await migrate(database.db, { schema: SCHEMA });
  store = createPostgresConfigStore(database.db, { schema: SCHEMA });
  msg91 = await startMsg91Emulator();
  let twilioOptions: ProviderOptions = { timeoutMs: 15_000 };
  if (REAL) {
    account = { accountSid: REAL_SID, authToken: REAL_TOKEN };
  } else {
    twilio = await startTwilioEmulator({ statusCallbacks: false });
    account = { accountSid: twilio.accountSid, authToken: twilio.authToken };
    twilioOptions = { apiBaseUrl: twilio.url, timeoutMs: 5_000 };
  }
  resolver = createSmsProviderResolver({
    store,
    cipher,
    platformDefault: new Msg91Provider(
      { authKey: msg91.authKey, templateId: msg91.templateId },
      { apiBaseUrl: msg91.url, timeoutMs: 5_000 },
    ),
    twilioOptions,
  });
  await saveTwilio('tenant-verified', true);
  await saveTwilio('tenant-unverified', false);
});

afterAll(async () => {
  await twilio?.close();
  await msg91?.close();
  if (database?.kind === 'postgres') await database.db.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await database?.close();
});

describe(`tenant routing (Twilio: ${REAL ? 'api.twilio.com' : 'emulator'}, MSG91: emulator)`, () => {
  it('a verified tenant Twilio config is used', async () => {
    const r = await resolver.resolve('tenant-verified');
    expect(r.source).toBe('tenant');
    expect(r.provider.name).toBe('twilio');
    const result = await r.provider.send({ to: '+14155552671', body: 'Your code is 4821' });
    expect(result).toMatchObject({
      provider: 'twilio',
      status: 'queued',
      messageId: expect.stringMatching(/^SM/),
    });
    if (twilio) expect(twilio.messages.map((m) => m.sid)).toContain(result.messageId);
    expect(msg91.messages).toHaveLength(0);
  });

  it('an unverified tenant config falls back to MSG91', async () => {
    const r = await resolver.resolve('tenant-unverified');
    expect(r).toMatchObject({ source: 'platform-default', reason: 'tenant_config_unverified' });
    const result = await r.provider.send({ to: '+919876543210', body: 'Your code is 4822' });
    expect(result.provider).toBe('msg91');
    expect(msg91.messages.map((m) => m.requestId)).toEqual([result.messageId]);
  });

  it('a tenant without a config uses MSG91', async () => {
    expect(await resolver.resolve('tenant-none')).toMatchObject({
      source: 'platform-default',
      reason: 'no_tenant_config',
    });
  });
});
