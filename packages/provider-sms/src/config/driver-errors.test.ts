// The store and the config service throw typed SmsErrors, never a raw driver error.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSmsError } from '../errors.js';
import { migrate } from '../migrate.js';
import { createConfigCipher } from './cipher.js';
import { listenForChanges } from './listen.js';
import { createSmsConfigService } from './service.js';
import { createPostgresConfigStore, type SmsConfigStore } from './store.js';
import { describeWithDatabases } from './test-databases.js';

const PASSWORD = 'pw-never-printed-7Qx';
const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });

/** Asserts `p` rejects with an SmsError of `code` that shows neither the password nor `hidden`. */
async function expectSmsError(p: Promise<unknown>, code: string, hidden: string[] = []) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSmsError(err), inspect(err)).toBe(true);
  expect(err).toMatchObject({ code, outcome: 'not_sent' });
  const dump = [JSON.stringify(err), inspect(err, { depth: Infinity, showHidden: true })].join('\n');
  for (const s of [PASSWORD, ...hidden]) expect(dump).not.toContain(s);
  return err as Error & { retryable: boolean };
}

describe('a database nobody listens on', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    pool = new pg.Pool({
      connectionString: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/test`,
      connectionTimeoutMillis: 2_000,
    });
    pool.on('error', () => undefined);
  });
  afterAll(() => pool.end());

  it('store reads, writes and migrate → provider_unavailable, not_sent, retryable', async () => {
    const store = createPostgresConfigStore(pool);
    const key = { tenantId: 'acme', provider: 'twilio' } as const;
    const read = await expectSmsError(store.get(key), 'provider_unavailable');
    expect(read.retryable).toBe(true);
    expect(read.message).toMatch(/config store is unavailable \(store\.get\)/);
    await expectSmsError(store.upsert(key, 'v1:k1:a:b:c'), 'provider_unavailable');
    await expectSmsError(store.listBatch(undefined, 10), 'provider_unavailable');
    await expectSmsError(migrate(pool), 'provider_unavailable');
  });

  it('listenForChanges on a connection that is gone → provider_unavailable', async () => {
    const client = new pg.Client({ connectionString: pool.options.connectionString });
    client.on('error', () => undefined);
    await client.connect().catch(() => undefined);
    const resolver = { invalidate: () => undefined };
    await expectSmsError(listenForChanges(client, resolver), 'provider_unavailable');
  });

  it('config service → provider_unavailable', async () => {
    const service = createSmsConfigService({ store: createPostgresConfigStore(pool), cipher });
    await expectSmsError(service.get('acme'), 'provider_unavailable');
    await expectSmsError(service.disable('acme'), 'provider_unavailable');
  });
});

it("the config service types a custom store's driver errors too (methods on a class prototype)", async () => {
  class RefusingStore {
    readonly changeChannel = 'c';
    async get(): Promise<undefined> {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    }
  }
  const store = new RefusingStore() as unknown as SmsConfigStore;
  const service = createSmsConfigService({ store, cipher });
  const err = await expectSmsError(service.get('acme'), 'provider_unavailable');
  expect(err.message).toContain('store.get');
});

describeWithDatabases('bad input reaching the driver', (get) => {
  const key = { tenantId: 'acme-nul', provider: 'twilio' } as const;

  it('a NUL in a stored value → invalid_config naming the field, not a DatabaseError', async () => {
    const store = createPostgresConfigStore(get().db, { schema: get().schema });
    const err = await expectSmsError(store.upsert(key, 'v1:k1:\u0000secret-part'), 'invalid_config', [
      'secret-part',
    ]);
    expect(err.message).toContain('"config"');
    expect(err.message).toMatch(/SQLSTATE 22021/);
    const row = await store.upsert(key, 'v1:k1:a:b:c');
    const marked = store.markVerified(
      key,
      { id: row.id, configVersion: row.configVersion },
      { ok: false, error: 'bad\u0000error' },
    );
    expect((await expectSmsError(marked, 'invalid_config')).message).toContain('"record.error"');
  });

  it('a malformed id → invalid_config naming it (22P02), without echoing the value', async () => {
    const store = createPostgresConfigStore(get().db, { schema: get().schema });
    const err = await expectSmsError(store.listBatch('not-a-uuid-xyz', 5), 'invalid_config', [
      'not-a-uuid-xyz',
    ]);
    expect(err.message).toContain('"afterId"');
  });
});
