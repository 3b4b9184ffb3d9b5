import { SmsError } from '../errors.js';
import { assertTenantId } from '../tenant-id.js';
import type { Logger, SmsProviderName } from '../types.js';
import type { ConfigCipher } from './cipher.js';
import { type Queryable, withTransaction } from './database.js';
import { toStoreError, withStoreErrors } from './driver-errors.js';

/** The only channel this package stores. */
export type ConfigChannel = 'sms';

/** Which row: a tenant's config of one provider on one channel. */
export interface ConfigRowKey {
  tenantId: string;
  provider: SmsProviderName;
  /** Default 'sms'. */
  channel?: ConfigChannel;
}

/** A `notification_providers` row; `config` is the encrypted envelope, never plaintext. */
export interface StoredProviderConfig {
  id: string;
  tenantId: string;
  channel: string;
  provider: string;
  config: string;
  enabled: boolean;
  verifiedAt: Date | null;
  /** JSON `{ code, message }`, already redacted. */
  verificationError: string | null;
  configVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Which stored config a verification was about: the row (a re-created row gets a new id) and its version. */
export interface ConfigRowVersion {
  id: string;
  configVersion: number;
}

/**
 * The outcome of a verification, recorded only when the row still has the verified version. A failure clears
 * `verified_at` unless `keepVerified` (a transient failure: the credentials were not shown to be wrong).
 */
export type VerificationRecord = { ok: true } | { ok: false; error: string; keepVerified?: boolean };

/** One re-encrypted config: replaced only if the row still holds `expected`. */
export interface ConfigReplacement {
  id: string;
  expected: string;
  next: string;
}

/** Persistence of tenant provider configs; every state change is one transaction that also NOTIFYs. */
export interface SmsConfigStore {
  /** The NOTIFY channel this store announces changes on (payload: the tenant id). */
  readonly changeChannel: string;
  /** Reads one row. */
  get(key: ConfigRowKey): Promise<StoredProviderConfig | undefined>;
  /** Inserts or replaces the config: `verified_at` and `verification_error` cleared, `config_version` + 1. */
  upsert(key: ConfigRowKey, envelope: string): Promise<StoredProviderConfig>;
  /**
   * Records a verification of that row and version; false (nothing written) when the row moved on, is gone or
   * was re-created. Pass `{ id, configVersion }`: a bare version cannot tell a re-created row (version 1 again).
   */
  markVerified(
    key: ConfigRowKey,
    version: ConfigRowVersion | number,
    record: VerificationRecord,
  ): Promise<boolean>;
  /** Sets `enabled`; false when there is no row. */
  setEnabled(key: ConfigRowKey, enabled: boolean): Promise<boolean>;
  /** Deletes the row; false when there was none. */
  remove(key: ConfigRowKey): Promise<boolean>;
  /** Rows in id order after `afterId` (keyset pagination), for re-encryption. */
  listBatch(afterId: string | undefined, limit: number): Promise<StoredProviderConfig[]>;
  /** Swaps envelopes in one transaction (compare-and-set on each); returns how many were replaced. */
  replaceConfigs(replacements: readonly ConfigReplacement[]): Promise<number>;
  /** Sends a change notification for a tenant (also sent by every state change above). */
  notify(tenantId: string): Promise<void>;
}

/** Options of `migrate` and `createPostgresConfigStore`. */
export interface ConfigStoreOptions {
  /** Postgres schema of the table; default 'public'. Must be a plain identifier. */
  schema?: string;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,31}$/;
const TABLE = 'notification_providers';
/** The NOTIFY channel of the `public` schema; other schemas use `notification_providers_changed:<schema>`. */
export const CHANGE_CHANNEL = 'notification_providers_changed';
// An arbitrary constant: every migrate() of this package, in any schema, serializes on it.
const MIGRATE_LOCK_KEY = '7460131922041300021';

/** Validates a schema name (lowercase identifier, ≤ 32 chars) or throws `invalid_config`. */
export function checkSchemaName(schema: string | undefined): string {
  const s = schema ?? 'public';
  if (typeof s !== 'string' || !SCHEMA_RE.test(s)) {
    throw new SmsError({
      code: 'invalid_config',
      message: 'schema must be a lowercase identifier (letters, digits, "_"; at most 32 characters)',
    });
  }
  return s;
}

/** The NOTIFY/LISTEN channel for a schema (schema-qualified unless 'public', so test schemas don't cross-talk). */
export function changeChannelFor(schema?: string): string {
  const s = checkSchemaName(schema);
  return s === 'public' ? CHANGE_CHANNEL : `${CHANGE_CHANNEL}:${s}`;
}

/**
 * Runs DDL statements in `schema` (created if missing) in one transaction under the package's advisory
 * lock, so concurrent migrations never race (concurrent CREATE … IF NOT EXISTS can fail on pg_type).
 */
export async function runLockedMigration(
  db: Queryable,
  schema: string,
  statements: readonly string[],
): Promise<void> {
  await withTransaction(db, async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
    if (schema !== 'public') await tx.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    for (const sql of statements) await tx.query(sql);
  }).catch((err: unknown) => {
    throw toStoreError(err, 'migrate', { schema });
  });
}

