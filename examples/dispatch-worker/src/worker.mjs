#!/usr/bin/env node
// @ts-check
// The worker process: `node src/worker.mjs`. Environment → createDispatchWorker; one JSON line per event on stderr
// (stdout stays empty); SIGTERM/SIGINT drain and exit 0; a bad environment exits 2 with the variable named.
import { createDispatchWorker } from './dispatch-worker.mjs';
import { verbose } from './env-vars.mjs';
import { jsonLines } from './json-log.mjs';
import { closeOnSignal, exitWithError } from './process-entry.mjs';
import { readWorkerEnv } from './worker-env.mjs';

const emit = jsonLines(process.stderr);
/** Extra time past the drain timeout before the process gives up on a clean close (e.g. Redis is down). */
const CLOSE_GRACE_MS = 10_000;

try {
  const options = readWorkerEnv(process.env);
  const running = await createDispatchWorker({ ...options, emit, verbose: verbose(process.env) });
  // If the drain cannot finish (Redis down), the process exits 1 anyway: the ledger covers in-flight claims.
  closeOnSignal(emit, running.close, options.drainTimeoutMs + CLOSE_GRACE_MS);
  emit('ready', {
    pid: process.pid,
    ...(options.workerName ? { name: options.workerName } : {}),
    queue: options.queueName,
    concurrency: options.concurrency,
  });
} catch (err) {
  exitWithError(emit, err);
}
