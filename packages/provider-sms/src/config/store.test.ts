import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { createConfigCipher } from './cipher.js';
import {
  type ConfigRowKey,
  changeChannelFor,
  checkSchemaName,
  createPostgresConfigStore,
  reencryptAll,
} from './store.js';
import { describeWithDatabases, randomSchema } from './test-databases.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const oldCipher = createConfigCipher({ keys: { k1 }, activeKeyId: 'k1' });
const rotated = createConfigCipher({ keys: { k2, k1 }, activeKeyId: 'k2' });
const ctxOf = (tenantId: string) => ({ tenantId, channel: 'sms', provider: 'twilio' });
const key = (tenantId: string): ConfigRowKey => ({ tenantId, provider: 'twilio' });
const plain = (n: number) =>
  JSON.stringify({
    accountSid: `AC${String(n).padStart(32, '0')}`,
    authToken: `token-${n}-secret`,
    fromNumber: '+15005550006',
  });

it('validates schema names (never interpolates unchecked input)', () => {
  expect(checkSchemaName(undefined)).toBe('public');
  for (const bad of ['Public', 'a"; drop table x; --', '1abc', '', 'a'.repeat(33), 'a-b']) {
    expect(() => checkSchemaName(bad)).toThrow(/schema must be a lowercase identifier/);
  }
  expect(changeChannelFor()).toBe('notification_providers_changed');
  expect(changeChannelFor('t1')).toBe('notification_providers_changed:t1');
});

