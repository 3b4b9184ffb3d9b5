// @ts-check
// One reconciliation sweep loop per worker process: sweeps are safe from many replicas at once (each row is
// taken under a sweep lease), so no election is needed; the interval is jittered so replicas do not align.

/**
 * Options of `startReconcileLoop`.
 * @typedef {object} ReconcileLoopOptions
 * @property {Pick<import('@leadmetrics/provider-sms').SmsReconciler, 'sweep'>} reconciler
 * @property {number} intervalMs mean time between sweeps; 0 = no loop
 * @property {import('./json-log.mjs').EmitEvent} emit
 * @property {(outcome: import('@leadmetrics/provider-sms').SmsReconcileOutcome) => Promise<unknown>} [onDecided]
 *   called for each row a sweep decided (accepted or deferred); a failure is logged, not thrown
 * @property {number} [limit] rows per sweep (default 500)
 * @property {() => number} [random] jitter source (default Math.random)
 */

/**
 * Starts sweeping every `intervalMs` (± 25 %); `stop()` waits for a running sweep.
 * @param {ReconcileLoopOptions} options @returns {{ stop(): Promise<void> }}
 */
export function startReconcileLoop({
  reconciler,
  intervalMs,
  emit,
  onDecided,
  limit = 500,
  random = Math.random,
}) {
  if (intervalMs <= 0) return { stop: async () => undefined };
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {Promise<void>} */
  let running = Promise.resolve();
  const sweep = async () => {
    try {
      const outcomes = await reconciler.sweep({ limit });
      if (outcomes.length > 0) emit('sweep', countStates(outcomes));
      if (onDecided)
        for (const o of outcomes.filter((x) => x.state !== 'unknown'))
          await onDecided(o).catch((err) => emit('sweep-error', { message: messageOf(err) }));
    } catch (err) {
      emit('sweep-error', { message: messageOf(err) });
    }
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

/** @param {unknown} err @returns {string} */
const messageOf = (err) => (err instanceof Error ? err.message : String(err));
