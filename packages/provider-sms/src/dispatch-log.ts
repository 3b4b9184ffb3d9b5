import type { Queryable } from './config/database.js';
import { checkSchemaName, runLockedMigration } from './config/store.js';
import { isSmsError } from './errors.js';
import { assertTenantId } from './tenant-id.js';
import type { SmsProviderName, SmsSendResult } from './types.js';

const TABLE = 'notification_dispatch_log';

/** Options of the dispatch-log functions. */
export interface DispatchLogOptions {
  /** Postgres schema of the table; default 'public'. */
  schema?: string;
}

/** One row of `notification_dispatch_log`: the initial status of a send, as the dispatch service records it. */
export interface DispatchLogEntry {
  id: string;
  tenantId: string;
  channel: string;
  /** The provider that was (or would have been) used; null when no provider was chosen. */
  provider: SmsProviderName | null;
  messageId: string | null;
  /** The provider's status on success ('queued', 'accepted', …), 'failed' when the send was rejected. */
  status: string;
  /** The `SmsError` code of a failed send. */
  errorCode: string | null;
  createdAt: Date;
}

/** What to record for one send. */
export interface DispatchLogInput {
  tenantId: string;
  /** Default 'sms'. */
  channel?: string;
  provider?: SmsProviderName | null;
  messageId?: string | null;
  status: string;
  errorCode?: string | null;
}

const tableName = (options: DispatchLogOptions) => `"${checkSchemaName(options.schema)}".${TABLE}`;

/** The DDL of `notification_dispatch_log` in `schema` (idempotent statements; `migrate` runs them). */
export function dispatchLogStatements(schema: string): string[] {
  const t = tableName({ schema });
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
      id uuid PRIMARY KEY,
      tenant_id text NOT NULL,
      channel text NOT NULL,
      provider text,
      message_id text,
      status text NOT NULL,
      error_code text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX IF NOT EXISTS ${TABLE}_tenant_created_idx ON ${t} (tenant_id, created_at)`,
  ];
}

/**
 * Creates `notification_dispatch_log` (and its schema) if missing; idempotent and safe to run concurrently.
 * @deprecated `migrate(db)` creates and upgrades every table of the package, this one included.
 */
export async function migrateDispatchLog(db: Queryable, options: DispatchLogOptions = {}): Promise<void> {
  const schema = checkSchemaName(options.schema);
  await runLockedMigration(db, schema, dispatchLogStatements(schema));
}

/** Builds the log input of a send from its result or its error (non-`SmsError` failures get code 'unknown'). */
export function dispatchLogInput(
  tenantId: string,
  outcome: { result: SmsSendResult } | { error: unknown; provider?: SmsProviderName | null },
): DispatchLogInput {
  if ('result' in outcome) {
    const r = outcome.result;
    return { tenantId, provider: r.provider, messageId: r.messageId, status: r.status, errorCode: null };
  }
  const e = outcome.error;
  const provider = outcome.provider ?? (isSmsError(e) ? (e.provider ?? null) : null);
  return {
    tenantId,
    provider,
    messageId: isSmsError(e) ? (e.messageId ?? null) : null,
    status: 'failed',
    errorCode: isSmsError(e) ? e.code : 'unknown',
  };
}

/** Inserts the initial status of one send and returns the stored row. */
export async function recordDispatch(
  db: Queryable,
  input: DispatchLogInput,
  options: DispatchLogOptions = {},
): Promise<DispatchLogEntry> {
  const res = await db.query(
    `INSERT INTO ${tableName(options)} (id, tenant_id, channel, provider, message_id, status, error_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING id, tenant_id, channel, provider, message_id, status, error_code, created_at`,
    [
      globalThis.crypto.randomUUID(),
      assertTenantId(input.tenantId),
      input.channel ?? 'sms',
      input.provider ?? null,
      input.messageId ?? null,
      input.status,
      input.errorCode ?? null,
    ],
  );
  return toEntry(res.rows[0]);
}

/** Reads the latest entries, newest first (optionally of one tenant). */
export async function listDispatchLog(
  db: Queryable,
  options: DispatchLogOptions & { tenantId?: string; limit?: number } = {},
): Promise<DispatchLogEntry[]> {
  const limit = Math.max(1, Math.min(10_000, Math.floor(options.limit ?? 50)));
  const cols = 'id, tenant_id, channel, provider, message_id, status, error_code, created_at';
  if (options.tenantId !== undefined) assertTenantId(options.tenantId);
  const res = options.tenantId
    ? await db.query(
        `SELECT ${cols} FROM ${tableName(options)} WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
        [options.tenantId, limit],
      )
    : await db.query(`SELECT ${cols} FROM ${tableName(options)} ORDER BY created_at DESC, id LIMIT $1`, [
        limit,
      ]);
  return res.rows.map(toEntry);
}

// biome-ignore lint/suspicious/noExplicitAny: a driver row.
function toEntry(r: any): DispatchLogEntry {
  return {
    id: String(r.id),
    tenantId: r.tenant_id,
    channel: r.channel,
    provider: r.provider ?? null,
    messageId: r.message_id ?? null,
    status: r.status,
    errorCode: r.error_code ?? null,
    createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
  };
}
