// Slots shared across processes through a real Redis (127.0.0.1:6379, REDIS_URL overrides). Without Redis the
// suite is skipped with a printed reason, except under CI (CI=true), where it must run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmsSender, type SmsSenderEvent } from '../sender.js';
import type { SmsProvider } from '../types.js';
import { createRedisPacingStore } from './redis-pacing-store.js';
import type { SmsPacingSender } from './sender-key.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(PKG, 'dist', 'index.js');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sms:pacing:test:${randomUUID()}:`;

async function redisUp(): Promise<string | undefined> {
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
    return undefined;
  } catch (e) {
    return `Redis at ${REDIS_URL} is unreachable (${(e as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

const down = await redisUp();
if (down && !process.env.CI)
  console.warn(`[redis-pacing-store.test] skipped: ${down}; set CI=true to require it`);

const sender = (name: string): SmsPacingSender => ({
  key: `twilio:AC${'0'.repeat(32)}:${name}`,
  kind: 'us_ca_long_code',
});
const children: ChildProcess[] = [];
let redis: Redis;

/** A child process that reserves `n` slots of one sender through the built package, after 'go' on stdin. */
function reserver(key: string, n: number): { child: ChildProcess; slots: Promise<[number, number][]> } {
  const script = `
    const { Redis } = await import('ioredis');
    const m = await import(${JSON.stringify(DIST)});
    const redis = new Redis(${JSON.stringify(REDIS_URL)});
    const store = m.createRedisPacingStore(redis, { keyPrefix: ${JSON.stringify(PREFIX)} });
    const sender = { key: ${JSON.stringify(key)}, kind: 'us_ca_long_code' };
    process.stdout.write('ready\\n');
    await new Promise((r) => process.stdin.once('data', r));
    const slots = [];
    for (let i = 0; i < ${n}; i++) {
      const r = await store.reserve({ sender, segments: 1 + (i % 3), segmentsPerSecond: 1, maxWaitMs: 3_600_000 });
      if (!r.accepted) throw new Error('refused');
      slots.push([r.slotAt, r.endsAt]);
    }
    process.stdout.write(JSON.stringify(slots) + '\\n');
    redis.disconnect();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PKG,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  const slots = new Promise<[number, number][]>((resolve, reject) => {
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('['));
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`reserver exited with ${code}: ${out}`));
    });
  });
  return { child, slots };
}

const ready = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    const on = (d: Buffer) => {
      if (String(d).includes('ready')) {
        child.stdout?.off('data', on);
        resolve();
      }
    };
    child.stdout?.on('data', on);
  });

