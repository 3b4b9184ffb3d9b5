// @ts-check
// The BullMQ processor: one job = one `dispatcher.dispatch()`; its outcome (job-outcome.mjs) becomes BullMQ's
// documented mechanism: a return value, `UnrecoverableError`, `moveToDelayed` + `DelayedError`, or a thrown error
// that BullMQ retries with the job's `attempts` and the worker's backoff strategy.
import { DelayedError, UnrecoverableError } from 'bullmq';
import { finalUnknown, jobOutcome, unknownPastDeadline } from './job-outcome.mjs';

/**
 * What a job carries (the producer's `enqueue` input).
 * @typedef {{ tenantId: string, notificationId: string, message: import('@leadmetrics/provider-sms').SmsMessage }} SmsJobData
 */

/**
 * Options of `createJobProcessor`.
 * @typedef {object} JobProcessorOptions
 * @property {Pick<import('@leadmetrics/provider-sms').SmsDispatcher, 'dispatch'>} dispatcher
 * @property {Pick<import('@leadmetrics/provider-sms').SmsLedger, 'get'>} ledger read for an unknown row's reason
 * @property {import('./job-outcome.mjs').JobOutcomeOptions} outcome
 * @property {AbortSignal} signal aborts in-flight dispatches (a drain that ran out of time)
 * @property {import('./json-log.mjs').EmitEvent} emit
 */

/**
 * What a completed job returns: the accepted message, or `unknown` for good (`unknown-final`).
 * @typedef {{ provider: string, messageId: string, deduplicated: boolean } | { state: 'unknown', reason: string }} JobResult
 */

/**
 * The processor function of the worker: logs `job` at each start and `job-done` with the outcome.
 * @param {JobProcessorOptions} options
 * @returns {(job: import('bullmq').Job<SmsJobData>, token?: string) => Promise<JobResult>}
 */
export function createJobProcessor({ dispatcher, ledger, outcome, signal, emit }) {
  return async (job, token) => {
    const data = job.data ?? {};
    const ids = { jobId: job.id, notificationId: data.notificationId };
    emit('job', { ...ids, attempt: job.attemptsStarted });
    /** @type {Parameters<typeof jobOutcome>[0]} */
    let settled;
    try {
      const input = { tenantId: data.tenantId, notificationId: data.notificationId, message: data.message };
      settled = { result: await dispatcher.dispatch(input, { signal }) };
    } catch (error) {
      settled = { error };
    }
    let o = jobOutcome(settled, outcome);
    if (unknownPastDeadline(settled))
      o = finalUnknown(o, (await ledger.get(data.tenantId, data.notificationId))?.reason);
    emit('job-done', { ...ids, outcome: o.kind, ...fieldsOf(o) });
    if (o.kind === 'complete')
      return { provider: o.provider, messageId: o.messageId, deduplicated: o.deduplicated };
    if (o.kind === 'unknown-final') {
      emit('job-unknown-final', { level: 'warn', ...ids, state: o.state, code: o.code, reason: o.reason });
      return { state: o.state, reason: o.reason };
    }
    const error = 'error' in settled ? settled.error : undefined;
    const why = error instanceof Error ? error.message : 'the dispatch failed unexpectedly';
    if (o.kind === 'fail')
      throw Object.assign(new UnrecoverableError(`${o.code} (${o.state}): ${why}`), {
        code: o.code,
        ledgerState: o.state,
      });
    if (o.kind === 'delay') {
      await job.moveToDelayed(Date.now() + o.delayMs, token);
      throw new DelayedError(`${o.code} (${o.state}): asked again in ${o.delayMs} ms`);
    }
    throw error instanceof Error ? error : new Error(why);
  };
}

/**
 * The worker's `failed` listener: a job that failed for good (not one BullMQ retries) logs `job-rejected` (warn) when
 * the dispatch refused it for good (rejected, bad job data), else `job-abandoned` (error): BullMQ gave up on it
 * (attempts, started attempts or stalls used up) and nothing sends it unless a sweep or an operator retries it.
 * @param {import('./json-log.mjs').EmitEvent} emit
 * @returns {(job: import('bullmq').Job<SmsJobData> | undefined, err: Error) => void}
 */
export function reportFailed(emit) {
  return (job, err) => {
    if (!job?.finishedOn) return; // retried: not over yet
    const e = /** @type {{ code?: unknown, ledgerState?: unknown }} */ (err);
    const fields = {
      jobId: job.id,
      notificationId: job.data?.notificationId,
      state: typeof e.ledgerState === 'string' ? e.ledgerState : 'none',
      code: typeof e.code === 'string' ? e.code : 'unexpected',
    };
    const rejected = err.name === 'UnrecoverableError' && typeof e.code === 'string';
    if (rejected) emit('job-rejected', { level: 'warn', ...fields });
    else emit('job-abandoned', { level: 'error', ...fields, message: err.message });
  };
}

/** @param {import('./job-outcome.mjs').JobOutcome} o @returns {Record<string, unknown>} */
function fieldsOf(o) {
  if (o.kind === 'complete') return { state: 'accepted', provider: o.provider, deduplicated: o.deduplicated };
  if (o.kind === 'unknown-final') return { state: o.state, code: o.code, reason: o.reason };
  return { state: o.state, code: o.code, ...(o.kind === 'delay' ? { delayMs: o.delayMs } : {}) };
}
