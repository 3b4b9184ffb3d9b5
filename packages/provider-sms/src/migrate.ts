import type { Queryable } from './config/database.js';
import { checkSchemaName, providerConfigStatements, runLockedMigration } from './config/store.js';
import { dispatchLogStatements } from './dispatch-log.js';
import { ledgerStatements } from './ledger/ledger-schema.js';

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Schema of the tables (created if missing); default `public`. */
  schema?: string;
}

/**
 * Creates or upgrades every table the package owns (`notification_providers`, and `notification_dispatch_log` upgraded in place into the dispatch ledger)
 * in one transaction under an advisory lock: idempotent, and safe to run from several replicas at once.
 */
export async function migrate(db: Queryable, options: MigrateOptions = {}): Promise<void> {
  const schema = checkSchemaName(options.schema);
  await runLockedMigration(db, schema, [
    ...providerConfigStatements(schema),
    ...dispatchLogStatements(schema),
    ...ledgerStatements(schema),
  ]);
}
