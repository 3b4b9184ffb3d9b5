#!/usr/bin/env node
// @ts-check
// The webhook process: `node src/webhook-server-main.mjs`. Prints `{"event":"listening","url":…}` on stderr once it
// serves; SIGTERM/SIGINT close it (exit 0); a bad environment exits 2 with the variable named.
import { verbose } from './env-vars.mjs';
import { jsonLines, routeConsole } from './json-log.mjs';
import { closeOnSignal, exitWithError } from './process-entry.mjs';
import { readWebhookEnv } from './webhook-env.mjs';
import { startWebhookServer } from './webhook-server.mjs';

const emit = jsonLines(process.stderr);
routeConsole(emit); // dependencies' console output becomes JSON lines too
/** How long a close may take before the process exits 1 anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

try {
  // `emit` and `verbose` go beside the options, not spread into a copy: a copy would lose their redacted views.
  const server = await startWebhookServer(readWebhookEnv(process.env), {
    emit,
    verbose: verbose(process.env),
  });
  closeOnSignal(emit, server.close, CLOSE_TIMEOUT_MS);
  emit('listening', { pid: process.pid, url: server.url });
} catch (err) {
  exitWithError(emit, err);
}