/** The DDL of `notification_providers` in `schema` (idempotent statements; `migrate` runs them). */
export function providerConfigStatements(schema: string): string[] {
  // The unique constraint's index (tenant_id, channel, provider) is the resolver's lookup index;
  // re-encryption pages by id (the primary key's index).
  return [
    `CREATE TABLE IF NOT EXISTS "${schema}".${TABLE} (
      id uuid PRIMARY KEY,
      tenant_id text NOT NULL,
      channel text NOT NULL,
      provider text NOT NULL,
      config text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      verified_at timestamptz,
      verification_error text,
      config_version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT ${TABLE}_tenant_channel_provider_key UNIQUE (tenant_id, channel, provider)
    )`,
  ];
}

// biome-ignore lint/suspicious/noExplicitAny: a driver row.
const toDate = (v: any): Date | null => (v == null ? null : v instanceof Date ? v : new Date(v));

// biome-ignore lint/suspicious/noExplicitAny: a driver row.
function toRow(r: any): StoredProviderConfig {
  return {
    id: String(r.id),
    tenantId: r.tenant_id,
    channel: r.channel,
    provider: r.provider,
    config: r.config,
    enabled: r.enabled === true || r.enabled === 't',
    verifiedAt: toDate(r.verified_at),
    verificationError: r.verification_error ?? null,
    configVersion: Number(r.config_version),
    createdAt: toDate(r.created_at)!,
    updatedAt: toDate(r.updated_at)!,
  };
}

const COLUMNS =
  'id, tenant_id, channel, provider, config, enabled, verified_at, verification_error, config_version, created_at, updated_at';

