// createSmsLedger (docs/design.md §10): the rows of notification_dispatch_log as a per-notification state machine.
// Every write of the lease holder is conditional on its lease id; evidence (a callback, the reconciler) is not.
import type { ConfigCipher, DerivedKey } from '../config/cipher.js';
import type { Queryable } from '../config/database.js';
import { toStoreError } from '../config/driver-errors.js';
import { checkDurationMs } from '../duration.js';
import { SmsError, type SmsLedgerState } from '../errors.js';
import { defineRedacted } from '../redact.js';
import { assertTenantId } from '../tenant-id.js';
import type { SmsMessage, SmsProviderName, SmsSendResult, SmsStatus } from '../types.js';
import { isStatusAdvance } from '../webhooks/status.js';
import {
  applyStatus,
  type SmsLedgerStatusEvent,
  type SmsStatusApplyOptions,
  type SmsStatusApplyResult,
} from './apply-status.js';
import { type ClaimInput, claimRow, readRow } from './claim.js';
import { LEGACY_STATE_SQL } from './error-state.js';
import { fingerprintMessage, type MessageFingerprint } from './fingerprint.js';
import {
  ENTRY_COLUMNS,
  entryColumns,
  type LedgerRow,
  type SmsLedgerAttempt,
  type SmsLedgerEntry,
  type SmsLedgerError,
  toLedgerEntry,
} from './ledger-row.js';
import { ledgerTable } from './ledger-schema.js';
import { messageIdTaken, settleUnknown, takeUnsettled } from './unsettled.js';

/** How long ledger rows are kept by `purge()` without `before`, in days (rows hold phone numbers). */
export const DEFAULT_LEDGER_RETENTION_DAYS = 90;
/** Options of `createSmsLedger`. */
export interface SmsLedgerOptions {
  db: Queryable;
  /** The config cipher: the fingerprint key is derived from its active key. */
  cipher: Pick<ConfigCipher, 'deriveKey'>;
  /** Postgres schema of the table; default 'public'. */
  schema?: string;
  /** How long a claim holds before another worker may look at it; renewed while sending; default 30 000 ms. */
  leaseMs?: number;
  /** This worker's name on its leases; default `<hostname>:<pid>`. */
  owner?: string;
  /** Default retention of `purge()` without `before`; default 90 days (rows hold phone numbers). */
  retentionDays?: number;
}

/** A held claim: the lease the holder's writes are conditional on. */
export interface SmsLedgerLease {
  tenantId: string;
  notificationId: string;
  leaseId: string;
}

/** Which row evidence names: an attempt id, or the provider's message id. */
export type SmsLedgerEvidenceKey = { attemptId: string } | { provider: SmsProviderName; messageId: string };

