// The database of the ledger benches: PostgreSQL at DATABASE_URL when set, else in-process PGlite (noted).
import { randomBytes } from 'node:crypto';

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
