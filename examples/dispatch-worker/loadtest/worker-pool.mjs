// N worker processes (`src/worker.mjs` of the example), each its own OS process; the chaos replaces killed ones.
import { startService } from './service-process.mjs';

/**
 * @typedef {import('./service-process.mjs').ServiceEvent} ServiceEvent
 * @typedef {import('./service-process.mjs').ServiceProcess} ServiceProcess
 */

/**
 * Starts `size` workers of `file` (each with `WORKER_NAME=worker-<slot>-<generation>`) and resolves once all are ready.
 * @param {{ size: number, file: string, env: NodeJS.ProcessEnv, log: (line: string) => void,
 *   onEvent: (event: ServiceEvent) => void }} o
 */
export async function startWorkerPool(o) {
  /** @type {(ServiceProcess | undefined)[]} */
  const slots = [];
  let started = 0;
  /** @param {number} i */
  const spawnAt = async (i) => {
    const name = `worker-${i}-${started++}`;
    const p = startService({
      name,
      file: o.file,
      env: { ...o.env, WORKER_NAME: name },
      log: o.log,
      onEvent: o.onEvent,
    });
    slots[i] = p;
    await p.ready;
  };
  await Promise.all(Array.from({ length: o.size }, (_, i) => spawnAt(i)));
  return {
    /** The pids of the running workers. */
    pids: () => slots.map((p) => p?.pid),
    /** Slots whose worker is running. */
    alive: () => slots.flatMap((p, i) => (p ? [i] : [])),
    /** SIGKILLs the worker in slot `i`, waits for its exit, starts a new one there and waits until it is ready. */
    async killAndReplace(/** @type {number} */ i) {
      const p = slots[i];
      if (!p) return;
      slots[i] = undefined;
      p.kill('SIGKILL');
      await p.exited;
      await spawnAt(i);
    },
    /** How many worker processes were started in all (replacements included). */
    get started() {
      return started;
    },
    /** SIGTERMs every worker (they drain) and waits; one still running after `graceMs` is SIGKILLed. */
    async stop(graceMs = 15_000) {
      const all = slots.filter((p) => p !== undefined);
      slots.length = 0;
      await Promise.all(
        all.map(async (p) => {
          p.kill('SIGTERM');
          const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
          await p.exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
