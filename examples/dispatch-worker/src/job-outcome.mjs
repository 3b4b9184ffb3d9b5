// @ts-check
// Pure: what a BullMQ job does with a dispatch's outcome (README "Job outcomes"). No BullMQ import here; the
// processor (job-processor.mjs) turns each decision into BullMQ's own mechanism.
import { isSmsError } from '@leadmetrics/provider-sms/ledger';

/** Shortest delay of a delayed or backed-off job (ms): a row that answers "now" is not polled in a hot loop. */
export const MIN_RETRY_DELAY_MS = 250;
/** Longest backoff (ms) of a deferred job, also the cap on a provider's Retry-After. */
export const MAX_BACKOFF_MS = 60_000;
/** First backoff (ms) of a deferred job; doubled per attempt. */
export const BASE_BACKOFF_MS = 1_000;
/** The name of the job option `backoff.type` the worker's backoff strategy answers. */
export const BACKOFF_TYPE = 'sms-dispatch';

/**
 * Errors thrown before anything was claimed that no retry can fix: the job's own data is wrong.
 * @type {ReadonlySet<string>}
 */
const BAD_JOB_CODES = new Set([
  'invalid_config',
  'invalid_message',
  'invalid_recipient',
  'invalid_template',
  'idempotency_conflict',
]);

/**
 * - `complete`: the job is done (accepted; `deduplicated` = no provider call this time).
 * - `fail`: failed for good (`UnrecoverableError`): BullMQ does not retry it.
 * - `delay`: back to the delayed set for `delayMs` (`moveToDelayed` + `DelayedError`): no attempt is used up, the
 *   dispatcher decides on the next run (it reconciles first; nothing is re-sent blindly).
 * - `retry`: the error is thrown: BullMQ retries it with the job's `attempts` and the backoff of `backoffDelayMs`.
 * - `unknown-final`: completed as "unknown, reported": past its settle deadline, a row no provider lookup can decide
 *   (`no_lookup`: MSG91); asking again cannot help, a late delivery report still settles the row (webhook process).
 * @typedef {{ kind: 'complete', deduplicated: boolean, provider: string, messageId: string }
 *   | { kind: 'fail', state: string, code: string }
 *   | { kind: 'delay', state: string, code: string, delayMs: number }
 *   | { kind: 'retry', state: string, code: string }
 *   | { kind: 'unknown-final', state: 'unknown', code: string, reason: string }} JobOutcome
 */

/**
 * Options of `jobOutcome`.
 * @typedef {object} JobOutcomeOptions
 * @property {number} unknownRecheckMs Longest wait before an `unknown` row is asked again while its settle deadline is
 *   ahead (evidence may come early; absence cannot be proved before it).
 * @property {number} settledRecheckMs The wait for an `unknown` row past its settle deadline: only late evidence or a
 *   reconcile sweep can decide it now (a sweep that does promotes the job).
 * @property {number} leaseMs The ledger lease: the wait for a claim whose holder gave no `retryAfterMs`.
 */

/**
 * Maps a dispatch's result or error to what the job does; `settled.error` may be anything thrown.
 * @param {{ result: import('@leadmetrics/provider-sms/ledger').SmsDispatchResult } | { error: unknown }} settled
 * @param {JobOutcomeOptions} options
 * @returns {JobOutcome}
 */
export function jobOutcome(settled, options) {
  if ('result' in settled) {
    const { result, deduplicated } = settled.result;
    return { kind: 'complete', deduplicated, provider: result.provider, messageId: result.messageId };
  }
  const err = settled.error;
  if (!isSmsError(err)) return { kind: 'retry', state: 'none', code: 'unexpected' };
  const code = err.code;
  const state = err.ledgerState ?? 'none';
  if (code === 'idempotency_conflict') return { kind: 'fail', state, code };
  switch (err.ledgerState) {
    case 'rejected':
      return { kind: 'fail', state, code };
    case 'deferred':
      return { kind: 'retry', state, code };
    case 'unknown': {
      const wait = unknownPastDeadline(settled)
        ? options.settledRecheckMs
        : Math.min(err.retryAfterMs ?? 0, options.unknownRecheckMs);
      return { kind: 'delay', state, code, delayMs: atLeastMin(wait) };
    }
    case 'claimed':
      return { kind: 'delay', state, code, delayMs: atLeastMin(err.retryAfterMs ?? options.leaseMs) };
    default:
      // Nothing was claimed: bad job data fails, anything else (database down, aborted) is retried with backoff.
      return BAD_JOB_CODES.has(code) ? { kind: 'fail', state, code } : { kind: 'retry', state, code };
  }
}

/**
 * Whether the dispatch ended `unknown` with its settle deadline passed (no `retryAfterMs`): only evidence decides now.
 * @param {{ result: unknown } | { error: unknown }} settled @returns {boolean}
 */
export function unknownPastDeadline(settled) {
  if (!('error' in settled) || !isSmsError(settled.error)) return false;
  const { ledgerState, retryAfterMs } = settled.error;
  return ledgerState === 'unknown' && !(retryAfterMs !== undefined && retryAfterMs > 0);
}

/**
 * A `delay` of an `unknown` row past its settle deadline becomes `unknown-final` when the row's reconcile `reason` is
 * `no_lookup` (the provider offers no lookup: re-asking every minute until `maxStartedAttempts` would decide nothing).
 * @param {JobOutcome} o @param {string | undefined} reason the ledger row's reason @returns {JobOutcome}
 */
export function finalUnknown(o, reason) {
  if (o.kind !== 'delay' || o.state !== 'unknown' || reason !== 'no_lookup') return o;
  return { kind: 'unknown-final', state: 'unknown', code: o.code, reason };
}

/**
 * The backoff (ms) before retry number `attemptsMade + 1` of a `retry` outcome: exponential from 1 s with jitter,
 * never shorter than the error's `retryAfterMs` (429 Retry-After, a paced sender: a floor, so a sustained 429 cannot
 * burn the attempts in seconds); between 250 ms and 60 s.
 * @param {number} attemptsMade @param {unknown} err @param {() => number} [random] @returns {number}
 */
export function backoffDelayMs(attemptsMade, err, random = Math.random) {
  const ceiling = backoffCeilingMs(attemptsMade);
  // "Equal jitter": half fixed, half random, so replicas retrying one outage spread out.
  const exponential = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const after = isSmsError(err) ? (err.retryAfterMs ?? 0) : 0;
  return Math.min(atLeastMin(Math.max(after, exponential)), MAX_BACKOFF_MS);
}

/**
 * How long a job retried with `backoffDelayMs` waits in all before its last attempt fails (the backoffs alone, the
 * dispatches' own time not counted): `minMs` with the lowest jitter, `maxMs` with the highest.
 * @param {number} attempts the job's `attempts` @returns {{ minMs: number, maxMs: number }}
 */
export function giveUpAfterMs(attempts) {
  let minMs = 0;
  let maxMs = 0;
  for (let made = 1; made < attempts; made++) {
    minMs += backoffDelayMs(made, undefined, () => 0);
    maxMs += backoffDelayMs(made, undefined, () => 1);
  }
  return { minMs, maxMs };
}

/** @param {number} attemptsMade @returns {number} */
const backoffCeilingMs = (attemptsMade) =>
  Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attemptsMade - 1), MAX_BACKOFF_MS);

/** @param {number} ms @returns {number} */
const atLeastMin = (ms) => Math.max(MIN_RETRY_DELAY_MS, Math.ceil(ms));
