// @ts-check
// createProducer: enqueues `{ tenantId, notificationId, message }` jobs. The job id is derived from the tenant and
// the notification id, so BullMQ drops a second enqueue while the first job still exists; once it was removed, the
// ledger is what keeps a re-enqueued id from being sent twice.
import { Queue } from 'bullmq';
import { jobIdFor } from './job-id.mjs';
import { BACKOFF_TYPE } from './job-outcome.mjs';
import { openRedis } from './redis-connection.mjs';

export { jobIdFor };

/**
 * Job options of every enqueue (README "Job options"): `attempts` bounds the backoff retries of `deferred` and of
 * outages before anything was claimed (7–14 min of backoff: `giveUpAfterMs`); delayed re-asks of `unknown`/`in_progress` do not
 * use attempts up. Finished jobs are kept a while for inspection, then removed (the ledger keeps the history).
 * @type {import('bullmq').JobsOptions}
 */
export const DEFAULT_JOB_OPTIONS = Object.freeze({
  attempts: 20,
  backoff: { type: BACKOFF_TYPE },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
});

/**
 * Options of `createProducer`.
 * @typedef {object} ProducerOptions
 * @property {string} redisUrl
 * @property {string} queueName
 * @property {import('bullmq').JobsOptions} [jobOptions] merged over `DEFAULT_JOB_OPTIONS`
 * @property {import('./json-log.mjs').EmitEvent} [emit] Redis outage events
 */

/**
 * A producer: `enqueue(job)` resolves with the job id (the existing job's when one with that id exists).
 * @param {ProducerOptions} options
 * @returns {{ queue: Queue, enqueue(job: import('./job-processor.mjs').SmsJobData): Promise<string>, close(): Promise<void> }}
 */
export function createProducer({ redisUrl, queueName, jobOptions = {}, emit = () => undefined }) {
  const connection = openRedis(redisUrl, { forWorker: false, emit });
  const queue = new Queue(queueName, { connection });
  queue.on('error', (err) => emit('queue-error', { message: err.message }));
  const opts = { ...DEFAULT_JOB_OPTIONS, ...jobOptions };
  return {
    queue,
    async enqueue(job) {
      const { tenantId, notificationId, message } = job;
      if (typeof tenantId !== 'string' || typeof notificationId !== 'string')
        throw new TypeError('enqueue: tenantId and notificationId must be strings');
      const jobId = jobIdFor(tenantId, notificationId);
      const added = await queue.add('sms', { tenantId, notificationId, message }, { ...opts, jobId });
      return added.id ?? jobId;
    },
    async close() {
      await queue.close();
      await connection.quit();
    },
  };
}
