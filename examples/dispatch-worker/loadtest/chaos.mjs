// Chaos on a timer: every `intervalMs` SIGKILL one live worker picked at random, then start a new one in its place;
// and, on its own timer, queue the next provider fault of a fixed rotation on both emulators.

/**
 * The faults injected in turn (one per tick, on both providers): each is a way a send can end with its outcome
 * unknown or refused. Shapes of `@leadmetrics/provider-sms/testing`'s `EmulatorFault`.
 */
export const FAULT_ROTATION = Object.freeze([
  { name: 'record-then-reset', fault: { resetSocket: 'mid-response' } },
  { name: 'record-then-hang', fault: { hang: true } },
  {
    name: '503-before-record',
    fault: { status: 503, json: { code: 20500, message: 'Service Unavailable' } },
  },
  {
    name: '429',
    fault: {
      status: 429,
      headers: { 'retry-after': '1' },
      json: { code: 20429, message: 'Too Many Requests' },
    },
  },
]);

/**
 * Calls `tick(n)` every `intervalMs` (n = 0, 1, …) until `stop()`; a tick still running delays the next one. A tick
 * that throws ends the timer: `failed` turns true and `stop()` rethrows the error.
 * @param {number} intervalMs
 * @param {(n: number) => Promise<void> | void} tick
 */
export function every(intervalMs, tick) {
  let n = 0;
  let stopped = false;
  /** @type {{ error: unknown } | undefined} */
  let failure;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {Promise<void>} */
  let running = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(() => {
      running = (async () => {
        try {
          await tick(n++);
        } catch (error) {
          failure = { error };
          stopped = true;
        } finally {
          if (!stopped) schedule();
        }
      })();
    }, intervalMs);
  };
  schedule();
  return {
    /** Whether a tick threw (the timer then stopped). */
    get failed() {
      return failure !== undefined;
    },
    /** Stops the timer, waits for a running tick, and rethrows a tick's error. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (failure) throw failure.error;
    },
  };
}

/**
 * Kills a random live worker with SIGKILL every `intervalMs` and starts a replacement (`pool.killAndReplace`).
 * @param {{ alive(): number[], killAndReplace(index: number): Promise<void> }} pool
 * @param {number} intervalMs
 * @param {() => number} [random]
 */
export function startWorkerChaos(pool, intervalMs, random = Math.random) {
  let killed = 0;
  const timer = every(intervalMs, async () => {
    const alive = pool.alive();
    if (alive.length === 0) return;
    const index = /** @type {number} */ (alive[Math.floor(random() * alive.length)]);
    killed++;
    await pool.killAndReplace(index);
  });
  return {
    get killed() {
      return killed;
    },
    /** Whether a kill or a restart failed (e.g. a replacement did not start); `stop()` rethrows it. */
    get failed() {
      return timer.failed;
    },
    stop: () => timer.stop(),
  };
}

/**
 * Injects `FAULT_ROTATION` in turn on both providers every `intervalMs`; counts what was injected by name (`inject`
 * resolves false when it queued nothing).
 * @param {(provider: 'twilio' | 'msg91', fault: object) => Promise<boolean>} inject
 * @param {number} intervalMs
 */
export function startFaultInjection(inject, intervalMs) {
  /** @type {Record<string, number>} */
  const injected = {};
  const timer = every(intervalMs, async (n) => {
    const f = /** @type {(typeof FAULT_ROTATION)[number]} */ (FAULT_ROTATION[n % FAULT_ROTATION.length]);
    const done = await Promise.all([inject('twilio', f.fault), inject('msg91', f.fault)]);
    injected[f.name] = (injected[f.name] ?? 0) + done.filter(Boolean).length;
  });
  return {
    injected,
    /** Whether an injection failed; `stop()` rethrows it. */
    get failed() {
      return timer.failed;
    },
    stop: () => timer.stop(),
  };
}
