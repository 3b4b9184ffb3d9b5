import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { createSmsProviderResolver } from '../resolver.js';
import type { ProviderOptions, SmsProvider } from '../types.js';
import { createConfigCipher } from './cipher.js';
import { listenForChanges } from './listen.js';
import type { TwilioConfig } from './schemas.js';
import { createSmsConfigService } from './service.js';
import { createPostgresConfigStore } from './store.js';
import { describeWithDatabases } from './test-databases.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const platformDefault: SmsProvider = {
  name: 'msg91',
  send: async () => ({ messageId: 'm', provider: 'msg91', status: 'queued', segments: 1, encoding: 'GSM-7' }),
  verify: async () => undefined,
};
const fake = (config: TwilioConfig, _o: ProviderOptions) =>
  ({
    name: 'twilio',
    config,
    send: async () => ({
      messageId: 'SM1',
      provider: 'twilio',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    }),
    verify: async () => undefined,
  }) as SmsProvider & { config: TwilioConfig };
const cfg = (token: string): TwilioConfig => ({
  accountSid: `AC${'b'.repeat(32)}`,
  authToken: token,
  fromNumber: '+15005550006',
});

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describeWithDatabases('listenForChanges', (get) => {
  it('two resolvers on one database: a change saved through one replica invalidates the other at once', async () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const mk = () =>
      createSmsProviderResolver({
        store,
        cipher,
        platformDefault,
        createTwilioProvider: fake,
        cacheTtlMs: 3_600_000,
      });
    const replicaA = mk();
    const replicaB = mk();
    const connA = await get().openListenConnection();
    const connB = await get().openListenConnection();
    const la = await listenForChanges(connA, replicaA, { schema });
    const seenByB: string[] = [];
    const lb = await listenForChanges(
      connB,
      {
        invalidate: (tenantId) => {
          seenByB.push(tenantId);
          replicaB.invalidate(tenantId);
        },
      },
      { schema },
    );
    const service = createSmsConfigService({ store, cipher, resolver: replicaA, createTwilioProvider: fake });
    const t = `tenant-${randomBytes(4).toString('hex')}`;
    try {
      expect((await replicaB.resolve(t)).reason).toBe('no_tenant_config');
      expect(await service.saveTwilioConfig(t, cfg('first-token-1234'))).toEqual({ verified: true });
      // B cached "no config" for an hour; the NOTIFY drops it.
      await waitFor(async () => (await replicaB.resolve(t)).source === 'tenant');
      const p1 = (await replicaB.resolve(t)).provider as SmsProvider & { config: TwilioConfig };
      expect(p1.config.authToken).toBe('first-token-1234');

      await service.disable(t);
      await waitFor(async () => (await replicaB.resolve(t)).reason === 'tenant_config_disabled');
      await service.enable(t);
      await waitFor(async () => (await replicaB.resolve(t)).source === 'tenant');
      await service.remove(t);
      await waitFor(async () => (await replicaB.resolve(t)).reason === 'no_tenant_config');
    } finally {
      await la.close();
      await lb.close();
    }
    // After close, notifications no longer reach B.
    const seen = seenByB.length;
    expect(seen).toBeGreaterThanOrEqual(5);
    await store.notify(t);
    await new Promise((r) => setTimeout(r, 200));
    expect(seenByB).toHaveLength(seen);
  });

  it('listens on its schema only', async () => {
    const { db, schema } = get();
    const invalidated: string[] = [];
    const conn = await get().openListenConnection();
    const l = await listenForChanges(conn, { invalidate: (t) => invalidated.push(t) }, { schema });
    try {
      const other = createPostgresConfigStore(db, { schema: 'public' });
      await other.notify('from-public');
      await createPostgresConfigStore(db, { schema }).notify('mine');
      await waitFor(() => invalidated.includes('mine'));
      expect(invalidated).not.toContain('from-public');
    } finally {
      await l.close();
    }
  });

  it('refuses a pool', async () => {
    const { db, kind } = get();
    if (kind === 'postgres') {
      await expect(listenForChanges(db, { invalidate() {} })).rejects.toMatchObject({
        code: 'invalid_config',
      });
    }
    await expect(
      listenForChanges({ query: async () => ({ rows: [] }) }, { invalidate() {} }),
    ).rejects.toThrow(/dedicated pg.Client or a PGlite/);
  });
});
