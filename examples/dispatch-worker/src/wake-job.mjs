// @ts-check
// What a reconcile sweep does with the BullMQ job of a row it decided (README "Job outcomes"): wake a delayed job,
// retry a failed one whose notification was proved absent, and report one whose job is gone (nothing can re-send
// it here: the ledger keeps no message body in clear, only its keyed fingerprint).
import { jobIdFor } from './job-id.mjs';

/**
 * What `wakeJob` did: `promoted` (delayed → now), `retried` (failed → waiting again), `orphaned` (proved absent
 * but the job is gone: reported), `none` (running, waiting, or nothing to do for this state).
 * @typedef {'promoted' | 'retried' | 'orphaned' | 'none'} WakeResult
 */

/**
 * Acts on the job of a notification a sweep decided (`accepted`, or `deferred` = proved absent, never sent).
 * @param {Pick<import('bullmq').Queue, 'getJob'>} queue
 * @param {Pick<import('@leadmetrics/provider-sms').SmsReconcileOutcome, 'tenantId' | 'notificationId' | 'state'>} decided
 * @param {import('./json-log.mjs').EmitEvent} emit `orphaned` events go here
 * @returns {Promise<WakeResult>}
 */
export async function wakeJob(queue, decided, emit) {
  const { tenantId, notificationId, state } = decided;
  const jobId = jobIdFor(tenantId, notificationId);
  const job = await queue.getJob(jobId);
  if (!job) {
    if (state !== 'deferred') return 'none';
    // Not sent, and no job holds its body: only the producer (or an operator) can enqueue it again.
    emit('orphaned', { level: 'error', jobId, tenantId, notificationId, state });
    return 'orphaned';
  }
  const jobState = await job.getState();
  // Either may race with a worker taking or finishing the job: BullMQ then refuses, and the job runs anyway.
  if (jobState === 'delayed')
    return job.promote().then(
      () => 'promoted',
      () => 'none',
    );
  if (jobState === 'failed' && state === 'deferred')
    return job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
      () => 'retried',
      () => 'none',
    );
  return 'none';
}
