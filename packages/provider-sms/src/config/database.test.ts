import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { type OpenDatabase, openDatabase, type Queryable, withTransaction } from './database.js';
import { createPostgresConfigStore } from './store.js';
import { databaseKinds, randomSchema } from './test-databases.js';

const open = (kind: 'pglite' | 'postgres'): Promise<OpenDatabase> =>
  openDatabase(kind === 'postgres' ? { databaseUrl: process.env.DATABASE_URL } : {});

/** Commits on success, rolls back on a throw, whatever the handle. */
async function checkTransactions(db: Queryable, schema: string) {
  await db.query(`CREATE TABLE "${schema}".tx_probe (v int)`);
  await withTransaction(db, async (tx) => {
    await tx.query(`INSERT INTO "${schema}".tx_probe VALUES (1)`);
  });
  await expect(
    withTransaction(db, async (tx) => {
      await tx.query(`INSERT INTO "${schema}".tx_probe VALUES (2)`);
      throw new Error('abort');
    }),
  ).rejects.toThrow('abort');
  // Concurrent transactions on one handle do not interleave.
  await Promise.all(
    [3, 4, 5].map((v) =>
      withTransaction(db, async (tx) => {
        await tx.query(`INSERT INTO "${schema}".tx_probe VALUES ($1)`, [v]);
        if (v === 4) throw new Error('x');
      }).catch(() => undefined),
    ),
  );
  const rows = (await db.query(`SELECT v FROM "${schema}".tx_probe ORDER BY v`)).rows.map((r) => r.v);
  expect(rows).toEqual([1, 3, 5]);
}

for (const kind of databaseKinds()) {
  describe(`openDatabase [${kind}]`, () => {
    it('opens, migrates, runs transactions (pool/PGlite and a single pg.Client), and closes', async () => {
      const opened = await open(kind);
      const schema = randomSchema('sms_db');
      try {
        expect(opened.kind).toBe(kind);
        await migrate(opened.db, { schema });
        const store = createPostgresConfigStore(opened.db, { schema });
        expect(await store.get({ tenantId: 'x', provider: 'twilio' })).toBeUndefined();
        await checkTransactions(opened.db, schema);
        const listen = await opened.openListenConnection();
        try {
          await db2(listen.connection, schema);
        } finally {
          await listen.close();
        }
      } finally {
        await opened.db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await opened.close();
      }
    });
  });
}

/** The dedicated connection (pg.Client, or the PGlite instance) also runs transactions. */
async function db2(conn: Queryable, schema: string) {
  await conn.query(`DROP TABLE IF EXISTS "${schema}".tx_probe`);
  await checkTransactions(conn, schema);
}

describe('openDatabase errors', () => {
  it('an unreachable DATABASE_URL rejects provider_unavailable without printing the password', async () => {
    const err = await openDatabase({ databaseUrl: 'postgres://u:hunter2@127.0.0.1:1/db' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'provider_unavailable' });
    expect(JSON.stringify(err)).not.toContain('hunter2');
  });
});

describe('openDatabase timeouts', () => {
  it('a server that accepts but never answers fails within connectTimeoutMs instead of hanging', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = createServer((s) => sockets.push(s)); // accepts, never speaks
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const started = Date.now();
      const err = await openDatabase({
        databaseUrl: `postgres://u:hunter2@127.0.0.1:${port}/db`,
        connectTimeoutMs: 200,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'provider_unavailable' });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it.runIf(process.env.DATABASE_URL)(
    'the pool has keepAlive, a query timeout and a statement_timeout',
    async () => {
      const opened = await openDatabase({ databaseUrl: process.env.DATABASE_URL, queryTimeoutMs: 300 });
      try {
        const opts = (opened.db as unknown as { options: Record<string, unknown> }).options;
        expect(opts).toMatchObject({ keepAlive: true, connectionTimeoutMillis: 5_000, query_timeout: 300 });
        expect((await opened.db.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('300ms');
        await expect(opened.db.query('SELECT pg_sleep(2)')).rejects.toThrow();
      } finally {
        await opened.close();
      }
    },
  );
});

describe('openDatabase duration options', () => {
  it.each(['connectTimeoutMs', 'queryTimeoutMs'] as const)(
    '%s past setTimeout’s limit (2^31 − 1) rejects invalid_config naming it',
    async (option) => {
      const err = await openDatabase({
        databaseUrl: 'postgres://postgres@127.0.0.1:1/test',
        [option]: 2 ** 31,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'invalid_config', message: expect.stringContaining(option) });
    },
  );
});
