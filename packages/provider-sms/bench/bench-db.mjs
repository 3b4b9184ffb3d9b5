// The database of the ledger benches: PostgreSQL at DATABASE_URL when set, else in-process PGlite (noted).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** Opens the bench database (`max` pool connections on PostgreSQL); `kind` says which, for the figure's note. */
export async function openBenchDb({ max = 4 } = {}) {
  if (process.env.DATABASE_URL) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max });
    const sc = (await pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
    return { db: pool, kind: `PostgreSQL (synchronous_commit=${sc})`, close: () => pool.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create();
  return {
    db: pg,
    kind: 'PGlite (DATABASE_URL not set: in-process, not the goal setting)',
    close: () => pg.close(),
  };
}

/** A fresh schema name for one bench run (dropped by the bench when done). */
export const benchSchema = () => `sms_bench_${randomBytes(4).toString('hex')}`;

/**
 * The dispatch benches' setup: a Twilio emulator, the bench database with a fresh migrated schema, a sender and a
 * dispatcher over one tenant's TwilioProvider; `counted` holds the number of the ledger's statements
 * (round trips) and their total wall time (pool wait included).
 * `db` and `schema` are the bench's own (for baseline statements); `close()` drops the schema and stops everything.
 */
export async function openDispatchBench(m, startTwilioEmulator, { max, cipherOptions, tenantConfig }) {
  const emu = await startTwilioEmulator({ statusCallbacks: false });
  const { db, kind, close } = await openBenchDb({ max });
  const schema = benchSchema();
  const closeAll = async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await close();
    await emu.close();
  };
  try {
    await m.migrate(db, { schema });
    const provider = new m.TwilioProvider(tenantConfig(emu), { apiBaseUrl: emu.url });
    const resolver = { resolve: async () => ({ provider, source: 'tenant' }) };
    const sender = m.createSmsSender({ resolver, circuitBreaker: false });
    // Every statement the ledger sends is one round trip (and, outside a transaction, one commit): counted.
    const counted = { statements: 0, ms: 0 };
    const ledgerDb = {
      async query(text, params) {
        const t = performance.now();
        try {
          return await db.query(text, params);
        } finally {
          counted.statements++;
          counted.ms += performance.now() - t;
        }
      },
    };
    const ledger = m.createSmsLedger({ db: ledgerDb, cipher: m.createConfigCipher(cipherOptions()), schema });
    const dispatcher = m.createSmsDispatcher({ sender, ledger, resolver });
    return { emu, kind, db, schema, sender, dispatcher, counted, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * A one-row autocommit INSERT into a table of its own in `schema` — one round trip and one commit, the unit the ledger's
 * statements each cost. Resolves `commit()`, which runs one.
 */
export async function commitProbe(db, schema) {
  await db.query(`CREATE TABLE "${schema}".commit_probe (id bigint PRIMARY KEY)`);
  let n = 0;
  return { commit: () => db.query(`INSERT INTO "${schema}".commit_probe (id) VALUES ($1)`, [n++]) };
}