/** The dispatch ledger. */
export interface SmsLedger {
  readonly leaseMs: number;
  readonly owner: string;
  /** The message's fingerprint with the active key (or `keyId`'s, to compare with a row fingerprinted before a rotation). */
  fingerprint(recipient: string, message: SmsMessage, keyId?: string): MessageFingerprint;
  /** Claims a notification in one statement; `claimed: false` returns the row that keeps it. */
  claim(input: Omit<ClaimInput, 'owner' | 'leaseMs'>): Promise<{ claimed: boolean; row: LedgerRow }>;
  /** Appends an attempt and renews the lease, only while the lease is held and alive; false otherwise. */
  recordAttempt(lease: SmsLedgerLease, attempt: SmsLedgerAttempt): Promise<boolean>;
  /** Extends a live lease by `leaseMs`; false when it was lost. */
  renew(lease: SmsLedgerLease): Promise<boolean>;
  /** The holder's accept; a row already accepted with the same message id (evidence first) is a no-op success. */
  accept(lease: SmsLedgerLease, result: SmsSendResult): Promise<boolean>;
  /** The holder's failure: leaves `state` with the stored error; false when the lease was lost. */
  fail(lease: SmsLedgerLease, state: SmsLedgerState, error: SmsLedgerError): Promise<boolean>;
  /** Moves a claim whose lease expired after an attempt started to 'unknown'; returns the row as it is now. */
  expireToUnknown(tenantId: string, notificationId: string): Promise<LedgerRow | undefined>;
  /** Evidence (a verified callback, the reconciler): claimed/unknown → accepted; later statuses advance monotonically. */
  acceptEvidence(
    tenantId: string,
    key: SmsLedgerEvidenceKey,
    evidence: { messageId: string; provider: SmsProviderName; status: SmsStatus },
  ): Promise<SmsLedgerEntry | undefined>;
  /**
   * A verified status event (webhook): keyed by its attempt id, else provider + message id, within `tenantId` (required
   * for Twilio; undefined for an MSG91 report: see apply-status.ts); claimed/unknown → accepted, then monotonic.
   */
  applyStatus(
    tenantId: string | undefined,
    event: SmsLedgerStatusEvent,
    options?: SmsStatusApplyOptions,
  ): Promise<SmsStatusApplyResult>;
  /** Reconciliation: takes up to `limit` unknown rows and expired claims (or one notification's) under a `leaseMs` lease, one statement. */
  takeUnsettled(o: {
    limit: number;
    leaseMs: number;
    tenantId?: string;
    notificationId?: string;
  }): Promise<LedgerRow[]>;
  /** Reconciliation: an unknown row → 'deferred' (proved absent) or still 'unknown' with `reason`; false if no longer unknown. */
  settleUnknown(
    tenantId: string,
    notificationId: string,
    outcome: { state: 'deferred' | 'unknown'; reason: string },
  ): Promise<boolean>;
  /** Reconciliation: whether another notification of the tenant already holds `messageId`. */
  messageIdTaken(
    tenantId: string,
    notificationId: string,
    provider: SmsProviderName,
    messageId: string,
  ): Promise<boolean>;
  /** One notification's row, redacted (masked number, never the body). */
  get(tenantId: string, notificationId: string): Promise<SmsLedgerEntry | undefined>;
  /** Rows newest first (legacy rows with their derived state), optionally of one state and/or tenant. */
  list(options?: { state?: SmsLedgerState; tenantId?: string; limit?: number }): Promise<SmsLedgerEntry[]>;
  /** Deletes rows created before `before` (default: now − retentionDays); returns how many. */
  purge(options?: { before?: Date }): Promise<number>;
}

const STATES: readonly SmsLedgerState[] = ['claimed', 'accepted', 'rejected', 'deferred', 'unknown'];
const invalid = (option: string, why: string) =>
  new SmsError({ code: 'invalid_config', message: `createSmsLedger: ${option} ${why}` });

const defaultOwner = () => `${process.env.HOSTNAME ?? 'host'}:${process.pid}`;