/** A `SmsConfigStore` over `notification_providers` in `schema` (default 'public'); plain SQL, no ORM. */
export function createPostgresConfigStore(db: Queryable, options: ConfigStoreOptions = {}): SmsConfigStore {
  const schema = checkSchemaName(options.schema);
  const t = `"${schema}".${TABLE}`;
  const changeChannel = changeChannelFor(schema);
  const keyParams = (k: ConfigRowKey) => [assertTenantId(k.tenantId), k.channel ?? 'sms', k.provider];
  const notifyIn = (q: Queryable, tenantId: string) =>
    q.query('SELECT pg_notify($1, $2)', [changeChannel, tenantId]);

  /** One state change: the statement and its NOTIFY commit together. */
  const change = async (k: ConfigRowKey, sql: string, params: unknown[]) =>
    withTransaction(db, async (tx) => {
      const res = await tx.query(sql, params);
      if (res.rows.length > 0) await notifyIn(tx, k.tenantId);
      return res.rows;
    });

  return withStoreErrors({
    changeChannel,
    async get(k) {
      const res = await db.query(
        `SELECT ${COLUMNS} FROM ${t} WHERE tenant_id = $1 AND channel = $2 AND provider = $3`,
        keyParams(k),
      );
      return res.rows[0] ? toRow(res.rows[0]) : undefined;
    },
    async upsert(k, envelope) {
      if (typeof envelope !== 'string' || !envelope.startsWith('v')) {
        throw new SmsError({
          code: 'invalid_config',
          message: 'Refusing to store a config that is not an encrypted envelope',
        });
      }
      const rows = await change(
        k,
        `INSERT INTO ${t} (id, tenant_id, channel, provider, config) VALUES ($4, $1, $2, $3, $5)
         ON CONFLICT (tenant_id, channel, provider) DO UPDATE SET
           config = EXCLUDED.config, verified_at = NULL, verification_error = NULL,
           config_version = ${t}.config_version + 1, updated_at = now()
         RETURNING ${COLUMNS}`,
        [...keyParams(k), globalThis.crypto.randomUUID(), envelope],
      );
      return toRow(rows[0]);
    },
    async markVerified(k, version, record) {
      const target = typeof version === 'number' ? { id: undefined, configVersion: version } : version;
      // $5: the row id, when given (NULL matches any row of the key: the bare-version form).
      const where = `tenant_id = $1 AND channel = $2 AND provider = $3 AND config_version = $4
             AND ($5::uuid IS NULL OR id = $5::uuid)`;
      const params = [...keyParams(k), target.configVersion, target.id ?? null];
      const rows = await change(
        k,
        record.ok
          ? `UPDATE ${t} SET verified_at = now(), verification_error = NULL, updated_at = now()
             WHERE ${where} RETURNING id`
          : `UPDATE ${t} SET verified_at = ${record.keepVerified ? 'verified_at' : 'NULL'},
               verification_error = $6, updated_at = now()
             WHERE ${where} RETURNING id`,
        record.ok ? params : [...params, record.error],
      );
      return rows.length > 0;
    },
    async setEnabled(k, enabled) {
      const rows = await change(
        k,
        `UPDATE ${t} SET enabled = $4, updated_at = now()
         WHERE tenant_id = $1 AND channel = $2 AND provider = $3 RETURNING id`,
        [...keyParams(k), enabled],
      );
      return rows.length > 0;
    },
    async remove(k) {
      const rows = await change(
        k,
        `DELETE FROM ${t} WHERE tenant_id = $1 AND channel = $2 AND provider = $3 RETURNING id`,
        keyParams(k),
      );
      return rows.length > 0;
    },
    async listBatch(afterId, limit) {
      const res = afterId
        ? await db.query(`SELECT ${COLUMNS} FROM ${t} WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit])
        : await db.query(`SELECT ${COLUMNS} FROM ${t} ORDER BY id LIMIT $1`, [limit]);
      return res.rows.map(toRow);
    },
    async replaceConfigs(replacements) {
      if (replacements.length === 0) return 0;
      return withTransaction(db, async (tx) => {
        let n = 0;
        for (const r of replacements) {
          // Same plaintext, new key: config_version and verified_at stay; a concurrent save wins.
          const res = await tx.query(
            `UPDATE ${t} SET config = $2 WHERE id = $1 AND config = $3 RETURNING id`,
            [r.id, r.next, r.expected],
          );
          n += res.rows.length;
        }
        return n;
      });
    },
    async notify(tenantId) {
      await notifyIn(db, assertTenantId(tenantId));
    },
  });
}

/** Counts of a `reencryptAll` run. */
export interface ReencryptResult {
  /** Rows looked at. */
  scanned: number;
  /** Rows moved to the active key. */
  reencrypted: number;
  /** Rows already on the active key. */
  current: number;
  /** Rows that could not be decrypted (left untouched, logged without secrets). */
  failed: number;
  /** Rows changed concurrently (a newer save already wrote them): left alone. */
  skipped: number;
}

/** Moves every stored config to the cipher's active key in batches; safe to re-run after a crash. */
export async function reencryptAll(
  store: SmsConfigStore,
  cipher: ConfigCipher,
  options: { batchSize?: number; logger?: Logger } = {},
): Promise<ReencryptResult> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
  const result: ReencryptResult = { scanned: 0, reencrypted: 0, current: 0, failed: 0, skipped: 0 };
  let afterId: string | undefined;
  for (;;) {
    const rows = await store.listBatch(afterId, batchSize);
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.id;
    const replacements: ConfigReplacement[] = [];
    for (const row of rows) {
      result.scanned++;
      if (cipher.keyIdOf(row.config) === cipher.activeKeyId) {
        result.current++;
        continue;
      }
      const ctx = { tenantId: row.tenantId, channel: row.channel, provider: row.provider };
      try {
        replacements.push({
          id: row.id,
          expected: row.config,
          next: cipher.encrypt(cipher.decrypt(row.config, ctx), ctx),
        });
      } catch (err) {
        result.failed++;
        options.logger?.warn(
          { tenantId: row.tenantId, provider: row.provider, rowId: row.id, error: (err as Error).message },
          'config could not be decrypted for re-encryption; left unchanged',
        );
      }
    }
    const replaced = await store.replaceConfigs(replacements);
    result.reencrypted += replaced;
    result.skipped += replacements.length - replaced;
    if (rows.length < batchSize) break;
  }
  return result;
}
