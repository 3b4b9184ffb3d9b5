// @ts-check
// One JSON line per event on a stream (stderr in the entries; stdout stays empty), and the library's Logger on top.
import { format } from 'node:util';
import { redactSecrets } from '@leadmetrics/provider-sms';

/**
 * Writes events: `emit('job', { jobId })` → `{"event":"job","jobId":…}`.
 * @typedef {(event: string, fields?: Record<string, unknown>) => void} EmitEvent
 */

/**
 * An event writer on `stream` (secrets redacted, one line each).
 * @param {{ write(chunk: string): unknown }} stream @returns {EmitEvent}
 */
export function jsonLines(stream) {
  return (event, fields = {}) => {
    stream.write(`${redactSecrets(JSON.stringify({ event, ...fields }))}\n`);
  };
}

/**
 * The library's `Logger` as `{"event":"log","level":…}` lines: warnings and errors always, info/debug when `verbose`.
 * @param {EmitEvent} emit @param {boolean} [verbose] @returns {import('@leadmetrics/provider-sms').Logger}
 */
export function libraryLogger(emit, verbose = false) {
  /** @param {string} level */
  const write =
    (level) => (/** @type {Record<string, unknown>} */ fields, /** @type {string | undefined} */ msg) =>
      emit('log', { level, msg, ...fields });
  const quiet = () => undefined;
  return {
    debug: verbose ? write('debug') : quiet,
    info: verbose ? write('info') : quiet,
    warn: write('warn'),
    error: write('error'),
  };
}

/**
 * The message of anything thrown (an event's `message` field).
 * @param {unknown} err @returns {string}
 */
export const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/**
 * Routes `console.warn`/`console.error` of dependencies into `{"event":"log","source":"console"}` lines, so stderr
 * stays one JSON line per event (ioredis prints `[WARN] … does not require a password` when REDIS_URL has one and
 * the server has none).
 * @param {EmitEvent} emit @param {Pick<Console, 'warn' | 'error'>} [target]
 */
export function routeConsole(emit, target = console) {
  /** @param {'warn' | 'error'} level */
  const to =
    (level) =>
    (/** @type {unknown[]} */ ...args) =>
      emit('log', { level, source: 'console', msg: format(...args) });
  target.warn = to('warn');
  target.error = to('error');
}
