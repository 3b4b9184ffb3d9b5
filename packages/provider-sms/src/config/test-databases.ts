// Test helper (not exported by the package): runs a suite on PGlite and, when DATABASE_URL is set,
// on that PostgreSQL server. Each suite gets its own schema (random suffix), dropped afterwards.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { migrate } from '../migrate.js';
import { type Queryable, withTransaction } from './database.js';

/** One backend under test. */
export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /** The shared handle (a pg.Pool or the file's PGlite instance). */
  db: Queryable;
  /** This suite's schema, already migrated. */
  schema: string;
  /** A dedicated LISTEN connection (pg.Client; PGlite: the shared instance). Closed with the suite. */
  openListenConnection(): Promise<Queryable>;
  /** A separate handle to the same database that the test may close (pg.Pool; PGlite: a clone). */
  openDisposable(): Promise<{ db: Queryable; close(): Promise<void> }>;
}

/** A Queryable wrapper that records every statement (text only) and keeps transactions working. */
export function countingQueryable(inner: Queryable): Queryable & { statements: string[]; reset(): void } {
  const statements: string[] = [];
  const wrapped = {
    statements,
    reset: () => {
      statements.length = 0;
    },
    query(text: string, params?: unknown[]) {
      statements.push(text);
      return inner.query(text, params);
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return withTransaction(inner, (tx) =>
        fn({
          query: (text: string, params?: unknown[]) => {
            statements.push(text);
            return tx.query(text, params);
          },
        }),
      );
    },
  };
  return wrapped;
}

/** A random schema name for one suite. */
export const randomSchema = (prefix = 'sms_test') => `${prefix}_${randomBytes(5).toString('hex')}`;

/** The backends to run on: PGlite always, the server at DATABASE_URL when set. */
export const databaseKinds = (): Array<'pglite' | 'postgres'> =>
  process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/**
 * Declares `body` once per backend (use once per test file: the PGlite instance is per call).
 * `get()` returns the ready backend inside tests and hooks.
 */
export function describeWithDatabases(title: string, body: (get: () => TestDatabase) => void): void {
  for (const kind of databaseKinds()) {
    describe(`${title} [${kind}]`, () => {
      let current: TestDatabase | undefined;
      const cleanups: Array<() => Promise<void>> = [];
      beforeAll(async () => {
        const schema = randomSchema();
        if (kind === 'pglite') {
          const { PGlite } = await import('@electric-sql/pglite');
          const pg = await PGlite.create();
          cleanups.push(() => pg.close());
          const db = pg as unknown as Queryable;
          await migrate(db, { schema });
          current = {
            kind,
            db,
            schema,
            openListenConnection: async () => db,
            async openDisposable() {
              const clone = await pg.clone();
              return { db: clone as unknown as Queryable, close: () => clone.close() };
            },
          };
        } else {
          const pg = (await import('pg')).default;
          const url = process.env.DATABASE_URL!;
          const pool = new pg.Pool({ connectionString: url, max: 10 });
          pool.on('error', () => undefined);
          cleanups.push(async () => {
            await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
            await pool.end();
          });
          await migrate(pool, { schema });
          current = {
            kind,
            db: pool,
            schema,
            async openListenConnection() {
              const client = new pg.Client({ connectionString: url });
              client.on('error', () => undefined);
              await client.connect();
              cleanups.unshift(() => client.end().catch(() => undefined));
              return client;
            },
            async openDisposable() {
              const p = new pg.Pool({ connectionString: url, max: 2 });
              p.on('error', () => undefined);
              return { db: p, close: () => p.end() };
            },
          };
        }
      });
      afterAll(async () => {
        for (const c of cleanups) await c();
      });
      body(() => {
        if (!current) throw new Error('database not ready');
        return current;
      });
    });
  }
}
