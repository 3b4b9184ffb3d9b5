// @ts-check
// What the worker and the webhook process both open: the shared PostgreSQL (migrated), the config store, the
// ledger, and a LISTEN for config changes that reconnects when its connection is lost.
import {
  createPostgresConfigStore,
  listenForChanges,
  migrate,
  openDatabase,
} from '@leadmetrics/provider-sms/config';
import { createSmsLedger } from '@leadmetrics/provider-sms/ledger';

/**
 * Options of `openLedgerDatabase`.
 * @typedef {object} LedgerDatabaseOptions
 * @property {string} databaseUrl postgres:// URL (never logged)
 * @property {string} schema schema of the package's tables
 * @property {import('@leadmetrics/provider-sms').ConfigCipher} cipher
 * @property {number} [leaseMs] ledger lease (default the library's 30 s)
 * @property {string} [owner] the name on this process's ledger claims (default the library's `<hostname>:<pid>`)
 * @property {number} [maxConnections] pool size
 * @property {import('@leadmetrics/provider-sms').Logger} logger
 */

/**
 * An open, migrated database with its store and ledger.
 * @typedef {object} LedgerDatabase
 * @property {import('@leadmetrics/provider-sms').OpenDatabase} database
 * @property {import('@leadmetrics/provider-sms').SmsConfigStore} store
 * @property {import('@leadmetrics/provider-sms').SmsLedger} ledger
 * @property {(target: Parameters<typeof listenForChanges>[1]) => Promise<{ close(): Promise<void> }>} listen
 *   LISTENs for config changes on a dedicated connection (reconnecting with backoff) and invalidates `target`.
 * @property {() => Promise<void>} close closes the pool
 */

/**
 * Opens the pool, migrates (safe from many processes at once), and builds the store and the ledger.
 * @param {LedgerDatabaseOptions} options @returns {Promise<LedgerDatabase>}
 */
export async function openLedgerDatabase(options) {
  const { schema, cipher, logger } = options;
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    onError: (err) => logger.warn({ error: err.message }, 'idle database connection failed'),
  });
  try {
    await migrate(database.db, { schema });
  } catch (err) {
    await database.close();
    throw err;
  }
  const store = createPostgresConfigStore(database.db, { schema });
  const ledger = createSmsLedger({
    db: database.db,
    cipher,
    schema,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.owner ? { owner: options.owner } : {}),
  });
  return {
    database,
    store,
    ledger,
    async listen(target) {
      const first = await database.openListenConnection();
      let ended = false; // pg's end() of a client that already ended may never settle: skip it then
      /** @type {{ once?: (event: string, cb: () => void) => void }} */ (first.connection).once?.(
        'end',
        () => {
          ended = true;
        },
      );
      const reconnect = () => database.openListenConnection();
      const changes = await listenForChanges(first.connection, target, { schema, logger, reconnect }).catch(
        async (/** @type {unknown} */ err) => {
          await first.close();
          throw err;
        },
      );
      return {
        async close() {
          await changes.close();
          if (!ended) await first.close();
        },
      };
    },
    close: () => database.close(),
  };
}
