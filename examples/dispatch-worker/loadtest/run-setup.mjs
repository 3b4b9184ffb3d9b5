// Everything one load-test run starts before the first notification: the emulators (own process, live mode,
// latency), a fresh database with seeded tenants, the webhook process, the queue driver, N worker processes and the
// run's own view of the ledger. Each start pushes its undo onto `cleanup` (run in reverse by the caller).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generateConfigKey } from '@leadmetrics/provider-sms';
import { TWILIO_SDK_ENV_VARS } from '@leadmetrics/provider-sms/testing';
import { startEmulatorProcess } from './emulator-process.mjs';
import { createFreshDatabase } from './fresh-database.mjs';
import { openLedgerView } from './ledger-view.mjs';
import { pickReenqueued, planNotifications } from './plan.mjs';
import { openQueueDriver } from './queue-driver.mjs';
import { planTenants, seedTenants } from './seed-tenants.mjs';
import { startService } from './service-process.mjs';
import { startWorkerPool } from './worker-pool.mjs';

const WORKER = fileURLToPath(new URL('../src/worker.mjs', import.meta.url));
const WEBHOOKS = fileURLToPath(new URL('../src/webhook-server-main.mjs', import.meta.url));
/** Twilio accounts the emulator holds; the Twilio tenants share them round-robin. */
const TWILIO_ACCOUNTS = 5;

/**
 * Timings handed to every worker: short, so that a killed worker's claims and jobs come back within seconds and an
 * unknown Twilio attempt can be proved absent soon (the emulator's lists are consistent at once). The request
 * timeout stays well above the 150 ms latency: on a loaded 2-core machine a round trip can take seconds, and each
 * spurious timeout is an unknown outcome to reconcile.
 */
export const WORKER_TIMINGS = Object.freeze({
  SMS_REQUEST_TIMEOUT_MS: '5000',
  SMS_SETTLE_MS: '1000',
  LEDGER_LEASE_MS: '10000',
  UNKNOWN_RECHECK_MS: '1000',
  RECONCILE_INTERVAL_MS: '2000',
  RECONCILE_LEASE_MS: '5000',
  BULLMQ_LOCK_DURATION_MS: '5000',
  BULLMQ_STALLED_INTERVAL_MS: '2000',
});

/**
 * @typedef {import('./args.mjs').LoadtestSettings} LoadtestSettings
 * @typedef {{ databaseUrl: string, redisUrl: string, log: (line: string) => void, drainTimeoutMs?: number,
 *   signal?: AbortSignal }} RunContext
 * @typedef {Awaited<ReturnType<typeof startRun>>} StartedRun
 */

/**
 * Starts the run's processes and connections; resolves their handles, the plan, and the job-start log.
 * @param {LoadtestSettings} s
 * @param {RunContext} ctx
 * @param {(() => Promise<unknown>)[]} cleanup
 */
export async function startRun(s, ctx, cleanup) {
  const runId = `lt${randomBytes(4).toString('hex')}`;
  const emulators = await startEmulatorProcess(
    { twilioAccounts: TWILIO_ACCOUNTS, latencyMs: s.latencyMs },
    ctx.log,
  );
  cleanup.push(() => emulators.close());
  const db = await createFreshDatabase(ctx.databaseUrl);
  cleanup.push(() => db.drop());
  const configKeys = `k1:${generateConfigKey()}`;
  const accounts = emulators.twilio.accounts;
  const tenants = planTenants(
    s.tenants,
    s.twilioTenants,
    accounts.map((a) => a.accountSid),
  );
  await seedTenants({ databaseUrl: db.url, configKeys, twilioUrl: emulators.twilio.url, accounts, tenants });
  const msg91Secret = randomBytes(16).toString('hex');
  const queueName = `loadtest-${runId}`;
  const env = serviceEnv({ ...ctx, databaseUrl: db.url, configKeys, queueName, emulators, msg91Secret });
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
  const queue = await openQueueDriver({
    redisUrl: ctx.redisUrl,
    queueName,
    reenqueue: pickReenqueued(notifications, s.reenqueueShare),
  });
  cleanup.push(() => queue.close());
  /** @type {{ starts: { jobId: string, at: number }[], dones: { jobId: string, at: number }[], stalled: number }} */
  const events = { starts: [], dones: [], stalled: 0 };
  const pool = await startWorkerPool({
    size: s.workers,
    file: WORKER,
    env: { ...env, STATUS_WEBHOOK_URL: webhookUrl, WORKER_CONCURRENCY: String(s.concurrency) },
    log: ctx.log,
    onEvent: (e) => {
      if (e.event === 'job') events.starts.push({ jobId: String(e.jobId), at: Date.now() });
      if (e.event === 'job-done') events.dones.push({ jobId: String(e.jobId), at: Date.now() });
      if (e.event === 'stalled') events.stalled++;
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
  return { emulators, webhooks, pool, queue, view, notifications, events };
}

/**
 * The environment of the webhook and worker processes (the example's variables; its README "Environment"), with
 * the variables the twilio SDK would pick up on its own cleared.
 * @param {RunContext & { databaseUrl: string, configKeys: string, queueName: string, msg91Secret: string,
 *   emulators: { twilio: { url: string }, msg91: { url: string, authKey: string, templateId: string } } }} o
 * @returns {NodeJS.ProcessEnv}
 */
function serviceEnv(o) {
  const env = { ...process.env };
  for (const k of TWILIO_SDK_ENV_VARS) delete env[k];
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
