// Issue 13, item 16: while a tenant rotates its Twilio token, callbacks signed with either token are accepted
// for a bounded time or until one validates with the new token; the previous token lives only in the ciphertext.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import type { TwilioConfig } from '../config/schemas.js';
import { twilioConfigSchema } from '../config/schemas.js';
import { createSmsConfigService } from '../config/service.js';
import { createPostgresConfigStore } from '../config/store.js';
import { describeWithDatabases } from '../config/test-databases.js';
import { isSmsError } from '../errors.js';
import type { SmsProvider } from '../types.js';
import { createStatusWebhookHandler } from './handler.js';
import type { SmsStatusEvent } from './status.js';
import { computeTwilioSignature } from './twilio-signature.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const ACCOUNT = `AC${'7'.repeat(32)}`;
const OLD = 'old-auth-token-0123456789abcdef';
const NEW = 'new-auth-token-fedcba9876543210';
const NEWER = 'newer-auth-token-000000000000001';
const BASE = 'https://hooks.example.com/sms';
const HOUR = 3_600_000;
const config = (authToken: string): TwilioConfig => ({
  accountSid: ACCOUNT,
  authToken,
  fromNumber: '+15005550006',
});
const verifyingTwilio = (): SmsProvider => ({
  name: 'twilio',
  send: async () => {
    throw new Error('not used');
  },
  verify: async () => undefined,
});

let n = 0;
const tenant = () => `rot-${++n}-${randomBytes(3).toString('hex')}`;

function callback(tenantId: string, token: string, status: string): Request {
  const url = `${BASE}/twilio/${tenantId}`;
  const body = new URLSearchParams({
    AccountSid: ACCOUNT,
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    MessageStatus: status,
    To: '+14155552671',
  });
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature(token, url, body),
    },
    body: body.toString(),
  });
}

describeWithDatabases('auth-token rotation', (get) => {
  const setup = (now = () => new Date()) => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const service = createSmsConfigService({ store, cipher, createTwilioProvider: verifyingTwilio });
    const events: SmsStatusEvent[] = [];
    const handler = createStatusWebhookHandler({
      store,
      cipher,
      now,
      onEvent: (e) => {
        events.push(e);
      },
    });
    const plaintext = async (tenantId: string) => {
      const row = (await store.get({ tenantId, provider: 'twilio' }))!;
      return JSON.parse(cipher.decrypt(row.config, { tenantId, channel: 'sms', provider: 'twilio' }));
    };
    return { store, service, handler, events, plaintext };
  };

  it('accepts the previous token until a callback validates with the new one, then drops it from the row', async () => {
    const { service, handler, events, plaintext, store } = setup();
    const t = tenant();
    await service.saveTwilioConfig(t, config(OLD));
    await service.saveTwilioConfig(t, config(NEW));
    expect((await handler(callback(t, OLD, 'sent'))).status).toBe(200);
    expect((await handler(callback(t, NEW, 'sent'))).status).toBe(200);
    expect(events).toHaveLength(2);
    expect(await plaintext(t)).toEqual(config(NEW)); // dropped, conditionally, from the stored envelope
    expect((await handler(callback(t, OLD, 'sent'))).status).toBe(403);
    handler.invalidate(t); // a fresh read (another replica) does not know the old token either
    expect((await handler(callback(t, OLD, 'sent'))).status).toBe(403);
    const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
    expect(row.configVersion).toBe(2); // dropping the old token is not a config change
  });

  it('keeps the previous token only inside the ciphertext, for 72 h by default, never in the redacted view', async () => {
    const { service, plaintext, store } = setup();
    const t = tenant();
    await service.saveTwilioConfig(t, config(OLD));
    const before = Date.now();
    await service.saveTwilioConfig(t, config(NEW));
    const stored = await plaintext(t);
    expect(stored.previousAuthToken).toBe(OLD);
    const expiresAt = Date.parse(stored.previousAuthTokenExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 72 * HOUR);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 72 * HOUR);
    const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
    expect(row.config).not.toContain(OLD);
    const view = await service.get(t);
    expect(JSON.stringify(view) + inspect(view)).not.toContain(OLD.slice(-4));
    // An older reader (the schema of the previous release) still decodes the row.
    expect(twilioConfigSchema().parse(stored)).toEqual(config(NEW));
  });

  it('refuses the previous token once its window has passed', async () => {
    let clock = Date.now();
    const { service, handler } = setup(() => new Date(clock));
    const t = tenant();
    await service.saveTwilioConfig(t, config(OLD));
    await service.saveTwilioConfig(t, config(NEW));
    clock += 72 * HOUR + 60_000;
    expect((await handler(callback(t, OLD, 'sent'))).status).toBe(403);
  });

  it('does not lose a config change made while the previous token is being dropped', async () => {
    const { service, handler, plaintext } = setup();
    const t = tenant();
    await service.saveTwilioConfig(t, config(OLD));
    await service.saveTwilioConfig(t, config(NEW));
    expect((await handler(callback(t, OLD, 'sent'))).status).toBe(200); // caches { NEW, previous OLD }
    await service.saveTwilioConfig(t, config(NEWER)); // not announced to this handler
    expect((await handler(callback(t, NEW, 'sent'))).status).toBe(200); // NEW is current in its cache
    const stored = await plaintext(t);
    expect([stored.authToken, stored.previousAuthToken]).toEqual([NEWER, NEW]);
  });

  it('keeps no previous token for another account or with authTokenRotationWindowMs: 0', async () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const plain = async (t: string) =>
      JSON.parse(
        cipher.decrypt((await store.get({ tenantId: t, provider: 'twilio' }))!.config, {
          tenantId: t,
          channel: 'sms',
          provider: 'twilio',
        }),
      );
    const none = createSmsConfigService({
      store,
      cipher,
      createTwilioProvider: verifyingTwilio,
      authTokenRotationWindowMs: 0,
    });
    const t1 = tenant();
    await none.saveTwilioConfig(t1, config(OLD));
    await none.saveTwilioConfig(t1, config(NEW));
    expect(await plain(t1)).toEqual(config(NEW));
    const { service } = setup();
    const t2 = tenant();
    await service.saveTwilioConfig(t2, config(OLD));
    await service.saveTwilioConfig(t2, { ...config(NEW), accountSid: `AC${'8'.repeat(32)}` });
    expect((await plain(t2)).previousAuthToken).toBeUndefined();
  });

  it('rejects a bad authTokenRotationWindowMs naming it', () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    for (const bad of [-1, 1.5, Number.NaN, 31 * 24 * HOUR]) {
      let err: unknown;
      try {
        createSmsConfigService({ store, cipher, authTokenRotationWindowMs: bad });
      } catch (e) {
        err = e;
      }
      expect(isSmsError(err) && err.code === 'invalid_config' && err.message).toContain(
        'authTokenRotationWindowMs',
      );
    }
  });
});
