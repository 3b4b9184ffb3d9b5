// migrate(db) upgrades today's notification_dispatch_log in place: rows kept, states derived, old INSERTs still work.
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import { describeWithDatabases, randomSchema } from '../config/test-databases.js';
import { listDispatchLog, recordDispatch } from '../dispatch-log.js';
import { migrate } from '../migrate.js';
import { createSmsLedger } from './ledger.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });

// The DDL of notification_dispatch_log before the ledger (commit 7240e6a), verbatim.
const oldDdl = (schema: string) => [
  `CREATE SCHEMA "${schema}"`,
  `CREATE TABLE "${schema}".notification_dispatch_log (
      id uuid PRIMARY KEY,
      tenant_id text NOT NULL,
      channel text NOT NULL,
      provider text,
      message_id text,
      status text NOT NULL,
      error_code text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE INDEX notification_dispatch_log_tenant_created_idx ON "${schema}".notification_dispatch_log (tenant_id, created_at)`,
];

const legacyRows: Array<[string, string | null, string, string | null, string]> = [
  ['twilio', 'SM1', 'queued', null, 'accepted'],
  ['twilio', null, 'failed', 'invalid_recipient', 'rejected'],
  ['twilio', 'SM2', 'failed', 'unknown', 'rejected'], // a created message that failed
  ['msg91', null, 'failed', 'timeout', 'unknown'],
  ['twilio', null, 'failed', 'rate_limited', 'deferred'],
];

describeWithDatabases('migrate: dispatch log → ledger', (get) => {
  it('keeps legacy rows, derives their state, and an old-style insert keeps working', async () => {
    const { db } = get();
    const schema = randomSchema('sms_upgrade');
    try {
      for (const sql of oldDdl(schema)) await db.query(sql);
      for (const [i, [provider, messageId, status, code]] of legacyRows.entries()) {
        await db.query(
          `INSERT INTO "${schema}".notification_dispatch_log (id, tenant_id, channel, provider, message_id, status, error_code, created_at)
           VALUES ($1, 'legacy', 'sms', $2, $3, $4, $5, now() - $6 * interval '1 second')`,
          [globalThis.crypto.randomUUID(), provider, messageId, status, code, legacyRows.length - i],
        );
      }
      await migrate(db, { schema });
      await migrate(db, { schema }); // idempotent
      const ledger = createSmsLedger({ db, cipher, schema });
      const rows = await ledger.list({ tenantId: 'legacy' });
      expect(rows.map((r) => [r.provider, r.messageId, r.status, r.state, r.notificationId])).toEqual(
        legacyRows.map(([p, m, s, , state]) => [p, m, s, state, null]).reverse(),
      );
      // An older replica still inserting through recordDispatch (no ledger columns) keeps working.
      await recordDispatch(
        db,
        { tenantId: 'legacy', provider: 'twilio', messageId: 'SM3', status: 'queued' },
        { schema },
      );
      expect(await listDispatchLog(db, { schema, tenantId: 'legacy' })).toHaveLength(legacyRows.length + 1);
      const latest = (await ledger.list({ tenantId: 'legacy', limit: 1 }))[0];
      expect(latest).toMatchObject({ messageId: 'SM3', state: 'accepted' });
      expect(await ledger.list({ tenantId: 'legacy', state: 'unknown' })).toHaveLength(1);
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it('purge deletes rows created before the date and keeps the rest', async () => {
    const { db, schema } = get();
    const ledger = createSmsLedger({ db, cipher, schema });
    await recordDispatch(db, { tenantId: 'purge-t', status: 'queued' }, { schema });
    await db.query(
      `UPDATE "${schema}".notification_dispatch_log SET created_at = now() - interval '100 days' WHERE tenant_id = 'purge-t'`,
    );
    await recordDispatch(db, { tenantId: 'purge-t', status: 'queued' }, { schema });
    expect(await ledger.purge()).toBe(1); // default retention: 90 days
    expect(await ledger.list({ tenantId: 'purge-t' })).toHaveLength(1);
    expect(await ledger.purge({ before: new Date(Date.now() + 60_000) })).toBeGreaterThanOrEqual(1);
    expect(await ledger.list({ tenantId: 'purge-t' })).toHaveLength(0);
  });

  it('options are checked at construction, naming the option', () => {
    const { db } = get();
    expect(() => createSmsLedger({ db, cipher, leaseMs: -1 })).toThrow(/leaseMs/);
    expect(() => createSmsLedger({ db, cipher, retentionDays: 0 })).toThrow(/retentionDays/);
    expect(() => createSmsLedger({ db, cipher, owner: '' })).toThrow(/owner/);
    expect(() => createSmsLedger({ db, cipher: {} as never })).toThrow(/cipher/);
    expect(() => createSmsLedger({ db, cipher, schema: 'bad schema' })).toThrow(/schema/i);
  });
});
