// End to end, as dispatch-worker.e2e.test.ts: how jobs end and wake up. A job that gives up retrying, a failed job
// retried by a sweep that proved its notification absent, an orphaned notification, a drain during a slow sweep,
// an MSG91 row no lookup can decide, and the redacted options the worker holds.
import { inspect } from 'node:util';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createDispatchWorker } from './dispatch-worker.mjs';
import {
  cleanups,
  fx,
  ledger,
  M9,
  msg91,
  sentMsg91,
  sentTwilio,
  stack,
  TW,
  twilio,
  unknownTwilioRow,
  useE2eStack,
} from './e2e-stack.js';
import { jobIdFor } from './job-id.mjs';
import { BACKOFF_TYPE } from './job-outcome.mjs';
import {
  checkServices,
  DATABASE_URL,
  obliterateQueue,
  REDIS_URL,
  uniqueName,
  waitFor,
} from './test-services.js';
import { readWorkerEnv } from './worker-env.mjs';

const services = await checkServices('job-lifecycle.e2e.test');

describe.skipIf(services.skip)('job lifecycle end to end (Redis + PostgreSQL, live emulators)', () => {
  useE2eStack(services, 'dw_life');

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
});
