import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import { createConfigCipher } from './config/cipher.js';
import type { Queryable } from './config/database.js';
import type { TwilioConfig } from './config/schemas.js';
import { createPostgresConfigStore, type SmsConfigStore } from './config/store.js';
import { countingQueryable, describeWithDatabases } from './config/test-databases.js';
import { isSmsError, SmsError } from './errors.js';
import {
  createSmsProviderResolver,
  type SmsProviderResolverOptions,
  tenantStatusCallbackUrl,
} from './resolver.js';
import type { Logger, ProviderOptions, SmsProvider } from './types.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const ctxOf = (tenantId: string) => ({ tenantId, channel: 'sms', provider: 'twilio' });
const key = (tenantId: string) => ({ tenantId, provider: 'twilio' as const });

/** A tenant's config, unique per tenant: the SID and token encode the tenant. */
const configFor = (tenantId: string): TwilioConfig => {
  const hex = Buffer.from(tenantId).toString('hex').padEnd(32, '0').slice(0, 32);
  return { accountSid: `AC${hex}`, authToken: `tok_${tenantId}_secret`, fromNumber: '+15005550006' };
};

interface FakeTwilio extends SmsProvider {
  config: TwilioConfig;
  options: ProviderOptions;
}
const platformDefault: SmsProvider = {
  name: 'msg91',
  send: async () => ({ messageId: 'm', provider: 'msg91', status: 'queued', segments: 1, encoding: 'GSM-7' }),
  verify: async () => undefined,
};
const fakeFactory = (config: TwilioConfig, options: ProviderOptions): FakeTwilio => ({
  name: 'twilio',
  config,
  options,
  send: async () => ({
    messageId: 'SM1',
    provider: 'twilio',
    status: 'queued',
    segments: 1,
    encoding: 'GSM-7',
  }),
  verify: async () => undefined,
});

const captureLogger = () => {
  const calls: Array<{ level: string; fields: Record<string, unknown>; msg?: string }> = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg?: string): void => {
      calls.push({ level, fields, ...(msg !== undefined ? { msg } : {}) });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, calls };
};

let seq = 0;
const newTenant = (p = 't') => `${p}-${++seq}-${randomBytes(3).toString('hex')}`;

