import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { SmsError } from '../errors.js';
import { createSmsProviderResolver } from '../resolver.js';
import type { Logger, ProviderOptions, SmsProvider } from '../types.js';
import { createConfigCipher } from './cipher.js';
import type { TwilioConfig } from './schemas.js';
import { createSmsConfigService, maskSecret } from './service.js';
import { createPostgresConfigStore } from './store.js';
import { describeWithDatabases } from './test-databases.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const TOKEN = 'f00dfacecafebabe0123456789abcdef';
const good: TwilioConfig = {
  accountSid: `AC${'c'.repeat(32)}`,
  authToken: TOKEN,
  fromNumber: '+15005550006',
};
const platformDefault: SmsProvider = {
  name: 'msg91',
  send: async () => ({ messageId: 'm', provider: 'msg91', status: 'queued', segments: 1, encoding: 'GSM-7' }),
  verify: async () => undefined,
};

const captureLogger = () => {
  const calls: unknown[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg?: string) =>
    calls.push({ level, fields, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, calls };
};

/** A fake TwilioProvider factory: verify() fails (echoing the token, as a careless SDK error might) for tokens starting with "bad". */
const fakeTwilio = () => {
  const verified: TwilioConfig[] = [];
  let gate: Promise<void> | undefined;
  const factory = (config: TwilioConfig, _o: ProviderOptions): SmsProvider => ({
    name: 'twilio',
    send: async () => ({
      messageId: 'SM1',
      provider: 'twilio',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    }),
    async verify() {
      verified.push(config);
      if (gate) await gate;
      if (config.authToken.startsWith('bad')) {
        throw new SmsError({
          code: 'authentication_failed',
          provider: 'twilio',
          providerCode: 20003,
          httpStatus: 401,
          message: `Authenticate failed for ${config.accountSid} with token ${config.authToken}`,
        });
      }
    },
  });
  return {
    factory,
    verified,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
};

let n = 0;
const tenant = () => `svc-${++n}-${randomBytes(3).toString('hex')}`;

describeWithDatabases('createSmsConfigService', (get) => {
  const setup = () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const { logger, calls } = captureLogger();
    const twilio = fakeTwilio();
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      createTwilioProvider: twilio.factory,
      logger,
    });
    const service = createSmsConfigService({
      store,
      cipher,
      resolver,
      logger,
      createTwilioProvider: twilio.factory,
    });
    return { store, resolver, service, twilio, calls, db, schema };
  };

  it('save → verify with the new credentials → verified; the resolver switches to the tenant', async () => {
    const { service, resolver, twilio, store } = setup();
    const t = tenant();
    expect((await resolver.resolve(t)).reason).toBe('no_tenant_config');
    expect(await service.saveTwilioConfig(t, { ...good, fromNumber: ' +15005550006 ' })).toEqual({
      verified: true,
    });
    expect(twilio.verified).toEqual([good]);
    const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
    expect(row.verifiedAt).toBeInstanceOf(Date);
    expect(row.configVersion).toBe(1);
    expect(row.config).not.toContain(TOKEN);
    expect((await resolver.resolve(t)).source).toBe('tenant'); // invalidated by the service
  });

  it('invalid input throws invalid_config and writes nothing', async () => {
    const { service, store, calls } = setup();
    const t = tenant();
    for (const bad of [
      { ...good, accountSid: 'AC123' },
      { ...good, authToken: 'short' },
      { ...good, fromNumber: 'not a number!' },
      { accountSid: good.accountSid },
      null,
    ]) {
      await expect(service.saveTwilioConfig(t, bad as TwilioConfig)).rejects.toMatchObject({
        code: 'invalid_config',
      });
    }
    await expect(service.saveTwilioConfig('', good)).rejects.toMatchObject({ code: 'invalid_config' });
    expect(await store.get({ tenantId: t, provider: 'twilio' })).toBeUndefined();
    expect(JSON.stringify(calls)).not.toContain('short');
  });

  it('a failed verification is a result: row kept unverified, error redacted (no token) in DB, result and logs', async () => {
    const { service, resolver, store, calls, db, schema } = setup();
    const t = tenant();
    const badToken = `bad${TOKEN.slice(3)}`;
    const r = await service.saveTwilioConfig(t, { ...good, authToken: badToken });
    expect(r.verified).toBe(false);
    expect(r.error).toBeInstanceOf(SmsError);
    expect(r.error).toMatchObject({ code: 'authentication_failed', providerCode: 20003, httpStatus: 401 });
    expect(r.error!.message).not.toContain(badToken);
    expect(r.error!.message).toContain('[REDACTED]');
    const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
    expect(row.verifiedAt).toBeNull();
    expect(JSON.parse(row.verificationError!)).toMatchObject({ code: 'authentication_failed' });
    const dump = JSON.stringify((await db.query(`SELECT * FROM "${schema}".notification_providers`)).rows);
    expect(dump).not.toContain(badToken);
    expect(JSON.stringify(calls)).not.toContain(badToken);
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_unverified');
    const shown = await service.get(t);
    expect(shown).toMatchObject({ verified: false, verificationError: { code: 'authentication_failed' } });
    expect(JSON.stringify(shown)).not.toContain(badToken);
  });

  it('changing credentials un-verifies until the new ones pass', async () => {
    const { service, resolver, store, twilio } = setup();
    const t = tenant();
    await service.saveTwilioConfig(t, good);
    expect((await resolver.resolve(t)).source).toBe('tenant');
    const release = twilio.hold();
    const saving = service.saveTwilioConfig(t, { ...good, authToken: `new-${TOKEN}` });
    await new Promise((r) => setTimeout(r, 100));
    // Saved, not yet verified: the tenant's Twilio is not used meanwhile.
    const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
    expect(row).toMatchObject({ configVersion: 2, verifiedAt: null });
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_unverified');
    release();
    expect(await saving).toEqual({ verified: true });
    expect((await resolver.resolve(t)).source).toBe('tenant');
  });

  it('a slow verification of removed credentials never verifies a re-created row (same version 1)', async () => {
    const { store, resolver } = setup();
    let releaseA!: () => void;
    const gateA = new Promise<void>((r) => {
      releaseA = r;
    });
    // A (good credentials) verifies slowly; B (bad credentials) fails at once.
    const factory = (config: TwilioConfig, o: ProviderOptions): SmsProvider => ({
      ...fakeTwilio().factory(config, o),
      async verify() {
        if (config.authToken === TOKEN) return gateA;
        throw new SmsError({ code: 'authentication_failed', provider: 'twilio', message: 'Authenticate' });
      },
    });
    const service = createSmsConfigService({ store, cipher, resolver, createTwilioProvider: factory });
    const t = tenant();
    const slowA = service.saveTwilioConfig(t, good); // row A, version 1, verify pending
    await new Promise((r) => setTimeout(r, 50));
    expect(await service.remove(t)).toBe(true);
    const b = await service.saveTwilioConfig(t, { ...good, authToken: `bad-${TOKEN}` }); // row B, version 1
    expect(b).toMatchObject({ verified: false, error: { code: 'authentication_failed' } });
    releaseA(); // A's verification succeeds, after B was saved
    const a = await slowA;
    expect(a.verified).toBe(false);
    expect(a.error?.message).toMatch(/changed or removed while it was being verified/);
    expect((await store.get({ tenantId: t, provider: 'twilio' }))!).toMatchObject({
      configVersion: 1,
      verifiedAt: null,
    });
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_unverified');
  });

  it('verify(): a transient failure keeps verified_at (error recorded); a credential or sender failure un-verifies', async () => {
    const { store, resolver } = setup();
    let failure: SmsError | undefined;
    const factory = (config: TwilioConfig, o: ProviderOptions): SmsProvider => ({
      ...fakeTwilio().factory(config, o),
      async verify() {
        if (failure) throw failure;
      },
    });
    const service = createSmsConfigService({ store, cipher, resolver, createTwilioProvider: factory });
    const t = tenant();
    expect(await service.saveTwilioConfig(t, good)).toEqual({ verified: true });
    const transient: SmsError[] = [
      new SmsError({ code: 'timeout', provider: 'twilio', message: 'timed out' }),
      new SmsError({ code: 'network', provider: 'twilio', message: 'ECONNREFUSED', outcome: 'not_sent' }),
      new SmsError({ code: 'provider_unavailable', provider: 'twilio', httpStatus: 503, message: '503' }),
      new SmsError({
        code: 'rate_limited',
        provider: 'twilio',
        httpStatus: 429,
        message: 'Too many requests',
      }),
      new SmsError({ code: 'aborted', provider: 'twilio', message: 'aborted' }),
    ];
    for (const err of transient) {
      failure = err;
      const r = await service.verify(t);
      expect(r).toMatchObject({ verified: false, error: { code: err.code } });
      const row = (await store.get({ tenantId: t, provider: 'twilio' }))!;
      expect(row.verifiedAt).toBeInstanceOf(Date);
      expect(JSON.parse(row.verificationError!)).toMatchObject({ code: err.code });
      expect((await resolver.resolve(t)).source).toBe('tenant'); // still sending through the tenant
    }
    failure = undefined;
    expect(await service.verify(t)).toEqual({ verified: true });
    expect((await store.get({ tenantId: t, provider: 'twilio' }))!.verificationError).toBeNull();
    for (const code of [
      'authentication_failed',
      'permission_denied',
      'invalid_config',
      'invalid_sender',
    ] as const) {
      failure = new SmsError({ code, provider: 'twilio', message: code });
      expect(await service.verify(t)).toMatchObject({ verified: false, error: { code } });
      expect((await store.get({ tenantId: t, provider: 'twilio' }))!.verifiedAt).toBeNull();
      expect((await resolver.resolve(t)).reason).toBe('tenant_config_unverified');
      failure = undefined;
      expect(await service.verify(t)).toEqual({ verified: true });
    }
  });

  it('a verification of an older version never verifies newer credentials', async () => {
    const { service, store, twilio } = setup();
    const t = tenant();
    const release = twilio.hold();
    const first = service.saveTwilioConfig(t, good); // v1, verify held
    await new Promise((r) => setTimeout(r, 50));
    const secondSave = service.saveTwilioConfig(t, { ...good, authToken: `bad-${TOKEN}` }); // v2, verify held
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [r1, r2] = await Promise.all([first, secondSave]);
    expect(r1.verified).toBe(false);
    expect(r1.error?.message).toMatch(/changed or removed while it was being verified/);
    expect(r2).toMatchObject({ verified: false, error: { code: 'authentication_failed' } });
    expect((await store.get({ tenantId: t, provider: 'twilio' }))!).toMatchObject({
      configVersion: 2,
      verifiedAt: null,
    });
  });

  it('verify(), disable(), enable(), remove()', async () => {
    const { service, resolver, store } = setup();
    const t = tenant();
    await expect(service.verify(t)).rejects.toMatchObject({ code: 'invalid_config' });
    expect(await service.disable(t)).toBe(false);
    await service.saveTwilioConfig(t, good);
    expect(await service.disable(t)).toBe(true);
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_disabled');
    expect((await service.get(t))!.enabled).toBe(false);
    expect(await service.enable(t)).toBe(true);
    expect((await resolver.resolve(t)).source).toBe('tenant');
    expect(await service.verify(t)).toEqual({ verified: true });
    // verify() of a stored config that no longer decrypts records the failure.
    await store.upsert(
      { tenantId: t, provider: 'twilio' },
      cipher.encrypt(JSON.stringify(good), { tenantId: 'x', channel: 'sms', provider: 'twilio' }),
    );
    const r = await service.verify(t);
    expect(r).toMatchObject({ verified: false, error: { code: 'invalid_config' } });
    expect((await service.get(t))!).toMatchObject({
      problem: 'undecryptable',
      authToken: null,
      accountSid: null,
    });
    expect(await service.remove(t)).toBe(true);
    expect(await service.get(t)).toBeUndefined();
    expect((await resolver.resolve(t)).reason).toBe('no_tenant_config');
    expect(await service.remove(t)).toBe(false);
  });

  it('get() is redacted: the token never appears, only its last 4 characters', async () => {
    const { service, calls } = setup();
    const t = tenant();
    await service.saveTwilioConfig(t, good);
    const shown = (await service.get(t))!;
    expect(shown).toMatchObject({
      tenantId: t,
      provider: 'twilio',
      accountSid: good.accountSid,
      fromNumber: good.fromNumber,
      authToken: `••••${TOKEN.slice(-4)}`,
      enabled: true,
      verified: true,
      verificationError: null,
      configVersion: 1,
      problem: null,
    });
    expect(shown.verifiedAt).toBeInstanceOf(Date);
    expect(shown.updatedAt).toBeInstanceOf(Date);
    for (const dump of [JSON.stringify(shown), inspect(shown, { depth: 5 })])
      expect(dump).not.toContain(TOKEN);
    expect(JSON.stringify(calls)).not.toContain(TOKEN);
    expect(JSON.stringify(calls)).not.toContain(TOKEN.slice(0, 12));
    expect(maskSecret('12345678')).toBe('••••');
  });
});
