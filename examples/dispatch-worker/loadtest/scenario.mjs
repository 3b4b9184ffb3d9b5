// One load-test run end to end: emulators (own process, live mode, latency), a fresh database with seeded tenants,
// the webhook process, N worker processes, M notifications (a share enqueued again after their job was removed),
// kill -9 chaos and provider faults, the drain, reconcile sweeps, and the check of every notification.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generateConfigKey } from '@leadmetrics/provider-sms';
import { jobIdFor } from '../src/producer.mjs';
import { startFaultInjection, startWorkerChaos } from './chaos.mjs';
import { cpuSince, cpuSnapshot } from './cpu-usage.mjs';
import { startEmulatorProcess } from './emulator-process.mjs';
import { createFreshDatabase } from './fresh-database.mjs';
import { isSettled, openLedgerView } from './ledger-view.mjs';
import { pickReenqueued, planNotifications } from './plan.mjs';
import { openQueueDriver } from './queue-driver.mjs';
import { planTenants, seedTenants } from './seed-tenants.mjs';
import { startService } from './service-process.mjs';
import { countRedelivered, passes, throughputPerSec, verifyRun } from './verify.mjs';
import { startWorkerPool } from './worker-pool.mjs';

const WORKER = fileURLToPath(new URL('../src/worker.mjs', import.meta.url));
const WEBHOOKS = fileURLToPath(new URL('../src/webhook-server-main.mjs', import.meta.url));
/**
 * The lease a reconciliation holds on a row (the library's default, also that of the dispatcher's own reconciler): a
 * worker killed while it looked up a row leaves the row to others only after it, so the final sweeps wait past it.
 */
const RECONCILE_LEASE_MS = 60_000;
/** Twilio accounts the emulator holds; the Twilio tenants share them round-robin. */
const TWILIO_ACCOUNTS = 5;

/**
 * Timings handed to every worker: short, so that a killed worker's claims and jobs come back within seconds and an
 * unknown Twilio attempt can be proved absent soon (the emulator's lists are consistent at once).
 */
export const WORKER_TIMINGS = Object.freeze({
  SMS_REQUEST_TIMEOUT_MS: '2000',
  SMS_SETTLE_MS: '1000',
  LEDGER_LEASE_MS: '5000',
  UNKNOWN_RECHECK_MS: '1000',
  RECONCILE_INTERVAL_MS: '2000',
  BULLMQ_LOCK_DURATION_MS: '5000',
  BULLMQ_STALLED_INTERVAL_MS: '2000',
});

/**
 * @typedef {import('./args.mjs').LoadtestSettings} LoadtestSettings
 * @typedef {{ databaseUrl: string, redisUrl: string, log: (line: string) => void, drainTimeoutMs?: number,
 *   signal?: AbortSignal }} RunContext
 */

/**
 * Runs one scenario and resolves its figures (see README.md for each definition).
 * @param {LoadtestSettings} s
 * @param {RunContext} ctx
 */