/** Creates the dispatch ledger over `db` (run `migrate(db)` first); options are checked here. */
export function createSmsLedger(options: SmsLedgerOptions): SmsLedger {
  if (!options || typeof options !== 'object') throw invalid('options', 'must be an object');
  const { db: raw, cipher } = options;
  if (!raw || typeof raw.query !== 'function') throw invalid('db', 'must have query()');
  // Driver failures surface as SmsError (store down → provider_unavailable, not_sent, retryable).
  const db: Queryable = {
    query: (text, params) =>
      raw.query(text, params).catch((e: unknown) => {
        throw toStoreError(e, 'the dispatch ledger');
      }),
  };
  if (!cipher || typeof cipher.deriveKey !== 'function') throw invalid('cipher', 'must be a ConfigCipher');
  const table = ledgerTable(options.schema);
  const leaseMs = checkDurationMs(options.leaseMs ?? 30_000, {
    option: 'leaseMs',
    owner: 'createSmsLedger',
    min: 1,
  });
  const owner = options.owner ?? defaultOwner();
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 200)
    throw invalid('owner', 'must be a string of 1–200 characters');
  const retentionDays = options.retentionDays ?? DEFAULT_LEDGER_RETENTION_DAYS;
  if (typeof retentionDays !== 'number' || !Number.isInteger(retentionDays) || retentionDays < 1)
    throw invalid('retentionDays', 'must be an integer ≥ 1');

  // One HKDF per key id, not per dispatch (the subkeys live in this closure only).
  const derived = new Map<string, DerivedKey>();
  const fingerprintKeys = {
    deriveKey(purpose: string, keyId?: string): DerivedKey {
      const cacheKey = `${purpose}\u0000${keyId ?? ''}`;
      let k = derived.get(cacheKey);
      if (!k) {
        k = cipher.deriveKey(purpose, keyId);
        derived.set(cacheKey, k);
      }
      return k;
    },
  };
  const held = `tenant_id = $1 AND channel = 'sms' AND notification_id = $2 AND lease_id = $3`;
  const leaseParams = (l: SmsLedgerLease) => [l.tenantId, l.notificationId, l.leaseId];
  const changed = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows.length > 0;

  const ledger: SmsLedger = {
    leaseMs,
    owner,
    fingerprint: (recipient, message, keyId) =>
      fingerprintMessage(fingerprintKeys, recipient, message, keyId),
    async claim(input) {
      const row = await claimRow(db, table, { ...input, owner, leaseMs });
      if (row) return { claimed: true, row };
      const existing = await readRow(db, table, input.tenantId, input.notificationId);
      // Deleted between the two statements (a purge): claim again once.
      if (!existing) return ledger.claim(input);
      return { claimed: false, row: existing };
    },
    recordAttempt(lease, a) {
      const attempt = { ...a, startedAt: a.startedAt.toISOString(), settleBy: a.settleBy.toISOString() };
      return changed(
        `UPDATE ${table} SET attempts = attempts || $4::jsonb, provider = $5, updated_at = now(),
           lease_expires_at = now() + $6 * interval '1 millisecond'
         WHERE ${held} AND state = 'claimed' AND lease_expires_at > now() RETURNING 1`,
        [...leaseParams(lease), JSON.stringify([attempt]), a.provider, leaseMs],
      );
    },
    renew(lease) {
      return changed(
        `UPDATE ${table} SET lease_expires_at = now() + $4 * interval '1 millisecond'
         WHERE ${held} AND state = 'claimed' AND lease_expires_at > now() RETURNING 1`,
        [...leaseParams(lease), leaseMs],
      );
    },
    async accept(lease, r) {
      const result = JSON.stringify({ status: r.status, segments: r.segments, encoding: r.encoding });
      const done = await changed(
        `UPDATE ${table} SET state = 'accepted', provider = $4, message_id = $5, status = $6, status_at = now(),
           result = $7::jsonb, error = NULL, reason = NULL, updated_at = now()
         WHERE ${held} AND state IN ('claimed', 'unknown') RETURNING 1`,
        [...leaseParams(lease), r.provider, r.messageId, r.status, result],
      );
      if (done) return true;
      // Evidence accepted it first: a no-op success for the same message id, which only fills in the result the
      // evidence could not know (its status stays the evidence's, monotonic).
      return changed(
        `UPDATE ${table} SET result = COALESCE(result, $4::jsonb)
         WHERE tenant_id = $1 AND channel = 'sms' AND notification_id = $2 AND state = 'accepted' AND message_id = $3
         RETURNING 1`,
        [lease.tenantId, lease.notificationId, r.messageId, result],
      );
    },
    fail(lease, state, error) {
      return changed(
        `UPDATE ${table} SET state = $4, error = $5::jsonb, status = 'failed',
           message_id = COALESCE(message_id, $6), updated_at = now()
         WHERE ${held} AND state IN ('claimed', 'unknown') RETURNING 1`,
        [...leaseParams(lease), state, JSON.stringify(error), error.messageId ?? null],
      );
    },
    async expireToUnknown(tenantId, notificationId) {
      await db.query(
        `UPDATE ${table} SET state = 'unknown', reason = 'lease_expired', updated_at = now()
         WHERE tenant_id = $1 AND channel = 'sms' AND notification_id = $2 AND state = 'claimed'
           AND lease_expires_at <= now() AND jsonb_array_length(attempts) > 0`,
        [tenantId, notificationId],
      );
      return readRow(db, table, tenantId, notificationId);
    },
    async acceptEvidence(tenantId, key, ev) {
      assertTenantId(tenantId);
      const where =
        'attemptId' in key
          ? { sql: `attempts @> $2::jsonb`, param: JSON.stringify([{ id: key.attemptId }]) }
          : { sql: `provider = $2 AND message_id = $3`, param: key.provider, extra: key.messageId };
      const params = [tenantId, where.param, ...('extra' in where ? [where.extra] : [])];
      const n = params.length;
      const found = await db.query(
        `SELECT ${ENTRY_COLUMNS} FROM ${table} WHERE tenant_id = $1 AND channel = 'sms' AND ${where.sql}`,
        params,
      );
      const row = found.rows[0] as LedgerRow | undefined;
      if (!row) return undefined;
      const settle = row.state === 'claimed' || row.state === 'unknown';
      if (!settle && !(row.state === 'accepted' && isStatusAdvance(row.status as SmsStatus, ev.status)))
        return toLedgerEntry(row);
      const res = await db.query(
        `UPDATE ${table} SET state = 'accepted', provider = $${n + 1}, message_id = $${n + 2}, status = $${n + 3},
           status_at = now(), reason = NULL, updated_at = now()
         WHERE tenant_id = $1 AND channel = 'sms' AND ${where.sql} AND state = $${n + 4} AND status = $${n + 5}
         RETURNING ${ENTRY_COLUMNS}`,
        [...params, ev.provider, ev.messageId, ev.status, row.state, row.status],
      );
      const updated = res.rows[0] as LedgerRow | undefined;
      return updated ? toLedgerEntry(updated) : ledger.acceptEvidence(tenantId, key, ev);
    },
    applyStatus: (tenantId, event, o) => applyStatus(db, table, tenantId, event, o),
    takeUnsettled: (o) => takeUnsettled(db, table, o),
    settleUnknown: (tenantId, notificationId, outcome) =>
      settleUnknown(db, table, tenantId, notificationId, outcome),
    messageIdTaken: (tenantId, notificationId, provider, messageId) =>
      messageIdTaken(db, table, tenantId, notificationId, provider, messageId),
    async get(tenantId, notificationId) {
      const row = await readRow(db, table, assertTenantId(tenantId), notificationId);
      return row ? toLedgerEntry(row) : undefined;
    },
    async list(o = {}) {
      if (o.state !== undefined && !STATES.includes(o.state))
        throw new SmsError({
          code: 'invalid_config',
          message: `ledger.list: state must be one of ${STATES.join(', ')}`,
        });
      if (o.tenantId !== undefined) assertTenantId(o.tenantId);
      const limit = Math.max(1, Math.min(10_000, Math.floor(o.limit ?? 50)));
      // Rows an older replica inserted (no state yet) show the state derived from their status and code.
      const res = await db.query(
        `SELECT * FROM (SELECT ${entryColumns(`COALESCE(state, ${LEGACY_STATE_SQL})`)} FROM ${table}) r
         WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR tenant_id = $2)
         ORDER BY created_at DESC LIMIT $3`,
        [o.state ?? null, o.tenantId ?? null, limit],
      );
      return (res.rows as LedgerRow[]).map(toLedgerEntry);
    },
    async purge(o = {}) {
      const before = o.before ?? new Date(Date.now() - retentionDays * 86_400_000);
      if (!(before instanceof Date) || Number.isNaN(before.getTime()))
        throw new SmsError({ code: 'invalid_config', message: 'ledger.purge: before must be a valid Date' });
      const res = await db.query(`DELETE FROM ${table} WHERE created_at < $1 RETURNING 1`, [before]);
      return res.rows.length;
    },
  };
  defineRedacted(ledger, 'SmsLedger', () => ({ table, leaseMs, owner, retentionDays }));
  return Object.freeze(ledger);
}