describeWithDatabases('Postgres config store', (get) => {
  it('migrate is idempotent and safe to run concurrently (fresh schema)', async () => {
    const { db, kind } = get();
    const schema = randomSchema('sms_mig');
    try {
      await Promise.all(Array.from({ length: 8 }, () => migrate(db, { schema })));
      await migrate(db, { schema });
      const res = await db.query(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [schema, 'notification_providers'],
      );
      expect(res.rows.map((r) => r.column_name)).toEqual([
        'id',
        'tenant_id',
        'channel',
        'provider',
        'config',
        'enabled',
        'verified_at',
        'verification_error',
        'config_version',
        'created_at',
        'updated_at',
      ]);
      const idx = await db.query('SELECT indexdef FROM pg_indexes WHERE schemaname = $1', [schema]);
      expect(idx.rows.map((r) => r.indexdef).join('\n')).toMatch(
        /UNIQUE INDEX .*\(tenant_id, channel, provider\)/,
      );
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
    expect(kind).toBeTruthy();
  });

  it('upserts bump config_version and un-verify; markVerified is version-checked', async () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const t = `t-${randomBytes(4).toString('hex')}`;
    expect(await store.get(key(t))).toBeUndefined();
    const r1 = await store.upsert(key(t), oldCipher.encrypt(plain(1), ctxOf(t)));
    expect(r1).toMatchObject({
      tenantId: t,
      channel: 'sms',
      provider: 'twilio',
      enabled: true,
      verifiedAt: null,
      configVersion: 1,
    });
    expect(await store.markVerified(key(t), 1, { ok: true })).toBe(true);
    expect((await store.get(key(t)))!.verifiedAt).toBeInstanceOf(Date);

    const r2 = await store.upsert(key(t), oldCipher.encrypt(plain(2), ctxOf(t)));
    expect(r2).toMatchObject({ configVersion: 2, verifiedAt: null, verificationError: null });
    expect(r2.id).toBe(r1.id);
    // A late verification of version 1 must not verify version 2's credentials.
    expect(await store.markVerified(key(t), 1, { ok: true })).toBe(false);
    expect((await store.get(key(t)))!.verifiedAt).toBeNull();
    expect(
      await store.markVerified(key(t), 2, { ok: false, error: '{"code":"authentication_failed"}' }),
    ).toBe(true);
    expect((await store.get(key(t)))!.verificationError).toBe('{"code":"authentication_failed"}');
    // The row id is checked too: a removed and re-created row starts at version 1 again.
    expect(await store.remove(key(t))).toBe(true);
    const r3 = await store.upsert(key(t), oldCipher.encrypt(plain(3), ctxOf(t)));
    expect(r3.configVersion).toBe(1);
    expect(await store.markVerified(key(t), { id: r1.id, configVersion: 1 }, { ok: true })).toBe(false);
    expect((await store.get(key(t)))!.verifiedAt).toBeNull();
    expect(await store.markVerified(key(t), { id: r3.id, configVersion: 1 }, { ok: true })).toBe(true);
    expect((await store.get(key(t)))!.verifiedAt).toBeInstanceOf(Date);

    expect(await store.setEnabled(key(t), false)).toBe(true);
    expect((await store.get(key(t)))!.enabled).toBe(false);
    expect(await store.setEnabled(key('nobody'), false)).toBe(false);
    expect(await store.remove(key(t))).toBe(true);
    expect(await store.remove(key(t))).toBe(false);
    expect(await store.get(key(t))).toBeUndefined();
  });

  it('stores only the envelope: no plaintext in the table', async () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const t = `t-${randomBytes(4).toString('hex')}`;
    await store.upsert(key(t), oldCipher.encrypt(plain(7), ctxOf(t)));
    const res = await db.query(`SELECT * FROM "${schema}".notification_providers WHERE tenant_id = $1`, [t]);
    const dump = JSON.stringify(res.rows);
    expect(dump).not.toContain('token-7-secret');
    expect(dump).not.toContain('AC0000');
    await expect(store.upsert(key(t), plain(7))).rejects.toThrow(/not an encrypted envelope/);
  });

  it('re-encrypts every row to the active key in batches; re-running is safe', async () => {
    const { db } = get();
    const schema = randomSchema('sms_rot');
    await migrate(db, { schema });
    try {
      const store = createPostgresConfigStore(db, { schema });
      const tenants = Array.from({ length: 23 }, (_, i) => `rot-${i}`);
      for (const [i, t] of tenants.entries())
        await store.upsert(key(t), oldCipher.encrypt(plain(i), ctxOf(t)));
      await store.markVerified(key('rot-0'), 1, { ok: true });
      // One row that cannot be decrypted: reported, left alone.
      await db.query(`UPDATE "${schema}".notification_providers SET config = $1 WHERE tenant_id = 'rot-5'`, [
        oldCipher.encrypt(plain(5), ctxOf('somebody-else')),
      ]);
      // "Crash" after the first batch: only some rows moved.
      const partial = await reencryptAll(
        { ...store, listBatch: async (after, limit) => (after ? [] : store.listBatch(after, limit)) },
        rotated,
        { batchSize: 10 },
      );
      expect(partial.reencrypted).toBeGreaterThan(0);
      // Old keys keep decrypting in between.
      for (const [i, t] of tenants.entries()) {
        if (t === 'rot-5') continue;
        expect(rotated.decrypt((await store.get(key(t)))!.config, ctxOf(t))).toBe(plain(i));
      }
      const warnings: unknown[] = [];
      const logger = { debug() {}, info() {}, error() {}, warn: (f: unknown) => warnings.push(f) };
      const full = await reencryptAll(store, rotated, { batchSize: 10, logger });
      expect(full).toEqual({
        scanned: 23,
        reencrypted: 22 - partial.reencrypted,
        current: partial.reencrypted,
        failed: 1,
        skipped: 0,
      });
      expect(warnings).toHaveLength(1);
      const again = await reencryptAll(store, rotated, { batchSize: 7 });
      expect(again).toEqual({ scanned: 23, reencrypted: 0, current: 22, failed: 1, skipped: 0 });
      const onlyNew = createConfigCipher({ keys: { k2 }, activeKeyId: 'k2' });
      for (const [i, t] of tenants.entries()) {
        const row = (await store.get(key(t)))!;
        if (t === 'rot-5') continue;
        expect(row.config.startsWith('v1:k2:')).toBe(true);
        expect(onlyNew.decrypt(row.config, ctxOf(t))).toBe(plain(i));
        expect(row.configVersion).toBe(1);
      }
      expect((await store.get(key('rot-0')))!.verifiedAt).toBeInstanceOf(Date);
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it('a concurrent save wins over re-encryption (compare-and-set)', async () => {
    const { db, schema } = get();
    const store = createPostgresConfigStore(db, { schema });
    const t = `cas-${randomBytes(4).toString('hex')}`;
    const row = await store.upsert(key(t), oldCipher.encrypt(plain(1), ctxOf(t)));
    await store.upsert(key(t), oldCipher.encrypt(plain(2), ctxOf(t)));
    const n = await store.replaceConfigs([
      { id: row.id, expected: row.config, next: rotated.encrypt(plain(1), ctxOf(t)) },
    ]);
    expect(n).toBe(0);
    expect(oldCipher.decrypt((await store.get(key(t)))!.config, ctxOf(t))).toBe(plain(2));
  });
});

describeWithDatabases('migrate() creates every table the package owns', (getDb) => {
  it('notification_providers and notification_dispatch_log, idempotently', async () => {
    const { db, schema } = getDb(); // migrated once by the suite
    await migrate(db, { schema });
    const { rows } = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(['notification_dispatch_log', 'notification_providers']);
  });
});
