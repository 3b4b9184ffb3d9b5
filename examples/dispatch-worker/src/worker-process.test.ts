// The worker as a process (src/worker.mjs), as the load test runs it: SIGTERM drains (in-flight jobs finish, or
// are aborted after DRAIN_TIMEOUT_MS without leaving a claim behind), and SIGKILL mid-send is covered by BullMQ's
// stalled-job redelivery plus the ledger (one provider message). Needs Redis + PostgreSQL (see test-services.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SmsLedger } from '@leadmetrics/provider-sms';
import type { Msg91Emulator, TwilioEmulator } from '@leadmetrics/provider-sms/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from './producer.mjs';
import { type Fixture, startFixture } from './test-fixture.js';
import {
  checkServices,
  DATABASE_URL,
  obliterateQueue,
  REDIS_URL,
  uniqueName,
  waitFor,
} from './test-services.js';

const services = await checkServices('worker-process.test');
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const WEBHOOKS = fileURLToPath(new URL('./webhook-server-main.mjs', import.meta.url));
const MSG91_SECRET = 'msg91-proc-secret-0123456789';
const TENANT = 'tenant-proc';

let fx: Fixture;
let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
let ledger: SmsLedger;
const cleanups: Array<() => Promise<unknown>> = [];

type Event = Record<string, unknown> & { event: string };

/** A worker process on `queueName`; its stderr events are collected, stdout must stay empty. */
function spawnWorker(queueName: string, env: Record<string, string> = {}) {
  return spawnEntry(WORKER, { SMS_QUEUE: queueName, ...env });
}

/** `node <file>` with the suite's environment plus `env`; collects its stderr events. */
function spawnEntry(file: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [file], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL,
      REDIS_URL,
      PROVIDER_CONFIG_KEYS: fx.keyRing,
      PROVIDER_SMS_SCHEMA: fx.schema,
      MSG91_AUTH_KEY: msg91.authKey,
      MSG91_TEMPLATE_ID: msg91.templateId,
      MSG91_API_BASE_URL: msg91.url,
      TWILIO_API_BASE_URL: twilio.url,
      SMS_REQUEST_TIMEOUT_MS: '5000',
      SMS_SETTLE_MS: '300',
      UNKNOWN_RECHECK_MS: '300',
      RECONCILE_INTERVAL_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Event[] = [];
  let stdout = '';
  let rest = '';
  child.stdout?.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr?.on('data', (d) => {
    const lines = (rest + String(d)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as Event);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    // No secret in any log line: the key ring, the MSG91 auth key, the tenant's Twilio token.
    const logged = JSON.stringify(events);
    for (const secret of [fx.keyRing.slice(3), msg91.authKey, twilio.authToken])
      expect(logged).not.toContain(secret);
  });
  const has = (pred: (e: Event) => boolean) => events.some(pred);
  return {
    child,
    events,
    exited,
    stdout: () => stdout,
    ready: (event = 'ready') =>
      waitFor(`the process to say ${event}`, () => has((e) => e.event === event), 20_000),
    event: (name: string) => events.find((e) => e.event === name),
    started: (n: number) =>
      waitFor(`${n} job starts`, () => events.filter((e) => e.event === 'job').length >= n),
  };
}

/** A producer on a fresh queue (obliterated after the test). */
function queue() {
  const queueName = uniqueName('dw-proc');
  const producer = createProducer({ redisUrl: REDIS_URL, queueName });
  cleanups.push(async () => {
    await producer.close();
    await obliterateQueue(queueName);
  });
  const states = async (ids: string[]) => Promise.all(ids.map((id) => producer.queue.getJobState(id)));
  return { queueName, producer, states };
}

const sent = (body: string) => twilio.messages.filter((m) => m.body === body).length;
const claimedRows = async () => (await ledger.list({ state: 'claimed', tenantId: TENANT })).length;

