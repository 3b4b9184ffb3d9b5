// End to end, in this process: createDispatchWorker + the webhook server against the live-mode emulators, Redis
// and PostgreSQL. A job per outcome, a re-enqueued id, status callbacks and reports reaching the ledger, and the
// LISTEN reconnecting after its backend is terminated. Each test has its own queue (obliterated after); the file
// has its own schema (dropped after).

import { inspect } from 'node:util';
import { Msg91Provider, type SmsLedger } from '@leadmetrics/provider-sms';
import {
  type Msg91Emulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDispatchWorker, type DispatchWorkerOptions } from './dispatch-worker.mjs';
import { jobIdFor } from './job-id.mjs';
import { BACKOFF_TYPE } from './job-outcome.mjs';
import { createProducer } from './producer.mjs';
import { type Fixture, startFixture } from './test-fixture.js';
import {
  checkServices,
  DATABASE_URL,
  deleteKeys,
  obliterateQueue,
  REDIS_URL,
  uniqueName,
  waitFor,
} from './test-services.js';
import { startWebhookServer } from './webhook-server.mjs';
import { readWorkerEnv } from './worker-env.mjs';

const services = await checkServices('dispatch-worker.e2e.test');
const MSG91_SECRET = 'msg91-e2e-secret-0123456789';
const TW = 'tenant-twilio'; // a verified Twilio config
const M9 = 'tenant-msg91'; // no config: the MSG91 default

let fx: Fixture;
let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
let ledger: SmsLedger;
let webhook: { url: string; close(): Promise<void> };
const cleanups: Array<() => Promise<unknown>> = [];

/** A running worker + producer on a fresh queue, with the worker's events; closed after the test. */
async function stack(overrides: Partial<DispatchWorkerOptions> = {}) {
  const queueName = overrides.queueName ?? uniqueName('dw-e2e');
  const events: Array<Record<string, unknown>> = [];
  const running = await createDispatchWorker({
    databaseUrl: DATABASE_URL,
    schema: fx.schema,
    cipher: fx.cipher,
    platformDefault: new Msg91Provider(
      { authKey: msg91.authKey, templateId: msg91.templateId },
      { apiBaseUrl: msg91.url, timeoutMs: 2_000 },
    ),
    twilioOptions: { apiBaseUrl: twilio.url, timeoutMs: 2_000 },
    statusCallbackBaseUrl: `${webhook.url}/twilio`,
    redisUrl: REDIS_URL,
    queueName,
    concurrency: 4,
    requestTimeoutMs: 2_000,
    settleMs: 500,
    leaseMs: 3_000,
    unknownRecheckMs: 300,
    settledRecheckMs: 300,
    reconcileIntervalMs: 0,
    drainTimeoutMs: 5_000,
    lockDurationMs: 5_000,
    stalledIntervalMs: 1_000,
    maxStalledCount: 50,
    maxStartedAttempts: 50,
    emit: (event, fields = {}) => events.push({ event, ...fields }),
    ...overrides,
  });
  const producer = createProducer({ redisUrl: REDIS_URL, queueName });
  cleanups.push(async () => {
    await running.close();
    await producer.close();
    await obliterateQueue(queueName);
  });
  /** Enqueues and waits until the job completed or failed; returns it (re-read). */
  const run = async (tenantId: string, notificationId: string, body: string, to = '+14155550100') => {
    const jobId = await producer.enqueue({ tenantId, notificationId, message: { to, body } });
    await waitFor(`job ${jobId} to finish`, async () =>
      ['completed', 'failed'].includes(await producer.queue.getJobState(jobId)),
    );
    return (await producer.queue.getJob(jobId)) as Job;
  };
  const starts = (jobId: string | undefined) => events.filter((e) => e.event === 'job' && e.jobId === jobId);
  return { running, producer, events, run, starts };
}

/**
 * As a worker SIGKILLed mid-send leaves it, then reconciled too early: an `unknown` Twilio row whose attempt's settle
 * deadline has passed, with nothing at Twilio (a sweep proves it absent → `deferred`).
 */