describeWithDatabases('createSmsProviderResolver', (get) => {
  const setup = (over: Partial<SmsProviderResolverOptions> = {}, db?: Queryable) => {
    const { schema, db: shared } = get();
    const counted = countingQueryable(db ?? shared);
    const store = createPostgresConfigStore(counted, { schema });
    const { logger, calls } = captureLogger();
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      logger,
      createTwilioProvider: fakeFactory,
      ...over,
    });
    const reads = () => counted.statements.filter((s) => s.trimStart().startsWith('SELECT id')).length;
    return { store, resolver, counted, reads, calls };
  };

  /** Seeds a row: verified and enabled unless told otherwise. */
  const seed = async (
    store: SmsConfigStore,
    tenantId: string,
    opts: { verified?: boolean; enabled?: boolean; plaintext?: string; envelope?: string } = {},
  ) => {
    const envelope =
      opts.envelope ?? cipher.encrypt(opts.plaintext ?? JSON.stringify(configFor(tenantId)), ctxOf(tenantId));
    const row = await store.upsert(key(tenantId), envelope);
    if (opts.verified !== false) await store.markVerified(key(tenantId), row.configVersion, { ok: true });
    if (opts.enabled === false) await store.setEnabled(key(tenantId), false);
    return row;
  };

  it('uses the tenant Twilio config when enabled and verified', async () => {
    const { store, resolver } = setup({
      statusCallbackBaseUrl: 'https://hooks.example.com/sms/status/',
      twilioOptions: { timeoutMs: 1234 },
    });
    const t = newTenant('a b/c');
    await seed(store, t);
    const r = await resolver.resolve(t);
    expect(r.source).toBe('tenant');
    expect(r.reason).toBeUndefined();
    const p = r.provider as FakeTwilio;
    expect(p.config).toEqual(configFor(t));
    expect(p.options.timeoutMs).toBe(1234);
    expect(p.options.statusCallbackUrl).toBe(`https://hooks.example.com/sms/status/${encodeURIComponent(t)}`);
    expect(tenantStatusCallbackUrl('https://x.test/cb', 'a/b')).toBe('https://x.test/cb/a%2Fb');
  });

  it('reason no_tenant_config: no row', async () => {
    const { resolver } = setup();
    const r = await resolver.resolve(newTenant());
    expect(r).toEqual({ provider: platformDefault, source: 'platform-default', reason: 'no_tenant_config' });
  });

  it('reason tenant_config_disabled: enabled = false (checked before verification)', async () => {
    const { store, resolver } = setup();
    const t = newTenant();
    await seed(store, t, { enabled: false, verified: false, envelope: 'v1:k1:garbage:x:y' });
    expect(await resolver.resolve(t)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_disabled',
    });
  });

  it('reason tenant_config_unverified: verified_at null (checked before decryption)', async () => {
    const { store, resolver } = setup();
    const t = newTenant();
    await seed(store, t, { verified: false, envelope: 'v1:k1:garbage:x:y' });
    expect(await resolver.resolve(t)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_unverified',
    });
  });

  it('reason tenant_config_undecryptable: tampered ciphertext; logged without secrets', async () => {
    const { store, resolver, calls } = setup();
    const t = newTenant();
    const good = cipher.encrypt(JSON.stringify(configFor(t)), ctxOf(t));
    const parts = good.split(':');
    const ct = Buffer.from(parts[4]!, 'base64');
    ct[3] = ct[3]! ^ 0xff;
    parts[4] = ct.toString('base64');
    await seed(store, t, { envelope: parts.join(':') });
    expect(await resolver.resolve(t)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_undecryptable',
    });
    const warn = calls.find((c) => c.level === 'warn');
    expect(warn?.fields).toMatchObject({ tenantId: t, reason: 'tenant_config_undecryptable' });
    expect(JSON.stringify(calls)).not.toContain(configFor(t).authToken);
  });

  it('reason tenant_config_undecryptable: ciphertext moved to another tenant', async () => {
    const { store, resolver } = setup();
    const victim = newTenant('victim');
    const attacker = newTenant('attacker');
    await seed(store, victim);
    const stolen = (await store.get(key(victim)))!.config;
    await seed(store, attacker, { envelope: stolen });
    expect(await resolver.resolve(attacker)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_undecryptable',
    });
    expect((await resolver.resolve(victim)).source).toBe('tenant');
  });

  it('reason tenant_config_invalid: decrypts but fails the schema; logged without secrets', async () => {
    const { store, resolver, calls } = setup();
    const t = newTenant();
    await seed(store, t, {
      plaintext: JSON.stringify({ accountSid: 'nope', authToken: 'hunter2-secret-token', fromNumber: '+1' }),
    });
    const t2 = newTenant();
    await seed(store, t2, { plaintext: 'not json' });
    expect(await resolver.resolve(t)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_invalid',
    });
    expect(await resolver.resolve(t2)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_invalid',
    });
    expect(calls.filter((c) => c.level === 'warn')).toHaveLength(2);
    expect(JSON.stringify(calls)).not.toContain('hunter2');
  });

  it('a provider constructor that rejects the config falls back as tenant_config_invalid', async () => {
    const { store, resolver } = setup({
      createTwilioProvider: () => {
        // What TwilioProvider throws for a config it refuses.
        throw new SmsError({
          code: 'invalid_config',
          message: 'Invalid config: config.fromNumber is invalid',
        });
      },
    });
    const t = newTenant();
    await seed(store, t);
    expect(await resolver.resolve(t)).toMatchObject({ reason: 'tenant_config_invalid' });
  });

  it('bad twilioOptions fail at creation, naming the option; nothing is built', () => {
    let built = 0;
    const factory = (c: TwilioConfig, o: ProviderOptions) => {
      built++;
      return fakeFactory(c, o);
    };
    for (const [twilioOptions, name] of [
      [{ apiBaseUrl: 'ftp://emulator.test' }, 'twilioOptions.apiBaseUrl'],
      [{ apiBaseUrl: 'not a url' }, 'twilioOptions.apiBaseUrl'],
      [{ timeoutMs: 0 }, 'twilioOptions.timeoutMs'],
      [{ timeoutMs: -5 }, 'twilioOptions.timeoutMs'],
      [{ timeoutMs: Number.NaN }, 'twilioOptions.timeoutMs'],
    ] as const) {
      let err: unknown;
      try {
        setup({ twilioOptions, createTwilioProvider: factory });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'invalid_config' });
      expect((err as Error).message).toContain(name);
    }
    expect(built).toBe(0);
    expect(() =>
      setup({ twilioOptions: { apiBaseUrl: 'http://127.0.0.1:1/x', timeoutMs: 10 } }),
    ).not.toThrow();
  });

  it('a factory failure that is not about the tenant config rejects provider_unavailable and is not cached', async () => {
    let failure: unknown = new Error("Cannot find module './providers/twilio.js'");
    let calls = 0;
    const {
      store,
      resolver,
      calls: logs,
    } = setup({
      createTwilioProvider: (c, o) => {
        calls++;
        if (failure) throw failure;
        return fakeFactory(c, o);
      },
    });
    const t = newTenant();
    await seed(store, t);
    await expect(resolver.resolve(t)).rejects.toMatchObject({
      code: 'provider_unavailable',
      outcome: 'not_sent',
      retryable: true,
    });
    // An options problem reported by the factory is not the tenant's either.
    failure = new SmsError({
      code: 'invalid_config',
      message: 'Invalid options: options.timeoutMs must be a positive number of milliseconds',
    });
    await expect(resolver.resolve(t)).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(resolver.size).toBe(0);
    failure = undefined;
    expect((await resolver.resolve(t)).source).toBe('tenant');
    expect(calls).toBe(3);
    expect(logs.some((c) => c.level === 'error')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('secret');
  });

  it('ignores rows with provider = msg91', async () => {
    const { store, resolver } = setup();
    const t = newTenant();
    const env = cipher.encrypt(JSON.stringify({ authKey: 'k'.repeat(20) }), {
      ...ctxOf(t),
      provider: 'msg91',
    });
    const row = await store.upsert({ tenantId: t, provider: 'msg91' }, env);
    await store.markVerified({ tenantId: t, provider: 'msg91' }, row.configVersion, { ok: true });
    expect(await resolver.resolve(t)).toMatchObject({
      source: 'platform-default',
      reason: 'no_tenant_config',
    });
  });

  it('changed credentials un-verify until verified again; a new version gets a new provider', async () => {
    const { store, resolver } = setup();
    const t = newTenant();
    await seed(store, t);
    const first = await resolver.resolve(t);
    expect(first.source).toBe('tenant');
    const next = { ...configFor(t), authToken: 'a-brand-new-token' };
    const row = await store.upsert(key(t), cipher.encrypt(JSON.stringify(next), ctxOf(t)));
    resolver.invalidate(t);
    expect(await resolver.resolve(t)).toMatchObject({ reason: 'tenant_config_unverified' });
    await store.markVerified(key(t), row.configVersion, { ok: true });
    resolver.invalidate(t);
    const second = await resolver.resolve(t);
    expect(second.source).toBe('tenant');
    expect(second.provider).not.toBe(first.provider);
    expect((second.provider as FakeTwilio).config.authToken).toBe('a-brand-new-token');
  });

  it('caches for cacheTtlMs and reuses the provider instance per tenant + config version', async () => {
    let now = 1_000;
    let built = 0;
    const { store, resolver, reads } = setup({
      now: () => now,
      cacheTtlMs: 100,
      createTwilioProvider: (c, o) => {
        built++;
        return fakeFactory(c, o);
      },
    });
    const t = newTenant();
    await seed(store, t);
    const a = await resolver.resolve(t);
    const b = await resolver.resolve(t);
    expect(reads()).toBe(1);
    expect(b).toBe(a);
    now += 101;
    const c = await resolver.resolve(t);
    expect(reads()).toBe(2);
    expect(c.provider).toBe(a.provider);
    // Disable → enable keeps the version: the instance is reused.
    await store.setEnabled(key(t), false);
    resolver.invalidate(t);
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_disabled');
    await store.setEnabled(key(t), true);
    resolver.invalidate(t);
    expect((await resolver.resolve(t)).provider).toBe(a.provider);
    expect(built).toBe(1);
    // Removed and re-created (version 1 again): a new instance.
    await store.remove(key(t));
    await seed(store, t);
    resolver.invalidate(t);
    expect((await resolver.resolve(t)).provider).not.toBe(a.provider);
    expect(built).toBe(2);
  });

  it('an unchanged row is not decrypted again after an invalidate; a re-encrypted one is', async () => {
    let decrypts = 0;
    const counting: typeof cipher = {
      activeKeyId: cipher.activeKeyId,
      keyIds: cipher.keyIds,
      encrypt: (plaintext, ctx) => cipher.encrypt(plaintext, ctx),
      decrypt: (envelope, ctx) => {
        decrypts++;
        return cipher.decrypt(envelope, ctx);
      },
      keyIdOf: (envelope) => cipher.keyIdOf(envelope),
      deriveKey: (purpose, keyId) => cipher.deriveKey(purpose, keyId),
    };
    const { store, resolver } = setup({ cipher: counting });
    const t = newTenant();
    await seed(store, t);
    const first = await resolver.resolve(t);
    resolver.invalidate(t);
    expect(await resolver.resolve(t)).toBe(first);
    expect(decrypts).toBe(1);
    // Same version, new envelope (re-encryption under the active key): decrypted and checked again.
    const row = await store.get(key(t));
    const envelope = cipher.encrypt(JSON.stringify(configFor(t)), ctxOf(t));
    expect(await store.replaceConfigs([{ id: row!.id, expected: row!.config, next: envelope }])).toBe(1);
    resolver.invalidate(t);
    const again = await resolver.resolve(t);
    expect(again.provider).toBe(first.provider);
    expect(decrypts).toBe(2);
  });

  it('1 000 concurrent resolves across 100 tenants: one DB read per tenant, each its own credentials', async () => {
    const { store, resolver, reads, counted } = setup();
    const tenants = Array.from({ length: 100 }, () => newTenant('c'));
    for (const [i, t] of tenants.entries()) await seed(store, t, { verified: i % 10 !== 0 });
    counted.reset();
    const order = Array.from({ length: 1000 }, (_, i) => tenants[(i * 37) % 100]!);
    const results = await Promise.all(order.map((t) => resolver.resolve(t)));
    expect(reads()).toBe(100);
    results.forEach((r, i) => {
      const t = order[i]!;
      if (tenants.indexOf(t) % 10 === 0) expect(r.reason).toBe('tenant_config_unverified');
      else expect((r.provider as FakeTwilio).config).toEqual(configFor(t));
    });
  });

  it('LRU: keeps at most maxTenants, evicting the least recently used', async () => {
    const { store, resolver, reads } = setup({ maxTenants: 2 });
    const [a, b, c] = [newTenant(), newTenant(), newTenant()];
    for (const t of [a, b, c]) await seed(store, t);
    await resolver.resolve(a);
    await resolver.resolve(b);
    await resolver.resolve(a); // a is now the most recent
    expect(reads()).toBe(2);
    await resolver.resolve(c); // evicts b
    expect(resolver.size).toBe(2);
    await resolver.resolve(a);
    expect(reads()).toBe(3);
    await resolver.resolve(b);
    expect(reads()).toBe(4);
  });

  it('an invalidate during an in-flight load keeps the stale load out of the cache', async () => {
    const { schema, db } = get();
    const real = createPostgresConfigStore(db, { schema });
    let gate: (() => void) | undefined;
    let reads = 0;
    const store: SmsConfigStore = {
      ...real,
      async get(k) {
        reads++;
        const row = await real.get(k);
        if (reads === 1) await new Promise<void>((r) => (gate = r));
        return row;
      },
    };
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      createTwilioProvider: fakeFactory,
    });
    const t = newTenant();
    await seed(real, t);
    const stale = resolver.resolve(t);
    await new Promise((r) => setTimeout(r, 50));
    expect(gate).toBeDefined();
    await real.setEnabled(key(t), false);
    resolver.invalidate(t);
    const fresh = await resolver.resolve(t); // a new load, not joined to the stale one
    expect(fresh.reason).toBe('tenant_config_disabled');
    gate!();
    expect((await stale).source).toBe('tenant');
    expect((await resolver.resolve(t)).reason).toBe('tenant_config_disabled');
    expect(reads).toBe(2);
  });

  it('outage: DB closed → cached tenants still resolve, uncached ones reject provider_unavailable', async () => {
    const disposable = await get().openDisposable();
    const { store, resolver, calls } = setup({}, disposable.db);
    const [cached, uncached] = [newTenant(), newTenant()];
    await seed(store, cached);
    await seed(store, uncached);
    const before = await resolver.resolve(cached);
    expect(before.source).toBe('tenant');
    await disposable.close();
    resolver.invalidate('nobody'); // unrelated
    expect(await resolver.resolve(cached)).toBe(before); // still fresh
    const err = await resolver.resolve(uncached).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSmsError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'provider_unavailable', outcome: 'not_sent', retryable: true });
    expect(JSON.stringify(calls)).not.toContain('secret');
  });

  it('stale-if-error: serves an expired entry up to staleIfErrorMs past its TTL while the store fails', async () => {
    const { schema, db } = get();
    const real = createPostgresConfigStore(db, { schema });
    let down = false;
    const store: SmsConfigStore = {
      ...real,
      get: (k) => (down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) : real.get(k)),
    };
    let now = 0;
    const { logger, calls } = captureLogger();
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      createTwilioProvider: fakeFactory,
      cacheTtlMs: 1_000,
      staleIfErrorMs: 5_000,
      now: () => now,
      logger,
    });
    const t = newTenant();
    await seed(real, t);
    const first = await resolver.resolve(t);
    down = true;
    now = 3_000; // expired, within the stale window
    expect(await resolver.resolve(t)).toBe(first);
    expect(calls.some((c) => c.level === 'warn' && /unavailable/.test(c.msg ?? ''))).toBe(true);
    now = 5_999;
    expect(await resolver.resolve(t)).toBe(first);
    now = 6_001; // past TTL + staleIfErrorMs
    await expect(resolver.resolve(t)).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    // An invalidated entry is not served stale either.
    down = false;
    now = 10_000;
    await resolver.resolve(t);
    resolver.invalidate(t);
    down = true;
    await expect(resolver.resolve(t)).rejects.toMatchObject({ code: 'provider_unavailable' });
    down = false;
    expect((await resolver.resolve(t)).source).toBe('tenant');
  });

  it('clear() drops everything; bad tenant ids reject invalid_config', async () => {
    const { store, resolver, reads } = setup();
    const t = newTenant();
    await seed(store, t);
    await resolver.resolve(t);
    resolver.clear();
    expect(resolver.size).toBe(0);
    await resolver.resolve(t);
    expect(reads()).toBe(2);
    await expect(resolver.resolve('')).rejects.toMatchObject({ code: 'invalid_config' });
  });
});

