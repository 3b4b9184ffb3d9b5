import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { twilioSecrets } from '../providers/twilio.js';
import { twilioAuthFromStore } from '../webhooks/handler.js';
import { createConfigCipher } from './cipher.js';
import type { SmsConfigStore, StoredProviderConfig } from './store.js';
import { decodeTwilioConfig } from './twilio-config.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const TOKEN = 'f00dfacecafebabe0123456789abcdef';
const good = { accountSid: `AC${'c'.repeat(32)}`, authToken: TOKEN, fromNumber: '+15005550006' };
const ctx = { tenantId: 't1', channel: 'sms', provider: 'twilio' };
const rowWith = (plaintext: string, aad = ctx): StoredProviderConfig => ({
  id: 'id-1',
  ...ctx,
  config: cipher.encrypt(plaintext, aad),
  enabled: true,
  verifiedAt: new Date(),
  verificationError: null,
  configVersion: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
});

it('decodeTwilioConfig: decrypts, parses and validates; each failure has its reason and no secret', () => {
  expect(decodeTwilioConfig(rowWith(JSON.stringify(good)), cipher)).toEqual({ ok: true, config: good });

  const moved = decodeTwilioConfig(rowWith(JSON.stringify(good), { ...ctx, tenantId: 'other' }), cipher);
  expect(moved).toMatchObject({ ok: false, reason: 'undecryptable', error: { code: 'invalid_config' } });

  const notJson = decodeTwilioConfig(rowWith(`{"authToken":"${TOKEN}"`), cipher);
  expect(notJson).toMatchObject({ ok: false, reason: 'invalid', error: { code: 'invalid_config' } });

  const bad = decodeTwilioConfig(rowWith(JSON.stringify({ ...good, accountSid: `nope-${TOKEN}` })), cipher);
  expect(bad).toMatchObject({ ok: false, reason: 'invalid', error: { code: 'invalid_config' } });
  expect(bad.ok ? '' : bad.error.message).toMatch(/config\.accountSid/);

  for (const r of [moved, notJson, bad])
    expect(JSON.stringify(r.ok ? r : r.error.toJSON())).not.toContain(TOKEN);
});

it('the webhook handler reads tenant auth through the same decoder: a config failing the schema is refused', async () => {
  let row = rowWith(JSON.stringify({ ...good, authToken: `  ${TOKEN}  ` }));
  const store = { get: async () => row } as unknown as SmsConfigStore;
  const load = twilioAuthFromStore(store, cipher);
  expect(await load('t1')).toEqual({ accountSid: good.accountSid, authToken: TOKEN });
  // Before: only "strings present" was checked, so a malformed SID / sender was accepted.
  row = rowWith(JSON.stringify({ ...good, accountSid: 'not-a-sid', fromNumber: 'x' }));
  await expect(load('t1')).rejects.toMatchObject({ code: 'invalid_config' });
  row = rowWith(JSON.stringify(good), { ...ctx, tenantId: 'other' });
  await expect(load('t1')).rejects.toMatchObject({ code: 'invalid_config' });
});

it('twilioSecrets: the token and its Basic auth header, with and without the scheme', () => {
  const header = `Basic ${Buffer.from(`${good.accountSid}:${TOKEN}`).toString('base64')}`;
  expect(twilioSecrets(good.accountSid, TOKEN)).toEqual([TOKEN, header, header.slice(6)]);
});