async function unknownTwilioRow(notificationId: string, message: { to: string; body: string }) {
  const { to } = message;
  const lease = { tenantId: TW, notificationId, leaseId: `lease-of-a-dead-worker-${notificationId}` };
  const fp = ledger.fingerprint(to, message);
  const bodyFingerprint = ledger.fingerprint(to, { to, body: message.body }, fp.keyId).value;
  expect(
    (
      await ledger.claim({
        ...lease,
        recipient: to,
        fingerprint: fp.value,
        fingerprintKeyId: fp.keyId,
        bodyFingerprint,
      })
    ).claimed,
  ).toBe(true);
  const startedAt = new Date(Date.now() - 10_000);
  const attempt = {
    id: `attempt-of-a-dead-worker-${notificationId}`,
    startedAt,
    settleBy: new Date(Date.now() - 5_000),
  };
  expect(
    await ledger.recordAttempt(lease, {
      ...attempt,
      provider: 'twilio',
      accountSid: twilio.accountSid,
      sender: TWILIO_VALID_FROM,
    }),
  ).toBe(true);
  await ledger.fail(lease, 'unknown', { code: 'timeout', outcome: 'unknown', message: 'no answer' });
}

const sentTwilio = (body: string) => twilio.messages.filter((m) => m.body === body).length;
const sentMsg91 = (body: string) =>
  msg91.messages.filter((m) => JSON.stringify(m).includes(JSON.stringify(body).slice(1, -1))).length;

