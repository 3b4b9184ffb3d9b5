// Test helper (not part of the example's interface): is Redis + PostgreSQL reachable, a unique schema and queue
// per test file, and their cleanup. Without either service a suite is skipped with a printed reason, except under
// CI=true, where it must run (and fails).
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? '';

/** Why the services are not usable, or undefined when they answer (PostgreSQL only when `postgres`). */
async function unavailable(postgres: boolean): Promise<string | undefined> {
  if (postgres && !DATABASE_URL) return 'DATABASE_URL is not set';
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    return `Redis at ${REDIS_URL} is unreachable (${(e as Error).message})`;
  } finally {
    probe.disconnect();
  }
  if (!postgres) return undefined;
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    return `PostgreSQL at DATABASE_URL is unreachable (${(e as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  return undefined;
}

/**
 * Whether a suite can run: `skip` when Redis or PostgreSQL is unusable (the reason is printed), except under CI=true,
 * where the suite runs and `assert()` (first thing in its beforeAll) fails it at once with the reason.
 */
export async function checkServices(
  suite: string,
  { postgres = true } = {},
): Promise<{ skip: boolean; assert(): void }> {
  const why = await unavailable(postgres);
  if (why && !process.env.CI) console.warn(`[${suite}] skipped: ${why}; set CI=true to require it`);
  return {
    skip: Boolean(why) && !process.env.CI,
    assert() {
      if (why) throw new Error(`[${suite}] ${why} (CI=true requires Redis and PostgreSQL)`);
    },
  };
}

/** A fresh lowercase name with a random suffix (schemas, queues). */
export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Removes a test queue and all its jobs from Redis. */
export async function obliterateQueue(queueName: string): Promise<void> {
  const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

/** Deletes the Redis keys matching `pattern` (a test's own prefix). */
export async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(pattern);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Polls `cond` every 50 ms until it holds; throws after `timeoutMs` naming `what`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
