#!/usr/bin/env node
// @ts-check
// The worker process: `node src/worker.mjs`. Environment → createDispatchWorker; one JSON line per event on stderr
// (stdout stays empty); SIGTERM/SIGINT drain and exit 0; a bad environment exits 2 with the variable named.
import { createDispatchWorker } from './dispatch-worker.mjs';
import { verbose } from './env-vars.mjs';
import { jsonLines, routeConsole } from './json-log.mjs';
import { closeOnSignal, exitWithError } from './process-entry.mjs';
import { readWorkerEnv } from './worker-env.mjs';

const emit = jsonLines(process.stderr);
routeConsole(emit); // dependencies' console output becomes JSON lines too
/** Extra time past the drain timeout before the process gives up on a clean close (e.g. Redis is down). */
const CLOSE_GRACE_MS = 10_000;

try {
  const options = readWorkerEnv(process.env);
  // `emit` and `verbose` go beside the options, not spread into a copy: a copy would lose their redacted views.
  const running = await createDispatchWorker(options, { emit, verbose: verbose(process.env) });
  // If the drain cannot finish (Redis down), in-flight work is aborted and the process exits 1 anyway: the ledger
  // covers what is left.
  closeOnSignal(emit, running.close, options.drainTimeoutMs + CLOSE_GRACE_MS, running.abort);
  emit('ready', {
    pid: process.pid,
    ...(options.workerName ? { name: options.workerName } : {}),
    queue: options.queueName,
    concurrency: options.concurrency,
  });
} catch (err) {
  exitWithError(emit, err);
}
