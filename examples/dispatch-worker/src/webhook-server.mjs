// @ts-check
// startWebhookServer: the library's status webhook handler on node:http, writing every verified Twilio status
// callback and MSG91 delivery report to the dispatch ledger (evidence that settles `claimed`/`unknown` rows).
import { createServer } from 'node:http';
import { createStatusWebhookHandler, toNodeListener } from '@leadmetrics/provider-sms/webhooks';
import { libraryLogger } from './json-log.mjs';
import { openLedgerDatabase } from './ledger-database.mjs';

/**
 * Options of `startWebhookServer` (`readWebhookEnv` builds them from the environment).
 * @typedef {object} WebhookServerOptions
 * @property {string} databaseUrl the workers' PostgreSQL (never logged)
 * @property {string} schema
 * @property {import('@leadmetrics/provider-sms').ConfigCipher} cipher decrypts tenants' Twilio auth tokens
 * @property {string} host
 * @property {number} port 0 = a free port
 * @property {string} [publicBaseUrl] the public origin + prefix Twilio calls (behind a proxy); default the request's
 * @property {string} [msg91Secret] the secret of the MSG91 route `…/msg91/<secret>`; without it that route is 404
 * @property {import('./json-log.mjs').EmitEvent} [emit] event sink
 * @property {boolean} [verbose] one `status` event per new delivery status, and the library's info logs
 */

/**
 * Serves `POST <url>/twilio/<tenantId>` and `POST <url>/msg91/<secret>`; resolves once listening.
 * @param {WebhookServerOptions} options
 * @param {import('./dispatch-worker.mjs').ProcessContext} [context] `emit`/`verbose` beside the (redacted) options
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startWebhookServer(options, context = {}) {
  const emit = context.emit ?? options.emit ?? (() => undefined);
  const verbose = context.verbose ?? options.verbose;
  const logger = libraryLogger(emit, verbose);
  const { databaseUrl, schema, cipher } = options; // named, not spread: a copy would lose the redacted views
  const ldb = await openLedgerDatabase({ databaseUrl, schema, cipher, logger });
  /** @type {{ close(): Promise<void> } | undefined} */
  let changes;
  try {
    const handler = createStatusWebhookHandler({
      store: ldb.store,
      cipher: options.cipher,
      ledger: ldb.ledger,
      ...(options.msg91Secret ? { msg91Secret: options.msg91Secret } : {}),
      ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
      onEvent: (e) => {
        if (verbose) emit('status', { provider: e.provider, tenantId: e.tenantId, status: e.status });
      },
      logger,
    });
    changes = await ldb.listen(handler); // a tenant's rotated auth token is used at once
    const server = createServer(toNodeListener(handler, { logger }));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve(undefined));
    });
    const address = /** @type {import('node:net').AddressInfo} */ (server.address());
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const listening = changes;
    return {
      url: `http://${host}:${address.port}`,
      async close() {
        await new Promise((resolve) => {
          server.close(() => resolve(undefined));
          server.closeIdleConnections();
        });
        await listening.close();
        await ldb.close();
      },
    };
  } catch (err) {
    await changes?.close().catch(() => undefined);
    await ldb.close();
    throw err;
  }
}
