// One load-test run end to end: start everything (run-setup.mjs), enqueue M notifications (a share again after
// their job was removed) under kill -9 chaos and provider faults, wait for the drain, stop the workers, sweep until
// nothing resolvable is left, and check every notification against what the emulators recorded.
import { jobIdFor } from '../src/producer.mjs';
import { startFaultInjection, startWorkerChaos } from './chaos.mjs';
import { cpuSince, cpuSnapshot } from './cpu-usage.mjs';
import { jobTimes } from './job-timings.mjs';
import { isSettled } from './ledger-view.mjs';
import { startRun, WORKER_TIMINGS } from './run-setup.mjs';
import { countRedelivered, passes, throughputPerSec, verifyRun } from './verify.mjs';

/**
 * The lease a worker's reconciliation holds on a row (`WORKER_TIMINGS`): a worker killed while it looked up a row
 * leaves the row to others only after it, so the final sweeps wait past it.
 */
const RECONCILE_LEASE_MS = Number(WORKER_TIMINGS.RECONCILE_LEASE_MS);

/**
 * @typedef {import('./args.mjs').LoadtestSettings} LoadtestSettings
 * @typedef {import('./run-setup.mjs').RunContext} RunContext
 * @typedef {import('./run-setup.mjs').StartedRun} StartedRun
 */

/**
 * Runs one scenario and resolves its figures (see README.md for each definition).
 * @param {LoadtestSettings} s
 * @param {RunContext} ctx
 */
export async function runScenario(s, ctx) {
  /** @type {(() => Promise<unknown>)[]} */
  const cleanup = [];
  try {
    const run = await startRun(s, ctx, cleanup);
    const load = await driveLoad(s, ctx, run);
    await run.pool.stop();
    // The MSG91 reports held back during the load phase now reach the webhook (no worker left to re-send).
    const releasedReports = await run.emulators.releaseEvidence();
    return { ...(await settleAndVerify(s, run, load)), releasedReports };
  } finally {
    for (const close of cleanup.reverse())
      await close().catch((e) => ctx.log(`cleanup: ${e instanceof Error ? e.message : e}`));
  }
}

/**
 * Enqueues everything with the chaos on for the load phase (until no job waits and the minimum kills happened),
 * then waits for the drain: nothing waiting and every notification's row settled in the ledger.
 * @param {LoadtestSettings} s
 * @param {RunContext} ctx
 * @param {StartedRun} run
 */
async function driveLoad(s, ctx, { emulators, webhooks, pool, queue, view, notifications }) {
  const chaos = s.chaos && s.killEveryMs > 0 ? startWorkerChaos(pool, s.killEveryMs) : undefined;
  const faults =
    s.chaos && s.faultEveryMs > 0 ? startFaultInjection(emulators.inject, s.faultEveryMs) : undefined;
  const pids = async () => [...pool.pids(), webhooks.pid, emulators.pid, ...(await view.backendPids())];
  const cpuBefore = cpuSnapshot(await pids());
  const runnerBefore = process.cpuUsage();
  const t0 = Date.now();
  await queue.enqueueAll(notifications);
  let loadPhaseMs = 0;
  const loadPhaseOver = async () =>
    (!chaos || chaos.killed >= s.minKills) && (await queue.counts()).waiting === 0;
  const drained = await waitFor(
    async () => {
      if (!loadPhaseMs && (chaos?.failed || faults?.failed || (await loadPhaseOver()))) {
        await chaos?.stop();
        await faults?.stop();
        loadPhaseMs = Date.now() - t0;
      }
      return loadPhaseMs > 0 && (await queue.drained()) && (await ledgerSettled(view, notifications));
    },
    ctx.drainTimeoutMs ?? (s.quick ? 140_000 : 600_000),
    ctx.signal,
    async () => {
      const open =
        loadPhaseMs > 0 ? (await view.rows()).filter((r) => r.state === 'deferred' || !isSettled(r)) : [];
      const rows = open
        .slice(0, 5)
        .map((r) => `${r.notificationId} ${r.state} ${r.reason ?? ''} ${r.provider ?? ''}`);
      const counts = JSON.stringify(await queue.counts());
      ctx.log(
        `[loadtest] ${Math.round((Date.now() - t0) / 1000)} s: ${counts}${rows.length ? ` unsettled: ${rows.join('; ')}` : ''}`,
      );
    },
  );
  const drainedMs = Date.now() - t0;
  const runner = process.cpuUsage(runnerBefore);
  // Every process of the run (workers, webhook, emulators, this one) and the database's backends; without chaos
  // they are the same processes from start to end.
  const cpuMs = cpuSince(cpuBefore, await pids()) + (runner.user + runner.system) / 1000;
  await chaos?.stop();
  await faults?.stop();
  return {
    drained,
    startedAt: t0,
    drainedMs,
    loadPhaseMs,
    cpuMs,
    killed: chaos?.killed ?? 0,
    faultsInjected: faults?.injected ?? {},
  };
}