it('property: any interleaving of loads, updates and invalidations never yields another tenant’s credentials nor leaves a stale entry', async () => {
  // In-memory rows (versioned like the table), reads released in an order chosen by fast-check.
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ tenant: fc.integer({ min: 0, max: 11 }), update: fc.boolean() }), {
        minLength: 1,
        maxLength: 150,
      }),
      fc.integer({ min: 1, max: 12 }),
      fc.scheduler(),
      async (ops, maxTenants, s) => {
        const tenants = Array.from({ length: 12 }, (_, i) => `prop-${i}`);
        const versions = new Map(tenants.map((t) => [t, 1]));
        const tokenOf = (t: string, v: number) => `tok_${t}_v${v}_secret`;
        const rowOf = (t: string) => {
          const v = versions.get(t)!;
          const config = { ...configFor(t), authToken: tokenOf(t, v) };
          return {
            id: `id-${t}`,
            tenantId: t,
            channel: 'sms',
            provider: 'twilio',
            config: cipher.encrypt(JSON.stringify(config), ctxOf(t)),
            enabled: true,
            verifiedAt: new Date(),
            verificationError: null,
            configVersion: v,
            createdAt: new Date(),
            updatedAt: new Date(),
          };
        };
        let reads = 0;
        const store = {
          get: async (k: { tenantId: string }) => {
            reads++;
            const row = rowOf(k.tenantId); // read now, delivered when the scheduler says so
            return s.schedule(Promise.resolve(row), `get ${k.tenantId}`);
          },
        } as unknown as SmsConfigStore;
        const resolver = createSmsProviderResolver({
          store,
          cipher,
          platformDefault,
          createTwilioProvider: fakeFactory,
          maxTenants,
        });
        const pending = ops.map(async (op, i) => {
          const t = tenants[op.tenant]!;
          if (op.update) {
            await s.schedule(Promise.resolve(), `update ${t} #${i}`);
            versions.set(t, versions.get(t)! + 1);
            resolver.invalidate(t);
            return;
          }
          const res = await resolver.resolve(t);
          const cfg = (res.provider as FakeTwilio).config;
          expect(cfg.accountSid).toBe(configFor(t).accountSid);
          expect(cfg.authToken.startsWith(`tok_${t}_v`)).toBe(true);
        });
        await s.waitAll();
        await Promise.all(pending);
        if (!ops.some((o) => o.update)) expect(reads).toBe(new Set(ops.map((o) => o.tenant)).size);
        // Once quiet, every tenant resolves to its latest credentials (no stale load was cached).
        const finals = tenants.map((t) => resolver.resolve(t));
        await s.waitAll();
        for (const [i, t] of tenants.entries()) {
          expect(((await finals[i]!).provider as FakeTwilio).config.authToken).toBe(
            tokenOf(t, versions.get(t)!),
          );
        }
        expect(resolver.size).toBeLessThanOrEqual(maxTenants);
      },
    ),
    { numRuns: 150 },
  );
});

