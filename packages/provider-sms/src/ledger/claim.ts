// The claim: ONE statement, so two replicas racing on one notification id can never both hold it.
import type { Queryable } from '../config/database.js';
import { ENTRY_COLUMNS, type LedgerRow } from './ledger-row.js';

/** What a claim writes on a new or claimable row. */
export interface ClaimInput {
  tenantId: string;
  notificationId: string;
  recipient: string;
  fingerprint: string;
  fingerprintKeyId: string;
  /** The fingerprint of recipient + body alone (same key), for reconciliation by listing. */
  bodyFingerprint?: string;
  owner: string;
  leaseId: string;
  leaseMs: number;
}

/** Claimable: deferred, or claimed with an expired lease before any attempt started. */
export const CLAIMABLE_SQL = `(l.state = 'deferred' OR (l.state = 'claimed' AND l.lease_expires_at <= now() AND jsonb_array_length(l.attempts) = 0))`;

/**
 * Inserts the row, or takes over a claimable one with the same fingerprint; returns the claimed row, or
 * undefined when another holder, a settled state or a different fingerprint keeps it.
 */
export async function claimRow(db: Queryable, table: string, c: ClaimInput): Promise<LedgerRow | undefined> {
  const res = await db.query(
    `INSERT INTO ${table} AS l (id, tenant_id, channel, notification_id, state, status, recipient, fingerprint,
       fingerprint_key_id, lease_owner, lease_id, lease_expires_at, updated_at, body_fingerprint)
     VALUES ($1, $2, 'sms', $3, 'claimed', 'pending', $4, $5, $6, $7, $8, now() + $9 * interval '1 millisecond', now(), $10)
     ON CONFLICT (tenant_id, channel, notification_id) WHERE notification_id IS NOT NULL
     DO UPDATE SET state = 'claimed', lease_owner = EXCLUDED.lease_owner, lease_id = EXCLUDED.lease_id,
       lease_expires_at = EXCLUDED.lease_expires_at, error = NULL, updated_at = now(),
       body_fingerprint = COALESCE(EXCLUDED.body_fingerprint, l.body_fingerprint)
     WHERE l.fingerprint = EXCLUDED.fingerprint AND l.fingerprint_key_id = EXCLUDED.fingerprint_key_id
       AND ${CLAIMABLE_SQL}
     RETURNING ${ENTRY_COLUMNS}`,
    [
      globalThis.crypto.randomUUID(),
      c.tenantId,
      c.notificationId,
      c.recipient,
      c.fingerprint,
      c.fingerprintKeyId,
      c.owner,
      c.leaseId,
      c.leaseMs,
      c.bodyFingerprint ?? null,
    ],
  );
  return res.rows[0] as LedgerRow | undefined;
}

/** The row of a notification, or undefined. */
export async function readRow(
  db: Queryable,
  table: string,
  tenantId: string,
  notificationId: string,
): Promise<LedgerRow | undefined> {
  const res = await db.query(
    `SELECT ${ENTRY_COLUMNS} FROM ${table} WHERE tenant_id = $1 AND channel = 'sms' AND notification_id = $2`,
    [tenantId, notificationId],
  );
  return res.rows[0] as LedgerRow | undefined;
}
