import { resolve as resolvePath } from 'node:path';
import { checkDurationMs } from '../duration.js';
import { SmsError } from '../errors.js';
import { defineRedacted, redactUrl } from '../redact.js';
import { describeConnectError } from './connect-error.js';
import { lockDataDir } from './data-dir-lock.js';
import { toStoreError } from './driver-errors.js';
import { importOptionalPeer } from './optional-peer.js';

/** The result of a query: its rows (all the store needs). */
export interface QueryResultLike {
  // biome-ignore lint/suspicious/noExplicitAny: rows are whatever the driver returns; the store maps them.
  rows: any[];
}

/** The minimal database handle the store needs; `pg.Pool`, `pg.Client` and PGlite all satisfy it. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<QueryResultLike>;
}

/** A `Queryable` that runs a callback in one transaction itself (PGlite's `transaction()`). */
export interface TransactionalQueryable extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

interface PoolLike extends Queryable {
  connect(): Promise<Queryable & { release(err?: Error | boolean): void }>;
  totalCount: number;
}

const isPool = (db: Queryable): db is PoolLike =>
  typeof (db as Partial<PoolLike>).connect === 'function' &&
  typeof (db as Partial<PoolLike>).totalCount === 'number';

const hasTransaction = (db: Queryable): db is TransactionalQueryable =>
  typeof (db as Partial<TransactionalQueryable>).transaction === 'function';

// A single connection (pg.Client or any other plain Queryable) runs one transaction at a time.
const connectionLocks = new WeakMap<object, Promise<unknown>>();

async function runInTransaction<T>(
  conn: Queryable,
  fn: (tx: Queryable) => Promise<T>,
  onRollbackFailure?: (err: Error) => void,
): Promise<T> {
  await conn.query('BEGIN');
  try {
    const result = await fn(conn);
    await conn.query('COMMIT');
    return result;
  } catch (err) {
    await conn
      .query('ROLLBACK')
      .catch((e: unknown) => onRollbackFailure?.(e instanceof Error ? e : new Error(String(e))));
    throw err;
  }
}

/**
 * Runs `fn` in one transaction: PGlite's `transaction()`, a client checked out of a `pg.Pool`, or
 * BEGIN/COMMIT on a single connection (serialized per connection).
 */
export async function withTransaction<T>(db: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  if (hasTransaction(db)) return db.transaction(fn);
  if (isPool(db)) {
    const client = await db.connect();
    // A connection whose ROLLBACK failed is unusable: destroy it rather than return it to the pool.
    let broken: Error | undefined;
    try {
      return await runInTransaction(client, fn, (e) => {
        broken = e;
      });
    } finally {
      client.release(broken);
    }
  }
  const previous = connectionLocks.get(db) ?? Promise.resolve();
  const run = previous.then(
    () => runInTransaction(db, fn),
    () => runInTransaction(db, fn),
  );
  const settled = run.catch(() => undefined);
  connectionLocks.set(db, settled);
  try {
    return await run;
  } finally {
    if (connectionLocks.get(db) === settled) connectionLocks.delete(db);
  }
}

/** Where to open the database: a server URL (`DATABASE_URL`) or embedded PGlite (in memory, or a data dir). */
export interface OpenDatabaseOptions {
  /** `postgres://…`: a real PostgreSQL server through `pg.Pool`. Absent → embedded PGlite. */
  databaseUrl?: string | undefined;
  /**
   * PGlite data directory (created 0700); absent → in memory. Ignored with `databaseUrl`. Single-process: held
   * by a lock file until `close()` (or exit); a second open, in another process or this one, is refused.
   */
  dataDir?: string | undefined;
  /** `pg.Pool` size (default 10). */
  maxConnections?: number;
  /** Receives idle-connection errors of the pool (which would otherwise crash the process). */
  onError?: (err: Error) => void;
  /** `pg`: how long opening a connection may take (default 5 000 ms). Ignored by PGlite. */
  connectTimeoutMs?: number;
  /** `pg`: client-side `query_timeout` and server-side `statement_timeout` (default 10 000 ms). Ignored by PGlite. */
  queryTimeoutMs?: number;
}

/** A dedicated connection for `listenForChanges` (a `pg.Client`, or the PGlite instance itself). */
export interface ListenConnection {
  connection: Queryable;
  close(): Promise<void>;
}

