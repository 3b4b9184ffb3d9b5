// The rows reconciliation looks at (docs/design.md §11), taken with a short lease so several replicas can sweep at once.
import type { Queryable } from '../config/database.js';
import { ENTRY_COLUMNS, type LedgerRow } from './ledger-row.js';

/** Which rows to take: up to `limit`, optionally one notification's. */
export interface TakeUnsettledInput {
  limit: number;
  leaseMs: number;
  tenantId?: string;
  notificationId?: string;
}

/**
 * ONE statement: locks up to `limit` unknown rows and expired claims that had an attempt (`FOR UPDATE SKIP LOCKED`),
 * moves the claims to 'unknown' (reason `lease_expired`) and sets `reconcile_until` on all of them, so a concurrent or
 * later sweep skips them until the lease ends or the holder settles them. Oldest-touched first.
 */
export async function takeUnsettled(
  db: Queryable,
  table: string,
  o: TakeUnsettledInput,
): Promise<LedgerRow[]> {
  const res = await db.query(
    `UPDATE ${table} AS l SET state = 'unknown',
       reason = CASE WHEN l.state = 'claimed' THEN 'lease_expired' ELSE l.reason END,
       reconcile_until = now() + $2 * interval '1 millisecond', updated_at = now()
     WHERE l.id IN (
       SELECT id FROM ${table}
       WHERE notification_id IS NOT NULL AND channel = 'sms'
         AND ($3::text IS NULL OR tenant_id = $3) AND ($4::text IS NULL OR notification_id = $4)
         AND (reconcile_until IS NULL OR reconcile_until <= now())
         AND (state = 'unknown'
           OR (state = 'claimed' AND lease_expires_at <= now() AND jsonb_array_length(attempts) > 0))
       ORDER BY updated_at NULLS FIRST LIMIT $1
       FOR UPDATE SKIP LOCKED)
     RETURNING ${ENTRY_COLUMNS}`,
    [o.limit, o.leaseMs, o.tenantId ?? null, o.notificationId ?? null],
  );
  return res.rows as LedgerRow[];
}

/**
 * Ends a reconciliation of an 'unknown' row: 'deferred' (proved absent) or still 'unknown', with `reason`; releases
 * its lease. False when the row is no longer unknown (evidence accepted it meanwhile).
 */
export async function settleUnknown(
  db: Queryable,
  table: string,
  tenantId: string,
  notificationId: string,
  outcome: { state: 'deferred' | 'unknown'; reason: string },
): Promise<boolean> {
  const res = await db.query(
    `UPDATE ${table} SET state = $3, reason = $4, reconcile_until = NULL, updated_at = now()
     WHERE tenant_id = $1 AND channel = 'sms' AND notification_id = $2 AND state = 'unknown' RETURNING 1`,
    [tenantId, notificationId, outcome.state, outcome.reason],
  );
  return res.rows.length > 0;
}

/** Whether another notification of the tenant already holds this provider message id (it cannot be this one's). */
export async function messageIdTaken(
  db: Queryable,
  table: string,
  tenantId: string,
  notificationId: string,
  provider: string,
  messageId: string,
): Promise<boolean> {
  const res = await db.query(
    `SELECT 1 FROM ${table} WHERE tenant_id = $1 AND provider = $3 AND message_id = $4
       AND notification_id IS DISTINCT FROM $2 LIMIT 1`,
    [tenantId, notificationId, provider, messageId],
  );
  return res.rows.length > 0;
}
