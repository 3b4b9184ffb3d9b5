// @ts-check
// One reconciliation sweep loop per worker process: sweeps are safe from many replicas at once (each row is
// taken under a sweep lease), so no election is needed; the interval is jittered so replicas do not align.
import { messageOf } from './json-log.mjs';

/**
 * Options of `startReconcileLoop`.
 * @typedef {object} ReconcileLoopOptions
 * @property {Pick<import('@leadmetrics/provider-sms').SmsReconciler, 'sweep'>} reconciler
 * @property {number} intervalMs mean time between sweeps; 0 = no loop
 * @property {import('./json-log.mjs').EmitEvent} emit
 * @property {(outcome: import('@leadmetrics/provider-sms').SmsReconcileOutcome) => Promise<unknown>} [onDecided]
 *   called for each row a sweep decided (accepted or deferred); a failure is logged, not thrown
 * @property {number} [limit] rows per sweep (default 500)
 * @property {number} [batch] rows per `reconciler.sweep` call (default 50): `stop()` waits for one batch, not a sweep
 * @property {() => number} [random] jitter source (default Math.random)
 */

/**
 * Starts sweeping every `intervalMs` (± 25 %) in batches; `stop()` waits for the running batch only.
 * @param {ReconcileLoopOptions} options @returns {{ stop(): Promise<void> }}
 */
export function startReconcileLoop({
  reconciler,
  intervalMs,
  emit,
  onDecided,
  limit = 500,
  batch = 50,
  random = Math.random,
}) {
  if (intervalMs <= 0) return { stop: async () => undefined };
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {Promise<void>} */
  let running = Promise.resolve();
  /** One batch: the rows it decided are handed to `onDecided`; returns them all. */
  const sweepBatch = async (/** @type {number} */ rows) => {
    const outcomes = await reconciler.sweep({ limit: rows });
    if (onDecided)
      for (const o of outcomes.filter((x) => x.state !== 'unknown'))
        await onDecided(o).catch((err) => emit('sweep-error', { message: messageOf(err) }));
    return outcomes;
  };
  const sweep = async () => {
    /** @type {import('@leadmetrics/provider-sms').SmsReconcileOutcome[]} */
    const all = [];
    try {
      while (!stopped && all.length < limit) {
        const rows = Math.min(batch, limit - all.length);
        const outcomes = await sweepBatch(rows);
        all.push(...outcomes);
        if (outcomes.length < rows) break; // nothing more to take
      }
    } catch (err) {
      emit('sweep-error', { message: messageOf(err) });
    }
    if (all.length > 0) emit('sweep', countStates(all));
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = sweep();
      },
      Math.round(intervalMs * (0.75 + random() / 2)),
    );
    timer.unref?.();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * How many rows a sweep left in each state.
 * @param {readonly { state: string }[]} outcomes @returns {Record<string, number>}
 */
export function countStates(outcomes) {
  /** @type {Record<string, number>} */
  const counts = { rows: outcomes.length };
  for (const o of outcomes) counts[o.state] = (counts[o.state] ?? 0) + 1;
  return counts;
}
