// One child process of the run (a worker or the webhook server): its stdout and stderr go to the run's log
// (stderr), each stderr line that is a JSON object with an `event` is handed to `onEvent`, and `ready` resolves on
// its ready line (`{"event":"ready"}` of a worker, `{"event":"listening","url":…}` of the webhook process).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * @typedef {{ event: string, [key: string]: unknown }} ServiceEvent
 * @typedef {{ name: string, pid: number | undefined, ready: Promise<ServiceEvent>, exited: Promise<number | string>,
 *   kill(signal: NodeJS.Signals): void }} ServiceProcess
 */

/**
 * Parses one log line: the event object when it is JSON with a string `event`, else undefined.
 * @param {string} line
 * @returns {ServiceEvent | undefined}
 */
export function parseEvent(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line);
    return v && typeof v === 'object' && typeof v.event === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts `node <file>` with `env`; rejects `ready` if it exits first or says nothing ready within `readyTimeoutMs`.
 * @param {{ name: string, file: string, env: NodeJS.ProcessEnv, log: (line: string) => void,
 *   onEvent?: (event: ServiceEvent) => void, readyEvent?: string, readyTimeoutMs?: number }} o
 * @returns {ServiceProcess}
 */
export function startService(o) {
  const child = spawn(process.execPath, [o.file], { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {(e: ServiceEvent) => void} */
  let onReady = () => {};
  /** @type {(e: Error) => void} */
  let onFail = () => {};
  /** @type {Promise<ServiceEvent>} */
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  ready.catch(() => {});
  const timer = setTimeout(
    () => onFail(new Error(`${o.name}: not ready after ${o.readyTimeoutMs ?? 20_000} ms`)),
    o.readyTimeoutMs ?? 20_000,
  );
  createInterface({ input: child.stdout }).on('line', (line) => o.log(`[${o.name}] ${line}`));
  createInterface({ input: child.stderr }).on('line', (line) => {
    const event = parseEvent(line);
    if (event?.event === (o.readyEvent ?? 'ready')) {
      clearTimeout(timer);
      onReady(event);
    }
    if (event) o.onEvent?.(event);
    if (!event?.event.startsWith('job')) o.log(`[${o.name}] ${line}`); // one per job: too many to log
  });
  /** @type {Promise<number | string>} */
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      onFail(new Error(`${o.name} exited (${code ?? signal}) before it was ready`));
      resolve(code ?? signal ?? 'exit');
    });
  });
  return {
    name: o.name,
    pid: child.pid,
    ready,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