/** A verified row of `tenantId` as the store returns it (no database). */
const storedRow = (tenantId: string) => ({
  id: `id-${tenantId}`,
  tenantId,
  channel: 'sms',
  provider: 'twilio',
  config: cipher.encrypt(JSON.stringify(configFor(tenantId)), ctxOf(tenantId)),
  enabled: true,
  verifiedAt: new Date(),
  verificationError: null,
  configVersion: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
});

it('storeTimeoutMs (default 5 000): a store read that never answers counts as an outage; the timer is cleared', async () => {
  vi.useFakeTimers();
  try {
    let hang = false;
    const store = {
      get: (k: { tenantId: string }) =>
        hang ? new Promise<never>(() => undefined) : Promise.resolve(storedRow(k.tenantId)),
    } as unknown as SmsConfigStore;
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      createTwilioProvider: fakeFactory,
    });
    expect((await resolver.resolve('fast')).source).toBe('tenant');
    expect(vi.getTimerCount()).toBe(0); // the race's timer does not outlive a fast read
    hang = true;
    let settled: unknown;
    const pending = resolver.resolve('slow').then(
      () => 'resolved',
      (e: unknown) => e,
    );
    void pending.then((v) => {
      settled = v;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toMatchObject({
      code: 'provider_unavailable',
      outcome: 'not_sent',
      retryable: true,
    });
    expect(vi.getTimerCount()).toBe(0);
  } finally {
    vi.useRealTimers();
  }
});