describe.skipIf(down !== undefined && !process.env.CI)('Redis pacing store (real Redis)', () => {
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    if (!existsSync(DIST) || !readFileSync(DIST, 'utf8').includes('createRedisPacingStore'))
      execFileSync('pnpm', ['exec', 'tsup'], { cwd: PKG, stdio: 'ignore' });
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('three processes sharing one sender reserve slots that never overlap', async () => {
    const key = sender('+14155550101').key;
    const procs = [0, 1, 2].map(() => reserver(key, 39));
    await Promise.all(procs.map((p) => ready(p.child)));
    for (const p of procs) p.child.stdin?.end('go\n');
    const perProcess = await Promise.all(procs.map((p) => p.slots));
    const all = perProcess.flat().sort((a, b) => a[0] - b[0]);
    expect(all).toHaveLength(117);
    for (let i = 1; i < all.length; i++) {
      const [prev, cur] = [all[i - 1] as [number, number], all[i] as [number, number]];
      expect(cur[0]).toBeGreaterThanOrEqual(prev[1]); // starts no earlier than the previous slot ends
    }
    // Each slot holds its segments at 1 segment/s: 13 × (1 + 2 + 3) = 78 s per process.
    const held = all.reduce((sum, [a, b]) => sum + (b - a), 0);
    expect(held).toBeCloseTo(3 * 78_000, 0);
    for (const slots of perProcess) expect(slots).toHaveLength(39);
  }, 60_000);

  it('a refused reservation takes nothing; only the latest slot can be given back; snapshot shows the queue', async () => {
    const store = createRedisPacingStore(redis, { keyPrefix: PREFIX });
    const s = sender('+14155550102');
    const req = { sender: s, segments: 1, segmentsPerSecond: 1, maxWaitMs: 1500 };
    const a = await store.reserve(req);
    const b = await store.reserve(req);
    const c = await store.reserve(req); // would wait ~2 s > 1.5 s
    expect([a.accepted, b.accepted, c.accepted]).toEqual([true, true, false]);
    if (!a.accepted || !b.accepted) throw new Error('unreachable');
    expect(b.slotAt).toBe(a.endsAt);
    await a.release(); // not the latest: kept (giving it back would overlap b)
    const [state] = await store.snapshot();
    expect(state).toMatchObject({ key: s.key, kind: 'us_ca_long_code', segmentsPerSecond: 1 });
    expect(state?.queueDelayMs).toBeGreaterThan(1000);
    await b.release(); // the latest: given back
    const d = await store.reserve(req);
    expect(d).toMatchObject({ accepted: true, slotAt: b.slotAt });
    expect(await redis.pttl(PREFIX + s.key)).toBeGreaterThan(0); // keys expire once idle
  });

  it('createSmsSender({ pacing: { redis } }) waits for the shared slot and refuses past maxQueueDelayMs', async () => {
    const s = sender('+14155550103');
    let calls = 0;
    const provider = {
      name: 'twilio',
      pacingSender: s,
      send: async () => ({
        messageId: `SM${++calls}`,
        provider: 'twilio',
        status: 'queued',
        segments: 1,
        encoding: 'GSM-7',
      }),
      verify: async () => {},
    } as SmsProvider;
    const events: SmsSenderEvent[] = [];
    let t = 0;
    const clock = {
      now: () => t,
      setTimeout: (fn: () => void, ms: number) =>
        setImmediate(() => {
          t += ms;
          fn();
        }),
      clearTimeout: () => {},
    };
    const sms = createSmsSender({
      resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
      clock,
      retry: false,
      onEvent: (e) => events.push(e),
      pacing: { redis, redisKeyPrefix: PREFIX, maxQueueDelayMs: 1_500 },
    });
    const msg = { to: '+14155552671', body: 'code 1234' };
    const r = await Promise.allSettled([sms.send('t1', msg), sms.send('t1', msg), sms.send('t1', msg)]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((r[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'sender_queue_full',
      outcome: 'not_sent',
    });
    expect(events.filter((e) => e.type === 'pacing').map((e) => e.pacing)).toEqual(['wait', 'refused']);
    expect(calls).toBe(2);
  });
});

describe('Redis pacing store (client doubles)', () => {
  const req = { sender: sender('+14155550104'), segments: 1, segmentsPerSecond: 1, maxWaitMs: 0 };

  it('loads the script with EVAL when the server answers NOSCRIPT', async () => {
    const calls: string[] = [];
    const client = {
      evalsha: async () => {
        calls.push('evalsha');
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
      eval: async () => {
        calls.push('eval');
        return [1, 5_000_000, 5_000_000, 6_000_000];
      },
    };
    const r = await createRedisPacingStore(client).reserve(req);
    expect(r).toMatchObject({ accepted: true, waitMs: 0, slotAt: 5000, endsAt: 6000 });
    expect(calls).toEqual(['evalsha', 'eval']);
  });

  it('a Redis failure is provider_unavailable, not_sent, retryable, and carries nothing of the client error', async () => {
    const client = {
      evalsha: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379'), {
          code: 'ECONNREFUSED',
        });
      },
      eval: async () => [],
    };
    const e = await createRedisPacingStore(client)
      .reserve(req)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'provider_unavailable', outcome: 'not_sent', retryable: true });
    expect(JSON.stringify(e)).not.toContain('hunter2');
    expect((e as Error).message).toContain('ECONNREFUSED');
  });
});