export async function runScenario(s, ctx) {
  const runId = `lt${randomBytes(4).toString('hex')}`;
  /** @type {(() => Promise<unknown>)[]} */
  const cleanup = [];
  try {
    const emulators = await startEmulatorProcess(
      { twilioAccounts: TWILIO_ACCOUNTS, latencyMs: s.latencyMs },
      ctx.log,
    );
    cleanup.push(() => emulators.close());
    const db = await createFreshDatabase(ctx.databaseUrl);
    cleanup.push(() => db.drop());
    const configKeys = `k1:${generateConfigKey()}`;
    const tenants = planTenants(
      s.tenants,
      s.twilioTenants,
      emulators.twilio.accounts.map((a) => a.accountSid),
    );
    await seedTenants({
      databaseUrl: db.url,
      configKeys,
      twilioUrl: emulators.twilio.url,
      accounts: emulators.twilio.accounts,
      tenants,
    });
    const msg91Secret = randomBytes(16).toString('hex');
    const env = serviceEnv({
      ...ctx,
      databaseUrl: db.url,
      configKeys,
      queueName: `loadtest-${runId}`,
      emulators,
      msg91Secret,
    });
    const webhooks = startService({
      name: 'webhooks',
      file: WEBHOOKS,
      env: { ...env, PORT: '0' },
      log: ctx.log,
      readyEvent: 'listening',
    });
    cleanup.push(async () => {
      webhooks.kill('SIGTERM');
      await webhooks.exited;
    });
    const webhookUrl = String((await webhooks.ready).url);
    await emulators.setDlrUrl(`${webhookUrl}/msg91/${msg91Secret}`);

    const notifications = planNotifications({ runId, count: s.notifications, tenants });
    const reenqueue = pickReenqueued(notifications, s.reenqueueShare);
    const queue = await openQueueDriver({
      redisUrl: ctx.redisUrl,
      queueName: env.SMS_QUEUE ?? '',
      reenqueue,
    });
    cleanup.push(() => queue.close());
    /** @type {{ jobId: string, at: number }[]} */
    const starts = [];
    let stalled = 0;
    const pool = await startWorkerPool({
      size: s.workers,
      file: WORKER,
      env: { ...env, STATUS_WEBHOOK_URL: webhookUrl, WORKER_CONCURRENCY: String(s.concurrency) },
      log: ctx.log,
      onEvent: (e) => {
        if (e.event === 'job') starts.push({ jobId: String(e.jobId), at: Date.now() });
        if (e.event === 'stalled') stalled++;
      },
    });
    cleanup.push(() => pool.stop());
    const view = await openLedgerView({
      databaseUrl: db.url,
      configKeys,
      settleMs: Number(WORKER_TIMINGS.SMS_SETTLE_MS),
      tenants: tenants.map((t) => t.tenantId),
      twilioUrl: emulators.twilio.url,
      msg91: emulators.msg91,
    });
    cleanup.push(() => view.close());

    const chaos = s.chaos && s.killEveryMs > 0 ? startWorkerChaos(pool, s.killEveryMs) : undefined;
    const faults =
      s.chaos && s.faultEveryMs > 0 ? startFaultInjection(emulators.inject, s.faultEveryMs) : undefined;
    const pids = async () => [...pool.pids(), webhooks.pid, emulators.pid, ...(await view.backendPids())];
    const cpuBefore = cpuSnapshot(await pids());
    const runnerBefore = process.cpuUsage();
    const t0 = Date.now();
    await queue.enqueueAll(notifications);
    // The ledger's half of "drained": every notification has a row that can no longer change (accepted, rejected,
    // or an MSG91 attempt left unknown: nothing at MSG91 to find).
    const ledgerSettled = async () => {
      const rows = new Map((await view.rows()).map((r) => [jobIdFor(r.tenantId, r.notificationId), r]));
      return notifications.every((n) => {
        const row = rows.get(jobIdFor(n.tenantId, n.notificationId));
        return row !== undefined && row.state !== 'deferred' && isSettled(row);
      });
    };
    // Chaos lasts the load phase: until no job waits any more (and the minimum kills happened); the drain after it
    // is the recovery, which must end with every notification settled.
    let loadPhaseMs = 0;
    const loadPhaseOver = async () =>
      (!chaos || chaos.killed >= s.minKills) && (await queue.counts()).waiting === 0;
    const drainedIn = await waitFor(
      async () => {
        if (!loadPhaseMs && (await loadPhaseOver())) {
          await chaos?.stop();
          await faults?.stop();
          loadPhaseMs = Date.now() - t0;
        }
        return loadPhaseMs > 0 && (await queue.drained()) && (await ledgerSettled());
      },
      ctx.drainTimeoutMs ?? (s.quick ? 140_000 : 600_000),
      ctx.signal,
      async () =>
        ctx.log(
          `[loadtest] ${Math.round((Date.now() - t0) / 1000)} s: ${JSON.stringify(await queue.counts())}`,
        ),
    );
    const drainedMs = Date.now() - t0;
    const runner = process.cpuUsage(runnerBefore) ?? { user: 0, system: 0 };
    // Every process of the run (workers, webhook, emulators, this one) and the database's backends; without chaos
    // they are the same processes from start to end.
    const cpuMs = cpuSince(cpuBefore, await pids()) + (runner.user + runner.system) / 1000;
    await chaos?.stop();
    await faults?.stop();
    await pool.stop();
    const reconcileSweeps = await view.sweepUntilSettled(RECONCILE_LEASE_MS + 15_000);
    const [rows, records] = await Promise.all([view.rows(), emulators.records()]);
    const messages = [
      ...records.twilio.map((m) => ({ provider: /** @type {const} */ ('twilio'), id: m.sid, body: m.body })),
      ...records.msg91.map((m) => ({
        provider: /** @type {const} */ ('msg91'),
        id: m.requestId,
        body: m.body,
      })),
    ];
    const v = verifyRun({ notifications, rows, messages });
    const rounds = starts.map((st) => {
      const again = queue.reenqueuedAt.get(st.jobId);
      return { jobId: st.jobId, round: again !== undefined && st.at >= again ? 1 : 0 };
    });
    const jobs = countRedelivered(rounds);
    const reenqueued = queue.reenqueuedAt.size;
    return {
      workers: s.workers,
      notifications: notifications.length,
      killed: chaos?.killed ?? 0,
      redelivered: jobs.redelivered,
      reenqueued,
      duplicates: v.duplicates,
      lost: v.lost,
      unknownLeft: v.unknownLeft,
      unresolvable: v.unresolvable,
      providerMessages: v.providerMessages,
      ledgerAccepted: v.ledgerAccepted,
      throughputPerSec: throughputPerSec(v.ledgerAccepted, drainedMs),
      drained: drainedIn,
      drainedMs,
      loadPhaseMs,
      cpuMsPerAccepted: s.chaos ? undefined : Math.round((cpuMs / Math.max(1, v.ledgerAccepted)) * 10) / 10,
      handouts: jobs.handouts,
      stalled,
      failedJobs: queue.failedJobs,
      notSent: v.rejected + v.deferred,
      strayMessages: v.strayMessages,
      reconcileSweeps,
      faultsInjected: faults?.injected ?? {},
      providerRequests: { twilio: records.twilioReceived, msg91: records.msg91Received },
      latencyMs: s.latencyMs,
      concurrency: s.concurrency,
      examples: v.examples,
      pass: drainedIn && passes(v),
    };
  } finally {
    for (const close of cleanup.reverse())
      await close().catch((e) => ctx.log(`cleanup: ${e instanceof Error ? e.message : e}`));
  }
}