describe.skipIf(services.skip)('dispatch worker end to end (Redis + PostgreSQL, live emulators)', () => {
  beforeAll(async () => {
    services.assert();
    fx = await startFixture('dw_e2e', TW);
    ({ twilio, msg91, ledger } = fx);
    webhook = await startWebhookServer({
      databaseUrl: DATABASE_URL,
      schema: fx.schema,
      cipher: fx.cipher,
      host: '127.0.0.1',
      port: 0,
      msg91Secret: MSG91_SECRET,
    });
    msg91.dlrUrl = `${webhook.url}/msg91/${MSG91_SECRET}`;
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    await webhook?.close();
    await fx?.close();
  });

  it('accepted → completed: a verified tenant through Twilio, another through the MSG91 default', async () => {
    const s = await stack();
    const tw = await s.run(TW, 'acc-1', 'accepted via twilio');
    const m9 = await s.run(M9, 'acc-1', 'accepted via msg91');
    expect(await tw.getState()).toBe('completed');
    expect(tw.returnvalue).toMatchObject({ provider: 'twilio', deduplicated: false });
    expect(m9.returnvalue).toMatchObject({ provider: 'msg91', deduplicated: false });
    expect(tw.id).not.toBe(m9.id); // the same notification id in two tenants: two jobs
    expect(sentTwilio('accepted via twilio')).toBe(1);
    expect(sentMsg91('accepted via msg91')).toBe(1);
    expect((await ledger.get(TW, 'acc-1'))?.state).toBe('accepted');
    expect((await ledger.get(M9, 'acc-1'))?.state).toBe('accepted');
  });

  it('rejected → failed with no retry', async () => {
    const s = await stack();
    const job = await s.run(TW, 'rej-1', 'to an invalid number', '+15005550001');
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/^invalid_recipient \(rejected\)/);
    expect(job.attemptsMade).toBe(1); // of 20
    expect(s.starts(job.id)).toHaveLength(1);
    expect((await ledger.get(TW, 'rej-1'))?.state).toBe('rejected');
    await waitFor('job-rejected', async () => s.events.some((e) => e.event === 'job-rejected'));
    expect(s.events.filter((e) => String(e.event).startsWith('job-') && e.event !== 'job-done')).toEqual([
      {
        event: 'job-rejected',
        level: 'warn',
        jobId: job.id,
        notificationId: 'rej-1',
        state: 'rejected',
        code: 'invalid_recipient',
      },
    ]);
    await new Promise((r) => setTimeout(r, 1_500)); // longer than the first backoff: still not run again
    expect(s.starts(job.id)).toHaveLength(1);
  });

  it('deferred (429 on every in-process try) → retried with backoff, then accepted, one message', async () => {
    const s = await stack();
    twilio.inject({
      status: 429,
      json: { code: 20429, message: 'Too Many Requests', status: 429 },
      times: 3,
    });
    const job = await s.run(TW, 'def-1', 'deferred then sent');
    expect(await job.getState()).toBe('completed');
    const done = s.events.filter((e) => e.event === 'job-done' && e.jobId === job.id);
    expect(done.map((e) => [e.outcome, e.state])).toEqual([
      ['retry', 'deferred'],
      ['complete', 'accepted'],
    ]);
    expect(job.attemptsMade).toBe(2); // BullMQ counts finished attempts: the retried one and the completed one
    expect(sentTwilio('deferred then sent')).toBe(1);
  });

  it('unknown (recorded, then the connection reset) → asked again after retryAfterMs, accepted without a second send', async () => {
    const s = await stack();
    twilio.inject({ resetSocket: 'mid-response' });
    const job = await s.run(TW, 'unk-1', 'sent but the answer was lost');
    expect(await job.getState()).toBe('completed');
    const done = s.events.filter((e) => e.event === 'job-done' && e.jobId === job.id);
    expect(done[0]).toMatchObject({ outcome: 'delay', state: 'unknown' });
    expect(done[0]?.delayMs).toBeLessThanOrEqual(300);
    expect(done.at(-1)).toMatchObject({ outcome: 'complete', state: 'accepted', deduplicated: true });
    expect(job.attemptsMade).toBe(1); // only the completed run: a delayed re-ask uses no attempt
    expect(s.starts(job.id).length).toBeGreaterThanOrEqual(2);
    expect(sentTwilio('sent but the answer was lost')).toBe(1);
    expect((await ledger.get(TW, 'unk-1'))?.state).toBe('accepted');
  });

  it('a sweep that proves a notification absent wakes its delayed job, which then sends it once', async () => {
    // As a job left asleep by an unknown outcome past its settle deadline: an unknown row whose attempt's deadline has
    // passed, with nothing at Twilio, and its job delayed by a minute.
    const s = await stack({ reconcileIntervalMs: 300 });
    const message = { to: '+14155550100', body: 'proved absent, then sent' };
    await unknownTwilioRow('swept-1', message);
    const jobId = jobIdFor(TW, 'swept-1');
    await s.producer.queue.add(
      'sms',
      { tenantId: TW, notificationId: 'swept-1', message },
      { jobId, delay: 60_000 },
    );
    await waitFor(
      'the promoted job to complete',
      async () => (await s.producer.queue.getJobState(jobId)) === 'completed',
    );
    expect(s.events.some((e) => e.event === 'sweep' && Number(e.deferred) >= 1)).toBe(true);
    expect(s.events.filter((e) => e.event === 'job-done' && e.jobId === jobId)).toEqual([
      expect.objectContaining({ outcome: 'complete', deduplicated: false }),
    ]);
    expect(sentTwilio('proved absent, then sent')).toBe(1);
  });

  it('a job that used up its attempts (a sustained 429) logs job-abandoned at error level', async () => {
    const s = await stack();
    twilio.inject({
      status: 429,
      json: { code: 20429, message: 'Too Many Requests', status: 429 },
      times: 6, // every in-process try of both attempts
    });
    const jobId = jobIdFor(TW, 'abandon-1');
    const message = { to: '+14155550100', body: 'given up' };
    await s.producer.queue.add(
      'sms',
      { tenantId: TW, notificationId: 'abandon-1', message },
      { jobId, attempts: 2, backoff: { type: BACKOFF_TYPE } },
    );
    await waitFor('job-abandoned', async () => s.events.some((e) => e.event === 'job-abandoned'));
    expect(await s.producer.queue.getJobState(jobId)).toBe('failed');
    const done = s.events.filter((e) => e.event === 'job-done' && e.jobId === jobId);
    expect(done.map((e) => e.outcome)).toEqual(['retry', 'retry']);
    expect(s.events.filter((e) => e.event === 'job-abandoned' || e.event === 'job-rejected')).toEqual([
      expect.objectContaining({
        event: 'job-abandoned',
        level: 'error',
        jobId,
        notificationId: 'abandon-1',
        state: 'deferred',
        code: done[1]?.code,
      }),
    ]);
    expect(sentTwilio('given up')).toBe(0);
  });

  it('a sweep that proves absent a notification whose job already failed retries that job, which sends it once', async () => {
    const queueName = uniqueName('dw-e2e');
    const message = { to: '+14155550100', body: 'failed job, proved absent, sent' };
    await unknownTwilioRow('swept-failed', message);
    const jobId = jobIdFor(TW, 'swept-failed');
    // A job BullMQ already failed for good (as after maxStartedAttempts): taken by hand, failed with no attempt left.
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    await queue.add('sms', { tenantId: TW, notificationId: 'swept-failed', message }, { jobId, attempts: 1 });
    const manual = new Worker(queueName, null, { connection });
    const taken = (await manual.getNextJob('manual-token')) as Job;
    await taken.moveToFailed(new Error('job started more than allowable limit'), 'manual-token');
    expect(await queue.getJobState(jobId)).toBe('failed');
    await manual.close();
    await queue.close();
    await connection.quit();
    const s = await stack({ queueName, reconcileIntervalMs: 300 });
    await waitFor(
      'the retried job to complete',
      async () => (await s.producer.queue.getJobState(jobId)) === 'completed',
    );
    expect(s.events.filter((e) => e.event === 'job-done' && e.jobId === jobId)).toEqual([
      expect.objectContaining({ outcome: 'complete', deduplicated: false }),
    ]);
    expect(sentTwilio(message.body)).toBe(1);
  });

  it('a sweep that proves absent a notification whose job is gone reports it orphaned (no body to re-send)', async () => {
    await unknownTwilioRow('orphan-1', { to: '+14155550100', body: 'no job left' });
    const s = await stack({ reconcileIntervalMs: 300 });
    await waitFor('orphaned', async () =>
      s.events.some((e) => e.event === 'orphaned' && e.notificationId === 'orphan-1'),
    );
    expect(s.events.find((e) => e.event === 'orphaned' && e.notificationId === 'orphan-1')).toEqual({
      event: 'orphaned',
      level: 'error',
      jobId: jobIdFor(TW, 'orphan-1'),
      tenantId: TW,
      notificationId: 'orphan-1',
      state: 'deferred',
    });
    expect((await ledger.get(TW, 'orphan-1'))?.state).toBe('deferred');
    expect(sentTwilio('no job left')).toBe(0);
  });

  it('close() during a slow reconcile sweep stops taking jobs at once, then waits for the batch', async () => {
    await unknownTwilioRow('slow-sweep', { to: '+14155550100', body: 'swept slowly' });
    twilio.inject({ delayMs: 1_000 }); // the sweep's lookup (the next Twilio request) answers late, within the timeout
    const s = await stack({ reconcileIntervalMs: 200 });
    await new Promise((r) => setTimeout(r, 400)); // the first sweep (at 150–250 ms) is waiting for Twilio
    let closingAt = 0;
    s.running.worker.on('closing', () => {
      closingAt = Date.now();
    });
    const calledAt = Date.now();
    const closing = s.running.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(s.events.some((e) => e.event === 'sweep')).toBe(false); // the sweep still waits for Twilio
    expect(closingAt).toBeGreaterThan(0); // but BullMQ already stops taking jobs
    expect(closingAt - calledAt).toBeLessThan(100);
    await closing;
    expect(s.events.some((e) => e.event === 'sweep')).toBe(true); // the drain waited for the running batch
  });

  it('the worker holds the redacted options it was given (emit passed beside them): no secret in JSON or inspect', async () => {
    const password = 'trust-ignores-this-pass-77';
    const queueName = uniqueName('dw-e2e');
    const options = readWorkerEnv({
      DATABASE_URL: DATABASE_URL.replace('postgres@', `postgres:${password}@`),
      PROVIDER_CONFIG_KEYS: fx.keyRing,
      PROVIDER_SMS_SCHEMA: fx.schema,
      MSG91_AUTH_KEY: msg91.authKey,
      MSG91_TEMPLATE_ID: msg91.templateId,
      MSG91_API_BASE_URL: msg91.url,
      REDIS_URL,
      SMS_QUEUE: queueName,
      RECONCILE_INTERVAL_MS: '0',
    });
    const running = await createDispatchWorker(options, { emit: () => {} });
    cleanups.push(async () => {
      await running.close();
      await obliterateQueue(queueName);
    });
    expect(running.options).toBe(options);
    const secrets = [password, fx.keyRing.slice(3), msg91.authKey];
    for (const view of [
      JSON.stringify(running.options),
      inspect(running.options, { showHidden: true, depth: 5 }),
    ])
      for (const secret of secrets) expect(view).not.toContain(secret);
    // What the entries did before: a spread copy is a plain object, and shows everything.
    expect(JSON.stringify({ ...options })).toContain(password);
  });

  it('MSG91 unknown past its settle deadline: the job ends "unknown, reported", a late report still settles the row', async () => {
    const s = await stack({ requestTimeoutMs: 300 }); // the settle deadline: ~0.8 s after the send
    const dlrUrl = msg91.dlrUrl;
    msg91.dlrUrl = undefined; // no report before the deadline
    cleanups.push(async () => {
      msg91.dlrUrl = dlrUrl;
    });
    msg91.inject({ resetSocket: 'mid-response' }); // recorded, the answer lost
    const job = await s.run(M9, 'unk-m9', 'msg91 with no report');
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue).toEqual({ state: 'unknown', reason: 'no_lookup' });
    expect(s.events.filter((e) => e.event === 'job-unknown-final')).toEqual([
      {
        event: 'job-unknown-final',
        level: 'warn',
        jobId: job.id,
        notificationId: 'unk-m9',
        state: 'unknown',
        code: expect.any(String),
        reason: 'no_lookup',
      },
    ]);
    expect(s.events.filter((e) => e.event === 'job-done' && e.jobId === job.id).at(-1)).toMatchObject({
      outcome: 'unknown-final',
    });
    expect(sentMsg91('msg91 with no report')).toBe(1);
    expect((await ledger.get(M9, 'unk-m9'))?.state).toBe('unknown');
    const sent = msg91.messages.find((m) => JSON.stringify(m).includes('msg91 with no report'));
    await msg91.fireDeliveryReport(sent?.requestId ?? '', { status: 'delivered', url: dlrUrl });
    await waitFor(
      'the late report to settle the row',
      async () => (await ledger.get(M9, 'unk-m9'))?.state === 'accepted',
    );
  });

  it('SMS_PACING=redis: one tenant number’s messages go out a slot apart (1 segment/s for a US long code)', async () => {
    const keyPrefix = `${uniqueName('dw-pacing')}:`;
    cleanups.push(() => deleteKeys(`${keyPrefix}*`));
    const s = await stack({ pacing: { keyPrefix, maxQueueDelayMs: 10_000 } });
    const jobs = await Promise.all(['p1', 'p2', 'p3'].map((id) => s.run(TW, id, `paced ${id}`)));
    for (const job of jobs) expect(await job.getState()).toBe('completed');
    const times = twilio.messages
      .filter((m) => m.body.startsWith('paced '))
      .map((m) => m.createdAt.getTime())
      .sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    // Slots 1.025 s apart: the third is never early, so the spread is 2.05 s less the first's lateness (a first
    // Twilio call may be slow under load); without pacing the three arrive within a few ms.
    expect((times[2] as number) - (times[0] as number)).toBeGreaterThanOrEqual(1_000);
  });

  it('the same notification id enqueued again after its job was removed → no second provider message', async () => {
    const s = await stack();
    for (const [tenant, id] of [
      [TW, 'again-tw'],
      [M9, 'again-m9'],
    ] as const) {
      const first = await s.run(tenant, id, `once only ${id}`);
      expect(first.returnvalue).toMatchObject({ deduplicated: false });
      await first.remove();
      const second = await s.run(tenant, id, `once only ${id}`);
      expect(s.starts(second.id)).toHaveLength(2); // BullMQ ran it again: its dedupe had lapsed
      expect(second.returnvalue).toMatchObject({
        deduplicated: true,
        messageId: first.returnvalue.messageId,
      });
    }
    expect(sentTwilio('once only again-tw')).toBe(1);
    expect(sentMsg91('once only again-m9')).toBe(1);
  });

  it('a Twilio status callback and an MSG91 report reach the ledger row through the webhook process', async () => {
    const s = await stack();
    await s.run(TW, 'hook-tw', 'status via callback');
    await s.run(M9, 'hook-m9', 'status via report');
    await waitFor(
      'the Twilio row to be delivered',
      async () => (await ledger.get(TW, 'hook-tw'))?.status === 'delivered',
    );
    await waitFor(
      'the MSG91 row to be delivered',
      async () => (await ledger.get(M9, 'hook-m9'))?.status === 'delivered',
    );
    expect(
      twilio.callbacks.some(
        (c) => c.url.startsWith(`${webhook.url}/twilio/${TW}`) && c.responseStatus === 200,
      ),
    ).toBe(true);
  });

  it('LISTEN reconnects after its backend is terminated (pg_terminate_backend)', async () => {
    const s = await stack();
    const listeners = async () =>
      (
        await fx.database.db.query('SELECT pid FROM pg_stat_activity WHERE query = $1', [
          `LISTEN "notification_providers_changed:${fx.schema}"`,
        ])
      ).rows.map((r) => Number((r as { pid: number }).pid));
    await waitFor('the LISTEN backends (worker + webhook)', async () => (await listeners()).length === 2);
    const before = await listeners();
    await fx.database.db.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
    await waitFor('a lost LISTEN to be logged', () =>
      s.events.some((e) => e.event === 'log' && String(e.msg).startsWith('LISTEN connection lost')),
    );
    await waitFor('two new LISTEN backends', async () => {
      const now = await listeners();
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    });
    // And the worker still dispatches.
    expect((await s.run(M9, 'after-listen', 'after the reconnect')).returnvalue).toMatchObject({
      provider: 'msg91',
    });
  });
});