it('storeTimeoutMs: a hung store read serves the stale entry (stale-if-error), not a hang', async () => {
  let hang = false;
  let now = 0;
  const store = {
    get: (k: { tenantId: string }) =>
      hang ? new Promise<never>(() => undefined) : Promise.resolve(storedRow(k.tenantId)),
  } as unknown as SmsConfigStore;
  const resolver = createSmsProviderResolver({
    store,
    cipher,
    platformDefault,
    createTwilioProvider: fakeFactory,
    cacheTtlMs: 1_000,
    staleIfErrorMs: 5_000,
    storeTimeoutMs: 20,
    now: () => now,
  });
  const first = await resolver.resolve('t');
  hang = true;
  now = 2_000; // expired, within the stale window
  expect(await resolver.resolve('t')).toBe(first);
  now = 7_000; // past it
  await expect(resolver.resolve('t')).rejects.toMatchObject({ code: 'provider_unavailable' });
  expect(() => createSmsProviderResolver({ store, cipher, platformDefault, storeTimeoutMs: 0 })).toThrow(
    /storeTimeoutMs/,
  );
});

it('expireAll(): every entry refreshes on its next resolve, is served stale while the store is down, keeps its provider; invalidated ones are not served', async () => {
  let down = false;
  let reads = 0;
  let gate: Promise<void> | undefined;
  const store = {
    get: async (k: { tenantId: string }) => {
      reads++;
      if (gate) await gate;
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return storedRow(k.tenantId);
    },
  } as unknown as SmsConfigStore;
  const now = 1_000_000;
  const resolver = createSmsProviderResolver({
    store,
    cipher,
    platformDefault,
    createTwilioProvider: fakeFactory,
    cacheTtlMs: 60_000,
    staleIfErrorMs: 900_000,
    now: () => now,
  });
  const a = await resolver.resolve('a');
  const b = await resolver.resolve('b');
  expect(reads).toBe(2);
  resolver.expireAll();
  expect(resolver.size).toBe(2); // kept, unlike clear()
  down = true;
  expect(await resolver.resolve('a')).toBe(a); // stale-if-error
  expect(reads).toBe(3);
  down = false;
  const a2 = await resolver.resolve('a'); // healthy store: refreshed
  expect(reads).toBe(4);
  expect(a2.provider).toBe(a.provider); // same id + version: the provider instance is reused
  expect(await resolver.resolve('a')).toBe(a2); // fresh again: no read
  expect(reads).toBe(4);
  // An invalidated entry is never served stale, expired or not.
  resolver.invalidate('b');
  resolver.expireAll();
  down = true;
  await expect(resolver.resolve('b')).rejects.toMatchObject({ code: 'provider_unavailable' });
  down = false;
  expect((await resolver.resolve('b')).provider).toBe(b.provider);
  // A load in flight during expireAll() caches its result already expired.
  let open!: () => void;
  gate = new Promise<void>((r) => {
    open = r;
  });
  resolver.invalidate('c');
  const inFlight = resolver.resolve('c');
  resolver.expireAll();
  open();
  gate = undefined;
  await inFlight;
  const before = reads;
  await resolver.resolve('c');
  expect(reads).toBe(before + 1);
});

