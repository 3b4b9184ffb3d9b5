// The ledger is `notification_dispatch_log` grown in place (docs/design.md §10). Every new column is nullable or
// defaulted, so an older replica still inserting through `recordDispatch` keeps working during a rolling deploy;
// rows without a notification id (legacy ones) are never claimed, and their state is derived from status + code.
import { checkSchemaName } from '../config/store.js';
import { LEGACY_STATE_SQL } from './error-state.js';

/** The table the ledger lives in (the dispatch log's). */
export const LEDGER_TABLE = 'notification_dispatch_log';

/** The quoted, schema-qualified ledger table. */
export const ledgerTable = (schema?: string) => `"${checkSchemaName(schema)}".${LEDGER_TABLE}`;

/**
 * Idempotent statements upgrading the dispatch log into the ledger (run by `migrate` after its CREATE).
 * Attempts are a JSONB array on the row: a notification has a handful at most, appending one is part of the
 * same conditional UPDATE that checks the lease, and `get` reads one row.
 */
export function ledgerStatements(schema: string): string[] {
  const t = ledgerTable(schema);
  const columns = [
    'notification_id text',
    'state text',
    'lease_owner text',
    'lease_id text',
    'lease_expires_at timestamptz',
    "attempts jsonb NOT NULL DEFAULT '[]'::jsonb",
    'recipient text',
    'fingerprint text',
    'fingerprint_key_id text',
    'result jsonb',
    'error jsonb',
    'status_at timestamptz',
    'reason text',
    'updated_at timestamptz',
    // Reconciliation: an HMAC of recipient + body alone (to compare with a listed message), and a sweep's short lease.
    'body_fingerprint text',
    'reconcile_until timestamptz',
  ];
  return [
    ...columns.map((c) => `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${c}`),
    `UPDATE ${t} SET state = ${LEGACY_STATE_SQL} WHERE state IS NULL`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${LEDGER_TABLE}_notification_uq ON ${t} (tenant_id, channel, notification_id) WHERE notification_id IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS ${LEDGER_TABLE}_state_idx ON ${t} (state, created_at) WHERE notification_id IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS ${LEDGER_TABLE}_created_idx ON ${t} (created_at)`,
    `CREATE INDEX IF NOT EXISTS ${LEDGER_TABLE}_message_idx ON ${t} (tenant_id, provider, message_id) WHERE message_id IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS ${LEDGER_TABLE}_attempts_idx ON ${t} USING gin (attempts jsonb_path_ops)`,
    // MSG91 reports have no tenant route: their request id is looked up across tenants (apply-status.ts).
    `CREATE INDEX IF NOT EXISTS ${LEDGER_TABLE}_provider_message_idx ON ${t} (provider, message_id) WHERE message_id IS NOT NULL AND notification_id IS NOT NULL`,
  ];
}