describe.skipIf(services.skip)('the worker process (src/worker.mjs)', () => {
  beforeAll(async () => {
    services.assert();
    fx = await startFixture('dw_proc', TENANT);
    ({ twilio, msg91, ledger } = fx);
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('SIGTERM drains: in-flight jobs finish, nothing is left active or claimed, exit 0, stdout empty', async () => {
    const q = queue();
    const w = spawnWorker(q.queueName);
    await w.ready();
    twilio.inject({ delayMs: 1_200, times: 3 }); // recorded at once, answered 1.2 s later
    const ids = await Promise.all(
      [1, 2, 3].map((i) =>
        q.producer.enqueue({
          tenantId: TENANT,
          notificationId: `drain-${i}`,
          message: { to: '+14155550111', body: `drain ${i}` },
        }),
      ),
    );
    await w.started(3);
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.events.map((e) => e.event)).toEqual(expect.arrayContaining(['draining', 'closed']));
    expect(await q.states(ids)).toEqual(['completed', 'completed', 'completed']);
    expect(await q.producer.queue.getActiveCount()).toBe(0);
    expect(await claimedRows()).toBe(0);
    for (const i of [1, 2, 3]) expect(sent(`drain ${i}`)).toBe(1);
    expect(w.stdout()).toBe('');
  });

  it('SIGTERM past DRAIN_TIMEOUT_MS aborts the in-flight send: no claim left, and the next worker settles it without a second send', async () => {
    const q = queue();
    const w = spawnWorker(q.queueName, { DRAIN_TIMEOUT_MS: '200' });
    await w.ready();
    twilio.inject({ delayMs: 4_000 });
    const id = await q.producer.enqueue({
      tenantId: TENANT,
      notificationId: 'abort-1',
      message: { to: '+14155550112', body: 'aborted by the drain' },
    });
    await w.started(1);
    await waitFor('the request to reach Twilio', () => sent('aborted by the drain') === 1);
    w.child.kill('SIGTERM');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(await q.producer.queue.getActiveCount()).toBe(0);
    expect(await claimedRows()).toBe(0);
    expect((await ledger.get(TENANT, 'abort-1'))?.state).toBe('unknown'); // the request had left: it may have been sent

    const next = spawnWorker(q.queueName);
    await waitFor(
      'the job to complete on the next worker',
      async () => (await q.states([id]))[0] === 'completed',
    );
    expect((await q.producer.queue.getJob(id))?.returnvalue).toMatchObject({ deduplicated: true });
    expect(sent('aborted by the drain')).toBe(1);
    next.child.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  });

  it('SIGKILL mid-send: the stalled job is redelivered to another worker and accepted from the evidence, one message', async () => {
    const q = queue();
    const fast = {
      BULLMQ_LOCK_DURATION_MS: '1000',
      BULLMQ_STALLED_INTERVAL_MS: '500',
      LEDGER_LEASE_MS: '1500',
    };
    const a = spawnWorker(q.queueName, fast);
    const b = spawnWorker(q.queueName, fast);
    await Promise.all([a.ready(), b.ready()]);
    twilio.inject({ hang: true }); // recorded, never answered: the worker dies waiting
    const id = await q.producer.enqueue({
      tenantId: TENANT,
      notificationId: 'kill-1',
      message: { to: '+14155550113', body: 'the worker died mid-send' },
    });
    await waitFor('the request to reach Twilio', () => sent('the worker died mid-send') === 1);
    const victim = a.events.some((e) => e.event === 'job') ? a : b;
    const survivor = victim === a ? b : a;
    victim.child.kill('SIGKILL');
    await waitFor(
      'the job to complete on the survivor',
      async () => (await q.states([id]))[0] === 'completed',
      30_000,
    );
    expect(survivor.events.some((e) => e.event === 'job' && e.jobId === id)).toBe(true);
    expect((await q.producer.queue.getJob(id))?.returnvalue).toMatchObject({ deduplicated: true });
    expect(sent('the worker died mid-send')).toBe(1);
    expect((await ledger.get(TENANT, 'kill-1'))?.state).toBe('accepted');
  });

  it('the webhook process: Twilio callbacks and MSG91 reports from a worker process’s sends reach the ledger; SIGTERM → exit 0', async () => {
    const hooks = spawnEntry(WEBHOOKS, { PORT: '0', MSG91_WEBHOOK_SECRET: MSG91_SECRET, LOG_LEVEL: 'debug' });
    await hooks.ready('listening');
    const url = String(hooks.event('listening')?.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    msg91.dlrUrl = `${url}/msg91/${MSG91_SECRET}`;
    const q = queue();
    const w = spawnWorker(q.queueName, {
      STATUS_WEBHOOK_URL: url,
      WORKER_NAME: 'worker-hooks',
      LOG_LEVEL: 'debug',
    });
    await w.ready();
    expect(w.event('ready')).toMatchObject({ name: 'worker-hooks', queue: q.queueName });
    const send = (tenantId: string, notificationId: string) =>
      q.producer.enqueue({
        tenantId,
        notificationId,
        message: { to: '+14155550114', body: `hooks ${notificationId}` },
      });
    await send(TENANT, 'hook-tw');
    await send('tenant-without-config', 'hook-m9');
    for (const [tenant, id] of [
      [TENANT, 'hook-tw'],
      ['tenant-without-config', 'hook-m9'],
    ])
      await waitFor(
        `${id} delivered`,
        async () => (await ledger.get(tenant as string, id as string))?.status === 'delivered',
      );
    expect((await ledger.get(TENANT, 'hook-tw'))?.provider).toBe('twilio');
    expect((await ledger.get('tenant-without-config', 'hook-m9'))?.provider).toBe('msg91');
    hooks.child.kill('SIGTERM');
    expect(await hooks.exited).toEqual({ code: 0, signal: null });
    const lifecycle = hooks.events.filter((e) => !['log', 'status'].includes(e.event)).map((e) => e.event);
    expect(lifecycle).toEqual(['listening', 'draining', 'closed']);
    expect(hooks.events.filter((e) => e.event === 'status').length).toBeGreaterThanOrEqual(2); // LOG_LEVEL=debug
    expect(w.events.some((e) => e.event === 'log' && e.level === 'debug')).toBe(true);
    for (const body of ['hooks hook-tw', 'hooks hook-m9']) // message bodies stay out of the logs too
      expect(JSON.stringify([...w.events, ...hooks.events])).not.toContain(body);
    expect(hooks.stdout()).toBe('');
  });
});