it('statusCallbackBaseUrl, twilioOptions.statusCallbackUrl and every duration are checked at construction', () => {
  const store = { get: async () => undefined } as unknown as SmsConfigStore;
  const base = { store, cipher, platformDefault, createTwilioProvider: fakeFactory };
  const cases: [Partial<SmsProviderResolverOptions>, string][] = [
    [{ statusCallbackBaseUrl: 'hooks.example.com/cb' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: '/webhooks/status' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: 'https://hooks.example.com/a b' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: 'https://hooks.example.com/café' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: 'ftp://hooks.example.com/cb' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: 'https://hooks.example.com/cb?x=1' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: 'https://hooks.example.com/cb#x' }, 'statusCallbackBaseUrl'],
    [{ statusCallbackBaseUrl: 'https://u:p@hooks.example.com/cb' }, 'statusCallbackBaseUrl'],
    [{ twilioOptions: { statusCallbackUrl: '/cb' } }, 'twilioOptions.statusCallbackUrl'],
    [{ twilioOptions: { timeoutMs: 2 ** 31 } }, 'twilioOptions.timeoutMs'],
    [{ cacheTtlMs: 2 ** 31 }, 'cacheTtlMs'],
    [{ staleIfErrorMs: 2 ** 31 }, 'staleIfErrorMs'],
    [{ storeTimeoutMs: 2 ** 31 }, 'storeTimeoutMs'],
  ];
  for (const [opts, name] of cases) {
    expect(() => createSmsProviderResolver({ ...base, ...opts }), name).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(name) }),
    );
  }
});

it('tenant providers get the normalized statusCallbackBaseUrl + /<tenantId>', async () => {
  const resolver = createSmsProviderResolver({
    store: { get: async (k: { tenantId: string }) => storedRow(k.tenantId) } as unknown as SmsConfigStore,
    cipher,
    platformDefault,
    createTwilioProvider: fakeFactory,
    statusCallbackBaseUrl: 'https://HOOKS.example.com:443/sms/',
  });
  const p = (await resolver.resolve('t-1')).provider as FakeTwilio;
  expect(p.options.statusCallbackUrl).toBe('https://hooks.example.com/sms/t-1');
});