/**
 * The environment of the webhook and worker processes (the example's variables; README "Environment").
 * @param {RunContext & { databaseUrl: string, configKeys: string, queueName: string, msg91Secret: string,
 *   emulators: { twilio: { url: string }, msg91: { url: string, authKey: string, templateId: string } } }} o
 * @returns {NodeJS.ProcessEnv}
 */
function serviceEnv(o) {
  const env = { ...process.env };
  for (const k of [
    'TWILIO_ACCOUNT_SID',
    'TWILIO_AUTH_TOKEN',
    'TWILIO_EDGE',
    'TWILIO_REGION',
    'HTTP_PROXY',
    'HTTPS_PROXY',
  ])
    delete env[k];
  return {
    ...env,
    DATABASE_URL: o.databaseUrl,
    PROVIDER_CONFIG_KEYS: o.configKeys,
    REDIS_URL: o.redisUrl,
    SMS_QUEUE: o.queueName,
    TWILIO_API_BASE_URL: o.emulators.twilio.url,
    MSG91_API_BASE_URL: o.emulators.msg91.url,
    MSG91_AUTH_KEY: o.emulators.msg91.authKey,
    MSG91_TEMPLATE_ID: o.emulators.msg91.templateId,
    MSG91_WEBHOOK_SECRET: o.msg91Secret,
    ...WORKER_TIMINGS,
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
