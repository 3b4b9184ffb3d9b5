// @ts-check
// What both process entries do around their server: exit on a startup error, drain on SIGTERM/SIGINT.
import { messageOf } from './json-log.mjs';

/**
 * Logs `{"event":"error"}` and exits with the error's `exitCode` (2 for a bad environment), else 1.
 * @param {import('./json-log.mjs').EmitEvent} emit @param {unknown} err @returns {never}
 */
export function exitWithError(emit, err) {
  emit('error', { message: messageOf(err) });
  process.exit(/** @type {{ exitCode?: number }} */ (err)?.exitCode ?? 1);
}

/** How long the exit deadline lets aborted dispatches release their claims before the process exits. */
const ABORT_GRACE_MS = 1_000;

/**
 * On SIGTERM or SIGINT: logs `draining`, awaits `close()`, logs `closed` and exits 0 (1 if it failed, or if it has
 * not finished after `giveUpAfterMs`: then `abort` runs first, and aborted work gets a second to release its claims).
 * @param {import('./json-log.mjs').EmitEvent} emit @param {() => Promise<void>} close @param {number} giveUpAfterMs
 * @param {(reason: Error) => void} [abort] aborts in-flight work at the deadline
 */
export function closeOnSignal(emit, close, giveUpAfterMs, abort) {
  /** @param {string} signal */
  const stop = (signal) => {
    emit('draining', { pid: process.pid, signal });
    setTimeout(() => {
      const late = new Error('the drain did not finish in time');
      if (!abort) exitWithError(emit, late);
      abort(late);
      setTimeout(() => exitWithError(emit, late), ABORT_GRACE_MS).unref();
    }, giveUpAfterMs).unref();
    close().then(
      () => {
        emit('closed', { pid: process.pid });
        process.exit(0);
      },
      (err) => exitWithError(emit, err),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