/**
 * The ledger's half of "drained": every notification has a row that can no longer change (accepted, rejected, or an
 * MSG91 attempt left unknown: nothing at MSG91 to find).
 * @param {StartedRun['view']} view
 * @param {StartedRun['notifications']} notifications
 */
async function ledgerSettled(view, notifications) {
  const rows = new Map((await view.rows()).map((r) => [jobIdFor(r.tenantId, r.notificationId), r]));
  return notifications.every((n) => {
    const row = rows.get(jobIdFor(n.tenantId, n.notificationId));
    return row !== undefined && row.state !== 'deferred' && isSettled(row);
  });
}

/**
 * Sweeps until nothing resolvable is left, then checks every notification and assembles the figures.
 * @param {LoadtestSettings} s
 * @param {StartedRun} run
 * @param {Awaited<ReturnType<typeof driveLoad>>} load
 */
async function settleAndVerify(s, { emulators, queue, view, notifications, events }, load) {
  const reconcileSweeps = await view.sweepUntilSettled(RECONCILE_LEASE_MS + 15_000);
  const [rows, records] = await Promise.all([view.rows(), emulators.records()]);
  const messages = [
    ...records.twilio.map((m) => ({ provider: /** @type {const} */ ('twilio'), id: m.sid, body: m.body })),
    ...records.msg91.map((m) => ({
      provider: /** @type {const} */ ('msg91'),
      id: m.requestId,
      body: m.body,
      reported: m.reported,
    })),
  ];
  const v = verifyRun({ notifications, rows, messages });
  const jobs = countRedelivered(
    events.starts.map((st) => {
      const again = queue.reenqueuedAt.get(st.jobId);
      return { jobId: st.jobId, round: again !== undefined && st.at >= again ? 1 : 0 };
    }),
  );
  return {
    workers: s.workers,
    notifications: notifications.length,
    killed: load.killed,
    redelivered: jobs.redelivered,
    reenqueued: queue.reenqueuedAt.size,
    duplicates: v.duplicates,
    lost: v.lost,
    unknownLeft: v.unknownLeft,
    unresolvable: v.unresolvable,
    providerMessages: v.providerMessages,
    ledgerAccepted: v.ledgerAccepted,
    throughputPerSec: throughputPerSec(v.ledgerAccepted, load.drainedMs),
    drained: load.drained,
    drainedMs: load.drainedMs,
    loadPhaseMs: load.loadPhaseMs,
    cpuMsPerAccepted: s.chaos
      ? undefined
      : Math.round((load.cpuMs / Math.max(1, v.ledgerAccepted)) * 10) / 10,
    jobMs: jobTimes(events.starts, events.dones, {
      from: load.startedAt,
      to: load.startedAt + load.drainedMs,
    }),
    handouts: jobs.handouts,
    stalled: events.stalled,
    failedJobs: queue.failedJobs,
    notSent: v.rejected + v.deferred,
    strayMessages: v.strayMessages,
    reconcileSweeps,
    faultsInjected: load.faultsInjected,
    providerRequests: { twilio: records.twilioReceived, msg91: records.msg91Received },
    latencyMs: s.latencyMs,
    concurrency: s.concurrency,
    examples: v.examples,
    pass: load.drained && passes(v),
  };
}

/**
 * Polls `check` every 500 ms until it resolves true (→ true), `timeoutMs` passes or `signal` aborts (→ false);
 * calls `progress` every 10 s meanwhile.
 * @param {() => Promise<boolean>} check
 * @param {number} timeoutMs
 * @param {AbortSignal | undefined} signal
 * @param {() => Promise<void>} progress
 */
async function waitFor(check, timeoutMs, signal, progress) {
  const stopAt = Date.now() + timeoutMs;
  let nextProgress = Date.now() + 10_000;
  while (Date.now() < stopAt && !signal?.aborted) {
    if (await check()) return true;
    if (Date.now() >= nextProgress) {
      nextProgress += 10_000;
      await progress();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
