// @ts-check
// createDispatchWorker: the library's dispatcher behind a BullMQ worker (README "How it works"). Any number of
// these run against one PostgreSQL; the ledger makes BullMQ's redeliveries and re-enqueued ids safe.
import { createSmsProviderResolver, createSmsSender } from '@leadmetrics/provider-sms';
import { createSmsDispatcher, createSmsReconciler } from '@leadmetrics/provider-sms/ledger';
import { Queue, Worker } from 'bullmq';
import { backoffDelayMs } from './job-outcome.mjs';
import { createJobProcessor, reportFailed } from './job-processor.mjs';
import { libraryLogger } from './json-log.mjs';
import { openLedgerDatabase } from './ledger-database.mjs';
import { startReconcileLoop } from './reconcile-loop.mjs';
import { openRedis } from './redis-connection.mjs';
import { wakeJob } from './wake-job.mjs';

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
 * @property {number} [poolSize] PostgreSQL pool size (default min(20, concurrency + 2); the LISTEN has one more)
 * @property {{ keyPrefix: string, maxQueueDelayMs: number }} [pacing] per-sender pacing (design §12) shared by every
 *   worker through Redis; off without it
 * @property {number} requestTimeoutMs provider request timeout (part of each attempt's settle deadline)
 * @property {number} settleMs added to an attempt's start + timeout before "absent" is proved
 * @property {number} leaseMs ledger claim lease
 * @property {number} [reconcileLeaseMs] how long a reconcile lookup holds its row (default the library's 60 s)
 * @property {number} unknownRecheckMs longest wait before an unknown notification is asked about again (deadline ahead)
 * @property {number} settledRecheckMs the wait for an unknown notification past its settle deadline
 * @property {number} reconcileIntervalMs mean time between reconcile sweeps; 0 = none in this process
 * @property {number} drainTimeoutMs how long `close()` lets in-flight jobs finish before aborting them
 * @property {number} lockDurationMs BullMQ `lockDuration`
 * @property {number} stalledIntervalMs BullMQ `stalledInterval`
 * @property {number} maxStalledCount BullMQ `maxStalledCount`
 * @property {number} maxStartedAttempts BullMQ `maxStartedAttempts` (bounds how often one job is asked again)
 * @property {string} [workerName] this worker's name on its ledger claims and in BullMQ (default `<hostname>:<pid>`)
 * @property {import('./json-log.mjs').EmitEvent} [emit] event sink (default: none; or in the context argument)
 * @property {boolean} [verbose] pass the library's info/debug logs to `emit`
 */

/**
 * What runs beside the options (passed apart, so the options object stays the redacted one `readWorkerEnv` built).
 * @typedef {{ emit?: import('./json-log.mjs').EmitEvent, verbose?: boolean }} ProcessContext
 */

/**
 * A running worker.
 * @typedef {object} DispatchWorker
 * @property {import('bullmq').Worker} worker the BullMQ worker
 * @property {DispatchWorkerOptions} options the options it runs with (the caller's object, not a copy)
 * @property {import('@leadmetrics/provider-sms').SmsLedger} ledger
 * @property {() => Promise<void>} close drains: stops taking jobs and sweeping, lets in-flight ones finish (aborted
 *   after `drainTimeoutMs`: a not-yet-sent claim is released as `deferred`), then closes Redis, LISTEN and the pool
 * @property {(reason: Error) => void} abort aborts in-flight dispatches now (the process's exit deadline)
 */

/**
 * Opens the database (migrated), the resolver, ledger, dispatcher and reconciler, and starts the BullMQ worker.
 * @param {DispatchWorkerOptions} options @param {ProcessContext} [context] @returns {Promise<DispatchWorker>}
 */
export async function createDispatchWorker(options, context = {}) {
  const emit = context.emit ?? options.emit ?? (() => undefined);
  const logger = libraryLogger(emit, context.verbose ?? options.verbose);
  const ldb = await openLedgerDatabase({
    databaseUrl: options.databaseUrl,
    schema: options.schema,
    cipher: options.cipher,
    leaseMs: options.leaseMs,
    ...(options.workerName ? { owner: options.workerName } : {}),
    logger,
    maxConnections: options.poolSize ?? Math.min(20, options.concurrency + 2),
  });
  /** @type {(() => Promise<unknown>)[]} */
  const opened = [() => ldb.close()];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const { dispatcher, reconciler } = await openDispatch(ldb, options, { logger, emit, opened });
    const connection = openRedis(options.redisUrl, { forWorker: true, emit });
    opened.push(() => connection.quit());
    const abort = new AbortController();
    const worker = startWorker(
      options,
      connection,
      createJobProcessor({
        dispatcher,
        ledger: ldb.ledger,
        outcome: {
          unknownRecheckMs: options.unknownRecheckMs,
          settledRecheckMs: options.settledRecheckMs,
          leaseMs: options.leaseMs,
        },
        signal: abort.signal,
        emit,
      }),
      emit,
    );
    opened.push(() => worker.close());
    await worker.waitUntilReady();
    // A sweep that decides a row (accepted, or deferred = proved absent) wakes its job: delayed → now, failed → retried.
    // Its own fail-fast connection: a sweep must not hang on a Redis outage (nor hold up a drain).
    const queueConnection = openRedis(options.redisUrl, { forWorker: false, emit });
    opened.push(() => queueConnection.quit());
    const queue = new Queue(options.queueName, { connection: queueConnection });
    queue.on('error', (err) => emit('queue-error', { message: err.message }));
    opened.push(() => queue.close());
    await queue.waitUntilReady();
    const sweeps = startReconcileLoop({
      reconciler,
      intervalMs: options.reconcileIntervalMs,
      emit,
      onDecided: (o) => wakeJob(queue, o, emit),
    });

    /** @type {Promise<void> | undefined} */
    let closing;
    const drain = async () => {
      // The drain clock starts now: neither a running sweep nor a slow job may hold the worker past it.
      const timer = setTimeout(() => abort.abort(new Error('drain timeout')), options.drainTimeoutMs);
      try {
        await Promise.all([sweeps.stop(), worker.close()]); // stop taking jobs at once, wait for the active ones
      } finally {
        clearTimeout(timer);
      }
      await closeAll();
    };
    return {
      worker,
      options,
      ledger: ldb.ledger,
      abort: (reason) => abort.abort(reason),
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
 * The library side: resolver (invalidated by LISTEN), sender (paced when asked), dispatcher and reconciler.
 * @param {import('./ledger-database.mjs').LedgerDatabase} ldb @param {DispatchWorkerOptions} options
 * @param {{ logger: import('@leadmetrics/provider-sms').Logger, emit: import('./json-log.mjs').EmitEvent,
 *   opened: (() => Promise<unknown>)[] }} context where each thing opened registers its close
 */
async function openDispatch(ldb, options, { logger, emit, opened }) {
  const { cipher, settleMs, requestTimeoutMs, reconcileLeaseMs } = options;
  const lease = reconcileLeaseMs ? { reconcileLeaseMs } : {};
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
  const sender = createSmsSender({ resolver, logger, ...pacingOf(options, emit, opened) });
  return {
    dispatcher: createSmsDispatcher({
      sender,
      ledger,
      resolver,
      settleMs,
      requestTimeoutMs,
      ...lease,
      logger,
    }),
    reconciler: createSmsReconciler({
      ledger,
      resolver,
      settleMs,
      ...(reconcileLeaseMs ? { leaseMs: reconcileLeaseMs } : {}),
      logger,
    }),
  };
}

/**
 * The BullMQ worker with the settings the README explains (lock, stalled checks, started attempts, backoff).
 * @param {DispatchWorkerOptions} options @param {import('ioredis').Redis} connection
 * @param {ReturnType<typeof createJobProcessor>} processor @param {import('./json-log.mjs').EmitEvent} emit
 * @returns {Worker}
 */
function startWorker(options, connection, processor, emit) {
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
  worker.on('failed', reportFailed(emit));
  return worker;
}

/**
 * The sender's `pacing` option: slots shared through Redis on a fail-fast connection of its own (a Redis outage
 * refuses the send as not sent, `deferred`, instead of holding the job), or nothing when pacing is off.
 * @param {DispatchWorkerOptions} options @param {import('./json-log.mjs').EmitEvent} emit
 * @param {(() => Promise<unknown>)[]} opened where the connection's close is registered
 * @returns {{ pacing?: import('@leadmetrics/provider-sms').SmsPacingOptions }}
 */
function pacingOf(options, emit, opened) {
  if (!options.pacing) return {};
  const redis = openRedis(options.redisUrl, { forWorker: false, emit });
  opened.push(() => redis.quit());
  const { keyPrefix, maxQueueDelayMs } = options.pacing;
  return { pacing: { redis, redisKeyPrefix: keyPrefix, maxQueueDelayMs } };
}