/** An open database: the `Queryable` to pass to `migrate`/`createPostgresConfigStore`, and how to close it. */
export interface OpenDatabase {
  kind: 'pglite' | 'postgres';
  db: Queryable;
  /** Opens a dedicated connection for LISTEN (PGlite: the same instance; closing it is a no-op). */
  openListenConnection(): Promise<ListenConnection>;
  close(): Promise<void>;
}

/** `url` if it is a postgres:// or postgresql:// URL, else `invalid_config` (the URL is never echoed: it may hold a password). */
function checkDatabaseUrl(url: string): string {
  if (/^postgres(ql)?:\/\//i.test(url) && URL.canParse(url)) return url;
  throw new SmsError({
    code: 'invalid_config',
    message:
      'DATABASE_URL must be a postgres:// or postgresql:// URL (percent-encode special characters in the password)',
  });
}

/** Opens PGlite (default; in memory or `dataDir`) or, given `databaseUrl`, a `pg.Pool`; both drivers load lazily. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  const onError = options.onError ?? (() => undefined);
  if (options.databaseUrl) {
    const url = checkDatabaseUrl(options.databaseUrl);
    const pg = (await importOptionalPeer('pg', 'openDatabase({ databaseUrl })', () => import('pg'))).default;
    // A server that stops answering must fail queries (stale-if-error then applies), not hang them.
    const connectionTimeoutMillis = checkDurationMs(options.connectTimeoutMs ?? 5_000, {
      option: 'connectTimeoutMs',
      owner: 'openDatabase',
      min: 1,
    });
    const queryTimeout = checkDurationMs(options.queryTimeoutMs ?? 10_000, {
      option: 'queryTimeoutMs',
      owner: 'openDatabase',
      min: 1,
    });
    const connection = { connectionString: url, connectionTimeoutMillis, keepAlive: true };
    const pool = new pg.Pool({
      ...connection,
      max: options.maxConnections ?? 10,
      query_timeout: queryTimeout,
      statement_timeout: queryTimeout,
    });
    pool.on('error', onError);
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new SmsError({
        code: 'provider_unavailable',
        message: `Could not connect to DATABASE_URL (${redactUrl(url)}): ${describeConnectError(err, url, connectionTimeoutMillis)}`,
        outcome: 'not_sent',
        cause: err,
      });
    }
    // The pool, its clients and this handle hold DATABASE_URL (and its password): they print the redacted URL only.
    const where = { kind: 'postgres', url: redactUrl(url) };
    defineRedacted(pool, 'pg.Pool', () => ({
      ...where,
      totalCount: pool.totalCount,
      idleCount: pool.idleCount,
    }));
    pool.on('connect', (client) => defineRedacted(client, 'pg.Client', () => where));
    return defineRedacted(
      {
        kind: 'postgres',
        db: pool,
        async openListenConnection() {
          // No query/statement timeout: LISTEN idles for hours; keepAlive notices a dead peer.
          const client = defineRedacted(new pg.Client(connection), 'pg.Client', () => where);
          client.on('error', onError);
          await client.connect().catch((err: unknown) => {
            throw toStoreError(err, 'openListenConnection');
          });
          return defineRedacted(
            { connection: client, close: () => client.end() },
            'ListenConnection',
            () => where,
          );
        },
        close: () => pool.end(),
      },
      'OpenDatabase',
      () => where,
    );
  }
  const { PGlite } = await importOptionalPeer(
    '@electric-sql/pglite',
    'openDatabase() without databaseUrl',
    () => import('@electric-sql/pglite'),
  );
  // PGlite is single-process: a data dir opened twice (two processes, or twice in one) loses writes and corrupts.
  const dataDir = options.dataDir && !/^[a-z]+:\/\//i.test(options.dataDir) ? options.dataDir : undefined;
  const lock = dataDir ? lockDataDir(resolvePath(dataDir)) : undefined;
  let db: Awaited<ReturnType<typeof PGlite.create>>;
  try {
    db = options.dataDir ? await PGlite.create(options.dataDir) : await PGlite.create();
  } catch (err) {
    lock?.release();
    throw err;
  }
  return defineRedacted(
    {
      kind: 'pglite',
      db: db as unknown as Queryable,
      async openListenConnection() {
        return { connection: db as unknown as Queryable, close: async () => undefined };
      },
      async close() {
        try {
          await db.close();
        } finally {
          lock?.release();
        }
      },
    },
    'OpenDatabase',
    () => ({ kind: 'pglite', dataDir: dataDir ?? null }),
  );
}
