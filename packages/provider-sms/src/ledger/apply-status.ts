// ledger.applyStatus (docs/design.md §10): a verified status event applied to the ledger row it names, monotonic and
// idempotent, so the ledger is the webhook handler's persistent dedupe. Scope: a Twilio event only ever reaches rows of
// the tenant whose route and token verified it; an MSG91 report (unsigned, no tenant route) reaches the row holding
// its attempt id (128-bit, unguessable) or the single msg91 row with its request id, and only for its recipient.
import type { Queryable } from '../config/database.js';
import { SmsError } from '../errors.js';
import { assertTenantId } from '../tenant-id.js';
import type { SmsStatus } from '../types.js';
import { isStatusAdvance, type SmsStatusEvent } from '../webhooks/status.js';
import {
  ENTRY_COLUMNS,
  type LedgerRow,
  type SmsLedgerEntry,
  type SmsLedgerError,
  toLedgerEntry,
} from './ledger-row.js';

/** The fields of a status event the ledger reads. */
export type SmsLedgerStatusEvent = Pick<
  SmsStatusEvent,
  'provider' | 'messageId' | 'status' | 'to' | 'attemptId' | 'code' | 'errorCode'
>;

/** What `applyStatus` did: 'changed' (settled the row or advanced its status), 'unchanged' (a replay or a stale status), 'not_found' (no single ledger row). */
export type SmsStatusApplyOutcome = 'changed' | 'unchanged' | 'not_found';

/** Options of `applyStatus`. */
export interface SmsStatusApplyOptions {
  /** Awaited once before the write when the event changes the row; if it throws, nothing is written and it rethrows. */
  beforeWrite?: () => void | Promise<void>;
}

/** Result of `applyStatus`: the outcome and the row as it is now (when one was found). */
export interface SmsStatusApplyResult {
  outcome: SmsStatusApplyOutcome;
  entry?: SmsLedgerEntry;
}

const MAX_ROUNDS = 10;
const FAILED: readonly SmsStatus[] = ['failed', 'undelivered'];

/** The stored error of a failed/undelivered status (cleared when a carrier later reports it delivered). */
function deliveryError(ev: SmsLedgerStatusEvent): SmsLedgerError | null {
  if (!FAILED.includes(ev.status)) return null;
  const code = ev.code ?? 'unknown';
  return {
    code,
    outcome: 'not_sent',
    message: `${ev.provider} reported the message ${ev.status} (${code})`,
    provider: ev.provider,
    ...(ev.errorCode !== undefined ? { providerCode: ev.errorCode } : {}),
    messageId: ev.messageId,
  };
}

const jsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));

/** The WHERE clause (after `$1..`) naming the event's row within its scope, with its parameters. */
function rowFilter(
  tenantId: string | undefined,
  ev: SmsLedgerStatusEvent,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts = [`channel = 'sms'`, 'notification_id IS NOT NULL'];
  if (tenantId !== undefined) parts.push(`tenant_id = ${p(tenantId)}`);
  if (ev.attemptId !== undefined)
    parts.push(`attempts @> ${p(JSON.stringify([{ id: ev.attemptId, provider: ev.provider }]))}::jsonb`);
  else parts.push(`provider = ${p(ev.provider)}`, `message_id = ${p(ev.messageId)}`);
  // An MSG91 request id covers several numbers; a row is one recipient.
  if (ev.provider === 'msg91') parts.push(`(recipient IS NULL OR recipient = ${p(ev.to)})`);
  return { sql: parts.join(' AND '), params };
}

/** True when the event changes the row: settles a claimed/unknown one, or advances an accepted one's status. */
function changes(row: LedgerRow, ev: SmsLedgerStatusEvent): boolean {
  if (row.message_id !== null && row.message_id !== undefined && row.message_id !== ev.messageId)
    return false;
  if (row.state === 'claimed' || row.state === 'unknown') return true;
  return row.state === 'accepted' && isStatusAdvance(row.status as SmsStatus, ev.status);
}

/** Applies a verified status event to the ledger row it names (see the file comment for the scope); never to another tenant's row. */
export async function applyStatus(
  db: Queryable,
  table: string,
  tenantId: string | undefined,
  ev: SmsLedgerStatusEvent,
  options: SmsStatusApplyOptions = {},
): Promise<SmsStatusApplyResult> {
  if (tenantId !== undefined) assertTenantId(tenantId);
  else if (ev.provider !== 'msg91')
    throw new SmsError({
      code: 'invalid_config',
      message: `ledger.applyStatus: tenantId is required for ${String(ev.provider)} events`,
    });
  const where = rowFilter(tenantId, ev);
  let called = false;
  // Each retry means a concurrent writer moved the row on (statuses only go forward): a few always suffice.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = await db.query(
      `SELECT ${ENTRY_COLUMNS} FROM ${table} WHERE ${where.sql} LIMIT 2`,
      where.params,
    );
    // Two rows for one MSG91 request id (several tenants) is no proof for either: touch neither.
    if (found.rows.length !== 1) return { outcome: 'not_found' };
    const row = found.rows[0] as LedgerRow;
    if (!changes(row, ev)) return { outcome: 'unchanged', entry: toLedgerEntry(row) };
    if (!called) {
      called = true;
      await options.beforeWrite?.();
    }
    const n = where.params.length;
    // Conditional on the state and status just read: a concurrent writer makes it match nothing, and we read again.
    const res = await db.query(
      `UPDATE ${table} SET state = 'accepted', provider = $${n + 1}, message_id = $${n + 2}, status = $${n + 3},
         error = $${n + 4}::jsonb, status_at = now(), reason = NULL, updated_at = now()
       WHERE ${where.sql} AND state = $${n + 5} AND status IS NOT DISTINCT FROM $${n + 6}
       RETURNING ${ENTRY_COLUMNS}`,
      [
        ...where.params,
        ev.provider,
        ev.messageId,
        ev.status,
        jsonOrNull(deliveryError(ev)),
        row.state,
        row.status,
      ],
    );
    const updated = res.rows[0] as LedgerRow | undefined;
    if (updated) return { outcome: 'changed', entry: toLedgerEntry(updated) };
  }
  throw new SmsError({
    code: 'provider_unavailable',
    outcome: 'not_sent',
    message: 'ledger.applyStatus: the row kept changing under the write; try again',
  });
}
