// The end-to-end tests' shared stack: the emulators, the webhook server and a schema per test file (live bindings:
// `startE2e` fills them), a worker + producer per test on a fresh queue, and the rows a crashed worker leaves.
import { Msg91Provider, type SmsLedger } from '@leadmetrics/provider-sms';
import {
  type Msg91Emulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import type { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createDispatchWorker, type DispatchWorkerOptions } from './dispatch-worker.mjs';
import { createProducer } from './producer.mjs';
import { type Fixture, startFixture } from './test-fixture.js';
import { DATABASE_URL, obliterateQueue, REDIS_URL, uniqueName, waitFor } from './test-services.js';
import { startWebhookServer } from './webhook-server.mjs';

export const MSG91_SECRET = 'msg91-e2e-secret-0123456789';
export const TW = 'tenant-twilio'; // a verified Twilio config
export const M9 = 'tenant-msg91'; // no config: the MSG91 default

export let fx: Fixture;
export let twilio: TwilioEmulator;
export let msg91: Msg91Emulator;
export let ledger: SmsLedger;
export let webhook: { url: string; close(): Promise<void> };
export const cleanups: Array<() => Promise<unknown>> = [];

/** A running worker + producer on a fresh queue, with the worker's events; closed after the test. */
export async function stack(overrides: Partial<DispatchWorkerOptions> = {}) {
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
export async function unknownTwilioRow(notificationId: string, message: { to: string; body: string }) {
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

export const sentTwilio = (body: string) => twilio.messages.filter((m) => m.body === body).length;
export const sentMsg91 = (body: string) =>
  msg91.messages.filter((m) => JSON.stringify(m).includes(JSON.stringify(body).slice(1, -1))).length;

/** Starts the fixture (schema `<schemaPrefix>_…`) and the webhook server; MSG91 reports go to it. */
export async function startE2e(schemaPrefix: string) {
  fx = await startFixture(schemaPrefix, TW);
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
}

/** Closes what the last test opened (its workers, producers, queues), newest first. */
export async function runCleanups() {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** Closes the webhook server and the fixture (drops its schema). */
export async function stopE2e() {
  await webhook?.close();
  await fx?.close();
}

/** Registers the file's hooks: `startE2e` before all (services must be up), `runCleanups` after each, `stopE2e`. */
export function useE2eStack(services: { assert(): void }, schemaPrefix: string) {
  beforeAll(async () => {
    services.assert();
    await startE2e(schemaPrefix);
  });
  afterEach(runCleanups);
  afterAll(stopE2e);
}
