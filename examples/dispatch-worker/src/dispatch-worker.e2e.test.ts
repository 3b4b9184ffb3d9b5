// End to end, in this process: createDispatchWorker + the webhook server against the live-mode emulators, Redis
// and PostgreSQL. A job per outcome, a re-enqueued id, status callbacks and reports reaching the ledger, and the
// LISTEN reconnecting after its backend is terminated. Each test has its own queue (obliterated after); the file
// has its own schema (dropped after).
import { describe, expect, it } from 'vitest';
import {
  cleanups,
  fx,
  ledger,
  M9,
  sentMsg91,
  sentTwilio,
  stack,
  TW,
  twilio,
  unknownTwilioRow,
  useE2eStack,
  webhook,
} from './e2e-stack.js';
import { jobIdFor } from './job-id.mjs';
import { checkServices, deleteKeys, uniqueName, waitFor } from './test-services.js';

const services = await checkServices('dispatch-worker.e2e.test');

describe.skipIf(services.skip)('dispatch worker end to end (Redis + PostgreSQL, live emulators)', () => {
  useE2eStack(services, 'dw_e2e');

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
