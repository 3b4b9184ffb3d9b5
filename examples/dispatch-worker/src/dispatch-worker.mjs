// @ts-check
// createDispatchWorker: the library's dispatcher behind a BullMQ worker (README "How it works"). Any number of
// these run against one PostgreSQL; the ledger makes BullMQ's redeliveries and re-enqueued ids safe.
import { createSmsProviderResolver, createSmsSender } from '@leadmetrics/provider-sms';
import { createSmsDispatcher, createSmsReconciler } from '@leadmetrics/provider-sms/ledger';
import { Queue, Worker } from 'bullmq';
import { jobIdFor } from './job-id.mjs';
import { backoffDelayMs } from './job-outcome.mjs';
import { createJobProcessor } from './job-processor.mjs';
import { libraryLogger } from './json-log.mjs';
import { openLedgerDatabase } from './ledger-database.mjs';
import { startReconcileLoop } from './reconcile-loop.mjs';
import { openRedis } from './redis-connection.mjs';

/**
 * Options of `createDispatchWorker` (`readWorkerEnv` builds them from the environment).
 * @typedef {object} DispatchWorkerOptions
 * @property {string} databaseUrl postgres:// URL shared by every process (never logged)
 * @property {string} schema schema of the package's tables
 * @property {import('@leadmetrics/provider-sms').ConfigCipher} cipher decrypts tenant configs; keys the fingerprints
 * @property {import('@leadmetrics/provider-sms').SmsProvider} platformDefault the MSG91 platform default
 * @property {import('@leadmetrics/provider-sms').ProviderOptions} twilioOptions options of tenants' Twilio providers
 * @property {string} [statusCallbackBaseUrl] Twilio StatusCallback base (`<webhook url>/twilio`)
 * @property {string} redisUrl
 * @property {string} queueName
 * @property {number} concurrency jobs in flight per process
 * @property {number} requestTimeoutMs provider request timeout (part of each attempt's settle deadline)
 * @property {number} settleMs added to an attempt's start + timeout before "absent" is proved
 * @property {number} leaseMs ledger claim lease
 * @property {number} unknownRecheckMs longest wait before an unknown notification is asked about again (deadline ahead)
 * @property {number} settledRecheckMs the wait for an unknown notification past its settle deadline
 * @property {number} reconcileIntervalMs mean time between reconcile sweeps; 0 = none in this process
 * @property {number} drainTimeoutMs how long `close()` lets in-flight jobs finish before aborting them
 * @property {number} lockDurationMs BullMQ `lockDuration`
 * @property {number} stalledIntervalMs BullMQ `stalledInterval`
 * @property {number} maxStalledCount BullMQ `maxStalledCount`
 * @property {number} maxStartedAttempts BullMQ `maxStartedAttempts` (bounds how often one job is asked again)
 * @property {string} [workerName] this worker's name on its ledger claims and in BullMQ (default `<hostname>:<pid>`)
 * @property {import('./json-log.mjs').EmitEvent} [emit] event sink (default: none)
 * @property {boolean} [verbose] pass the library's info/debug logs to `emit`
 */

/**
 * A running worker.
 * @typedef {object} DispatchWorker
 * @property {import('bullmq').Worker} worker the BullMQ worker
 * @property {import('@leadmetrics/provider-sms').SmsLedger} ledger
 * @property {() => Promise<void>} close drains: stops taking jobs, lets in-flight ones finish (aborted after
 *   `drainTimeoutMs`: a not-yet-sent claim is released as `deferred`), then closes Redis, LISTEN and the pool
 */

/**
 * Opens the database (migrated), the resolver, ledger, dispatcher and reconciler, and starts the BullMQ worker.
 * @param {DispatchWorkerOptions} options @returns {Promise<DispatchWorker>}
 */
export async function createDispatchWorker(options) {
  const emit = options.emit ?? (() => undefined);
  const logger = libraryLogger(emit, options.verbose);
  const { schema, cipher, leaseMs, settleMs, requestTimeoutMs } = options;
  const ldb = await openLedgerDatabase({
    databaseUrl: options.databaseUrl,
    schema,
    cipher,
    leaseMs,
    ...(options.workerName ? { owner: options.workerName } : {}),
    logger,
    maxConnections: Math.min(50, options.concurrency + 4),
  });
  /** @type {(() => Promise<unknown>)[]} */
  const opened = [() => ldb.close()];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const { store, ledger } = ldb;
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault: options.platformDefault,
      twilioOptions: { ...options.twilioOptions, logger },
      ...(options.statusCallbackBaseUrl ? { statusCallbackBaseUrl: options.statusCallbackBaseUrl } : {}),
      logger,
    });
    const changes = await ldb.listen(resolver);
    opened.push(() => changes.close());
    const sender = createSmsSender({ resolver, logger });
    const dispatcher = createSmsDispatcher({ sender, ledger, resolver, settleMs, requestTimeoutMs, logger });
    const reconciler = createSmsReconciler({ ledger, resolver, settleMs, logger });

    const connection = openRedis(options.redisUrl, { forWorker: true, emit });
    opened.push(() => connection.quit());
    const abort = new AbortController();
    const processor = createJobProcessor({
      dispatcher,
      outcome: {
        unknownRecheckMs: options.unknownRecheckMs,
        settledRecheckMs: options.settledRecheckMs,
        leaseMs,
      },
      signal: abort.signal,
      emit,
    });
    const worker = new Worker(options.queueName, processor, {
      connection,
      ...(options.workerName ? { name: options.workerName } : {}),
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount,
      maxStartedAttempts: options.maxStartedAttempts,
      settings: { backoffStrategy: (attemptsMade, _type, err) => backoffDelayMs(attemptsMade, err) },
    });
    worker.on('error', (err) => emit('worker-error', { message: err.message }));
    worker.on('stalled', (jobId) => emit('stalled', { jobId }));
    await worker.waitUntilReady();
    // A sweep that decides a row (accepted, or deferred = proved absent) wakes its delayed job: it completes or sends now.
    const queue = new Queue(options.queueName, { connection });
    queue.on('error', (err) => emit('queue-error', { message: err.message }));
    opened.push(() => queue.close());
    const sweeps = startReconcileLoop({
      reconciler,
      intervalMs: options.reconcileIntervalMs,
      emit,
      onDecided: (o) => promoteDelayed(queue, jobIdFor(o.tenantId, o.notificationId)),
    });

    let closing;
    const drain = async () => {
      await sweeps.stop();
      const timer = setTimeout(() => abort.abort(new Error('drain timeout')), options.drainTimeoutMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(timer);
      }
      await closeAll();
    };
    return {
      worker,
      ledger,
      close() {
        closing ??= drain();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Moves the job `jobId` from the delayed set to the queue at once (no-op when it is not delayed or gone).
 * @param {Queue} queue @param {string} jobId @returns {Promise<boolean>} whether it was promoted
 */
export async function promoteDelayed(queue, jobId) {
  const job = await queue.getJob(jobId);
  if (!job || !(await job.isDelayed())) return false;
  // It may have been picked up since the check: BullMQ then refuses, and the job is running anyway.
  return job.promote().then(
    () => true,
    () => false,
  );
}
