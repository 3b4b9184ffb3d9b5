import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { expect, it } from 'vitest';
import { createSmsProviderResolver } from '../resolver.js';
import type { ProviderOptions, SmsProvider } from '../types.js';
import { createConfigCipher } from './cipher.js';
import type { ListenConnection } from './database.js';
import { listenForChanges } from './listen.js';
import type { TwilioConfig } from './schemas.js';
import { createSmsConfigService } from './service.js';
import { createPostgresConfigStore, type SmsConfigStore } from './store.js';
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

  it('a NOTIFY payload that is not a tenant id is ignored (invalidate refuses it); later ones still apply', async () => {
    const { db, schema } = get();
    const resolver = createSmsProviderResolver({
      store: createPostgresConfigStore(db, { schema }),
      cipher,
      platformDefault,
    });
    const invalidated: string[] = [];
    const conn = await get().openListenConnection();
    const l = await listenForChanges(
      conn,
      {
        invalidate: (t) => {
          resolver.invalidate(t); // throws invalid_config for ' padded'
          invalidated.push(t);
        },
      },
      { schema },
    );
    try {
      const channel = createPostgresConfigStore(db, { schema }).changeChannel;
      await db.query('SELECT pg_notify($1, $2)', [channel, ' padded']);
      await createPostgresConfigStore(db, { schema }).notify('after');
      await waitFor(() => invalidated.includes('after'));
      expect(invalidated).toEqual(['after']);
    } finally {
      await l.close();
    }
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

  it('postgres: a terminated LISTEN backend is replaced through reconnect and notifications flow again', async () => {
    const { db, schema, kind } = get();
    if (kind !== 'postgres') return;
    const pg = (await import('pg')).default;
    const open = async () => {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    const first = await open();
    const invalidated: string[] = [];
    let reconnects = 0;
    const l = await listenForChanges(
      first,
      { invalidate: (t) => invalidated.push(t), expireAll: () => undefined },
      {
        schema,
        reconnectDelayMs: 10,
        reconnect: async () => {
          reconnects++;
          const c = await open();
          return { connection: c, close: () => c.end() };
        },
      },
    );
    const store = createPostgresConfigStore(db, { schema });
    try {
      const pid = (await first.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await db.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor(async () => {
        await store.notify('after-reconnect');
        return invalidated.includes('after-reconnect');
      });
      expect(reconnects).toBe(1);
    } finally {
      await l.close();
      await first.end().catch(() => undefined);
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

/** A stand-in for a pg.Client: records statements; `lose()` emits what pg emits when the server goes away. */
class FakePgClient extends EventEmitter {
  statements: string[] = [];
  ended = 0;
  async query(text: string) {
    this.statements.push(text);
    return { rows: [] };
  }
  lose() {
    this.emit('error', new Error('Connection terminated unexpectedly (postgres://u:hunter2@db:5432/x)'));
    this.emit('end');
  }
  notify(tenantId: string) {
    this.emit('notification', { channel: 'notification_providers_changed', payload: tenantId });
  }
}

const logs: Array<{ level: string; fields: unknown; msg?: string }> = [];
const logger = {
  debug() {},
  info: (fields: unknown, msg?: string) => logs.push({ level: 'info', fields, msg }),
  warn: (fields: unknown, msg?: string) => logs.push({ level: 'warn', fields, msg }),
  error: (fields: unknown, msg?: string) => logs.push({ level: 'error', fields, msg }),
};

/** A resolver over an in-memory store that can be taken down. */
const memoryResolver = () => {
  const state = { down: false, reads: 0 };
  const store = {
    get: async (k: { tenantId: string }) => {
      state.reads++;
      if (state.down) throw new Error('connect ECONNREFUSED');
      return {
        id: `id-${k.tenantId}`,
        tenantId: k.tenantId,
        channel: 'sms',
        provider: 'twilio',
        config: cipher.encrypt(JSON.stringify(cfg('tok-12345678')), {
          tenantId: k.tenantId,
          channel: 'sms',
          provider: 'twilio',
        }),
        enabled: true,
        verifiedAt: new Date(),
        verificationError: null,
        configVersion: 1,
        createdAt: new Date(),
        updatedAt: new Date(),
      };
    },
  } as unknown as SmsConfigStore;
  const resolver = createSmsProviderResolver({
    store,
    cipher,
    platformDefault,
    createTwilioProvider: fake,
    cacheTtlMs: 3_600_000,
  });
  return { resolver, state };
};

it('a lost LISTEN connection expires the cache instead of clearing it: a database outage still serves it', async () => {
  const { resolver, state } = memoryResolver();
  const conn = new FakePgClient();
  const l = await listenForChanges(conn, resolver, { logger });
  const first = await resolver.resolve('t1');
  expect(first.source).toBe('tenant');
  state.down = true;
  conn.lose(); // typically the same outage takes the LISTEN connection down
  expect(resolver.size).toBe(1);
  expect(await resolver.resolve('t1')).toBe(first); // stale-if-error
  state.down = false;
  const reads = state.reads;
  await resolver.resolve('t1'); // expired: refreshed from the healthy store
  expect(state.reads).toBe(reads + 1);
  expect(JSON.stringify(logs)).not.toContain('hunter2');
  expect(conn.listenerCount('error')).toBeGreaterThan(0); // a late 'error' never goes unhandled
  await l.close();
});

it('reconnect: a lost pg.Client is replaced (retrying failures), re-LISTENs, and close() releases what it opened', async () => {
  const { resolver, state } = memoryResolver();
  const invalidated: string[] = [];
  const target = {
    invalidate: (t: string) => {
      invalidated.push(t);
      resolver.invalidate(t);
    },
    expireAll: () => resolver.expireAll(),
  };
  const first = new FakePgClient();
  const opened: FakePgClient[] = [];
  let failures = 1;
  const reconnect = async (): Promise<ListenConnection> => {
    if (failures-- > 0) throw new Error('connect ECONNREFUSED postgres://db:5432/x?password=hunter2');
    const c = new FakePgClient();
    opened.push(c);
    return {
      connection: c,
      close: async () => {
        c.ended++;
      },
    };
  };
  const l = await listenForChanges(first, target, { logger, reconnect, reconnectDelayMs: 5 });
  await resolver.resolve('t1');
  first.lose();
  await waitFor(() => opened.length === 1 && opened[0]!.statements.some((s) => s.startsWith('LISTEN')));
  expect(opened[0]!.statements).toEqual(['LISTEN "notification_providers_changed"']);
  // Entries cached meanwhile are refreshed (their notifications may have been missed).
  const reads = state.reads;
  await resolver.resolve('t1');
  expect(state.reads).toBe(reads + 1);
  opened[0]!.notify('t1');
  first.notify('t-old'); // the dead connection is ignored
  expect(invalidated).toEqual(['t1']);
  // Losing the replacement replaces it again and releases it once.
  opened[0]!.lose();
  await waitFor(() => opened.length === 2 && opened[1]!.statements.length === 1);
  expect(opened[0]!.ended).toBe(1);
  await l.close();
  expect(opened[1]!.ended).toBe(1);
  expect(opened[1]!.statements.at(-1)).toBe('UNLISTEN "notification_providers_changed"');
  expect(first.statements).toEqual(['LISTEN "notification_providers_changed"']); // the caller's: not closed by us
  expect(JSON.stringify(logs)).not.toContain('hunter2');
  // After close(), the connection's end does not reconnect.
  opened[1]!.emit('end');
  await new Promise((r) => setTimeout(r, 30));
  expect(opened).toHaveLength(2);
});
