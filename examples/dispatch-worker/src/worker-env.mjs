// @ts-check
// The dispatch worker's environment, read and checked once (README "Environment"): one options object for
// createDispatchWorker, or an EnvError naming the variable (the entry prints it and exits 2).
import { createPlatformDefaultFromEnv, isSmsError, redactUrl } from '@leadmetrics/provider-sms';
import {
  configCipher,
  databaseUrl,
  EnvError,
  integer,
  optional,
  queueName,
  redactedView,
  redisUrl,
  schema,
  url,
} from './env-vars.mjs';

/**
 * Reads the worker's environment into `createDispatchWorker` options; throws `EnvError` naming the bad variable.
 * @param {import('./env-vars.mjs').Env} env
 * @returns {import('./dispatch-worker.mjs').DispatchWorkerOptions}
 */
export function readWorkerEnv(env) {
  const database = databaseUrl(env);
  const cipher = configCipher(env);
  const requestTimeoutMs = integer(env, 'SMS_REQUEST_TIMEOUT_MS', 10_000, { min: 1 });
  let platformDefault;
  try {
    platformDefault = createPlatformDefaultFromEnv(env, { timeoutMs: requestTimeoutMs });
  } catch (err) {
    throw new EnvError(isSmsError(err) ? err.message : 'the MSG91_* variables are invalid');
  }
  const twilioApiBaseUrl = url(env, 'TWILIO_API_BASE_URL');
  const webhookUrl = url(env, 'STATUS_WEBHOOK_URL');
  const pacing = optional(env, 'SMS_PACING') ?? 'off';
  if (pacing !== 'off' && pacing !== 'redis') throw new EnvError('SMS_PACING must be "off" or "redis"');
  const workerName = optional(env, 'WORKER_NAME');
  if (workerName !== undefined && !/^[\x21-\x7e]{1,100}$/.test(workerName))
    throw new EnvError('WORKER_NAME must be 1–100 printable ASCII characters without spaces');
  const concurrency = integer(env, 'WORKER_CONCURRENCY', 8, { min: 1, max: 1000 });
  /** @type {import('./dispatch-worker.mjs').DispatchWorkerOptions} */
  const options = {
    ...(workerName ? { workerName } : {}),
    databaseUrl: database,
    schema: schema(env),
    cipher,
    platformDefault,
    twilioOptions: {
      timeoutMs: requestTimeoutMs,
      ...(twilioApiBaseUrl ? { apiBaseUrl: twilioApiBaseUrl } : {}),
    },
    ...(webhookUrl ? { statusCallbackBaseUrl: `${webhookUrl}/twilio` } : {}),
    redisUrl: redisUrl(env),
    queueName: queueName(env),
    concurrency,
    poolSize: integer(env, 'DATABASE_POOL_SIZE', Math.min(20, concurrency + 2), { min: 2, max: 200 }),
    ...(pacing === 'redis'
      ? {
          pacing: {
            keyPrefix: optional(env, 'SMS_PACING_KEY_PREFIX') ?? 'sms:pacing:',
            maxQueueDelayMs: integer(env, 'SMS_PACING_MAX_QUEUE_DELAY_MS', 60_000),
          },
        }
      : {}),
    requestTimeoutMs,
    settleMs: integer(env, 'SMS_SETTLE_MS', 120_000),
    leaseMs: integer(env, 'LEDGER_LEASE_MS', 30_000, { min: 100 }),
    unknownRecheckMs: integer(env, 'UNKNOWN_RECHECK_MS', 10_000, { min: 100 }),
    settledRecheckMs: integer(env, 'UNKNOWN_SETTLED_RECHECK_MS', 60_000, { min: 100 }),
    reconcileIntervalMs: integer(env, 'RECONCILE_INTERVAL_MS', 30_000),
    reconcileLeaseMs: integer(env, 'RECONCILE_LEASE_MS', 60_000, { min: 100 }),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 25_000),
    lockDurationMs: integer(env, 'BULLMQ_LOCK_DURATION_MS', 10_000, { min: 1_000 }),
    stalledIntervalMs: integer(env, 'BULLMQ_STALLED_INTERVAL_MS', 5_000, { min: 500 }),
    maxStalledCount: integer(env, 'BULLMQ_MAX_STALLED_COUNT', 50, { min: 1 }),
    maxStartedAttempts: integer(env, 'BULLMQ_MAX_STARTED_ATTEMPTS', 500, { min: 1 }),
  };
  return redactedView(options, () => ({
    ...options,
    databaseUrl: redactUrl(database),
    redisUrl: redactUrl(options.redisUrl),
    cipher: String(cipher),
    platformDefault: String(platformDefault),
  }));
}
