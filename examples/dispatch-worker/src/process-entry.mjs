// @ts-check
// What both process entries do around their server: exit on a startup error, drain on SIGTERM/SIGINT.

/** @param {unknown} err @returns {string} */
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/**
 * Logs `{"event":"error"}` and exits with the error's `exitCode` (2 for a bad environment), else 1.
 * @param {import('./json-log.mjs').EmitEvent} emit @param {unknown} err @returns {never}
 */
export function exitWithError(emit, err) {
  emit('error', { message: messageOf(err) });
  process.exit(/** @type {{ exitCode?: number }} */ (err)?.exitCode ?? 1);
}

/**
 * On SIGTERM or SIGINT: logs `draining`, awaits `close()`, logs `closed` and exits 0 (1 if it failed, or if it has
 * not finished after `giveUpAfterMs`).
 * @param {import('./json-log.mjs').EmitEvent} emit @param {() => Promise<void>} close @param {number} giveUpAfterMs
 */
export function closeOnSignal(emit, close, giveUpAfterMs) {
  /** @param {string} signal */
  const stop = (signal) => {
    emit('draining', { pid: process.pid, signal });
    setTimeout(
      () => exitWithError(emit, new Error('the drain did not finish in time')),
      giveUpAfterMs,
    ).unref();
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
