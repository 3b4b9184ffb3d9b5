// createSmsReconciler (docs/design.md §11): answers `unknown` by asking the provider whether the message exists.
import { checkDurationMs } from '../duration.js';
import { isSmsError, SmsError } from '../errors.js';
import type { SmsProviderResolver } from '../resolver.js';
import { isSmsStatus } from '../status.js';
import type { Logger, SmsProvider, SmsStatus } from '../types.js';
import type { SmsLedger } from './ledger.js';
import { type LedgerRow, rowAttempts, type SmsLedgerAttempt } from './ledger-row.js';
import { findTwilioMessage, type TwilioMessageLister } from './twilio-lookup.js';

/** Options of `createSmsReconciler`. */
export interface SmsReconcilerOptions {
  ledger: SmsLedger;
  /** Gives the tenant's provider: its credentials must be those of the attempt's account. */
  resolver: Pick<SmsProviderResolver, 'resolve'>;
  /** A floor on every attempt's settle deadline (start + settleMs); the deadline stored on the attempt also applies. */
  settleMs?: number;
  /** How long a sweep holds a row it looks at (other sweeps skip it meanwhile); default 60 000 ms. */
  leaseMs?: number;
  logger?: Logger;
}

/** Why a row stays unknown (or, for `absent`, why it became deferred). */
export type SmsReconcileReason =
  | 'absent'
  | 'not_settled'
  | 'ambiguous_match'
  | 'account_changed'
  | 'no_lookup'
  | 'lookup_forbidden'
  | 'lookup_failed'
  | 'lookup_incomplete';

/** What reconciling one row decided. */
export interface SmsReconcileOutcome {
  tenantId: string;
  notificationId: string;
  state: 'accepted' | 'deferred' | 'unknown';
  reason?: SmsReconcileReason;
  messageId?: string;
}

/** The reconciler. */
export interface SmsReconciler {
  /** Reconciles up to `limit` (default 500) unknown rows and expired claims; safe from several replicas at once. */
  sweep(options?: { limit?: number }): Promise<SmsReconcileOutcome[]>;
  /** Reconciles one notification's row; undefined when it is not unknown or another sweep holds it. */
  reconcileOne(tenantId: string, notificationId: string): Promise<SmsReconcileOutcome | undefined>;
}

type Decision =
  | { state: 'deferred' | 'unknown'; reason: SmsReconcileReason }
  | { state: 'accepted'; sid: string; status: SmsStatus };

const invalid = (option: string, why: string) =>
  new SmsError({ code: 'invalid_config', message: `createSmsReconciler: ${option} ${why}` });

const isLister = (p: SmsProvider): p is SmsProvider & TwilioMessageLister & { accountSid: string } =>
  typeof (p as Partial<TwilioMessageLister>).listMessages === 'function';

/** Why a lookup failed, as a reason: test credentials (403/20008) cannot read messages; anything else is an outage. */
const lookupFailure = (e: unknown): SmsReconcileReason =>
  isSmsError(e) && (Number(e.providerCode) === 20008 || e.httpStatus === 403)
    ? 'lookup_forbidden'
    : 'lookup_failed';

/** Creates the reconciler over the ledger and the resolver (options checked here). */
export function createSmsReconciler(options: SmsReconcilerOptions): SmsReconciler {
  if (!options || typeof options !== 'object') throw invalid('options', 'must be an object');
  const { ledger, resolver, logger } = options;
  if (!ledger || typeof ledger.takeUnsettled !== 'function') throw invalid('ledger', 'must be an SmsLedger');
  if (!resolver || typeof resolver.resolve !== 'function') throw invalid('resolver', 'must have resolve()');
  const owner = 'createSmsReconciler';
  const settleMs = checkDurationMs(options.settleMs ?? 0, { option: 'settleMs', owner });
  const leaseMs = checkDurationMs(options.leaseMs ?? 60_000, { option: 'leaseMs', owner, min: 1 });

  /** Steps 2–5 for one row (step 1, evidence, already took it out of 'unknown'). */
  async function decide(row: LedgerRow, attempts: SmsLedgerAttempt[]): Promise<Decision> {
    const tenantId = String(row.tenant_id);
    const notificationId = String(row.notification_id);
    const now = (row.db_now as Date).getTime();
    const settled = attempts.every(
      (a) => now > Math.max(a.settleBy.getTime(), a.startedAt.getTime() + settleMs),
    );
    if (attempts.length === 0) return { state: 'deferred', reason: 'absent' };
    if (attempts.some((a) => a.provider !== 'twilio' || !a.accountSid))
      return { state: 'unknown', reason: 'no_lookup' };
    let provider: SmsProvider;
    try {
      provider = (await resolver.resolve(tenantId)).provider;
    } catch (e) {
      logger?.info(
        { tenantId, notificationId, code: isSmsError(e) ? e.code : undefined },
        'sms.reconcile: resolve failed',
      );
      return { state: 'unknown', reason: 'lookup_failed' };
    }
    if (!isLister(provider) || attempts.some((a) => a.accountSid !== provider.accountSid))
      return { state: 'unknown', reason: 'account_changed' };
    const recipient = String(row.recipient);
    const keyId = String(row.fingerprint_key_id);
    const expected = String(row.body_fingerprint ?? row.fingerprint);
    try {
      const found = await findTwilioMessage(provider, {
        to: recipient,
        attempts,
        bodyMatches: (body) =>
          ledger.fingerprint(recipient, { to: recipient, body }, keyId).value === expected,
        taken: (sid) => ledger.messageIdTaken(tenantId, notificationId, 'twilio', sid),
      });
      if (found.kind === 'found') {
        const status = isSmsStatus(found.message.status) ? found.message.status : 'queued';
        return { state: 'accepted', sid: found.message.sid, status };
      }
      if (found.kind === 'ambiguous') return { state: 'unknown', reason: 'ambiguous_match' };
      if (found.kind === 'incomplete') return { state: 'unknown', reason: 'lookup_incomplete' };
      return settled ? { state: 'deferred', reason: 'absent' } : { state: 'unknown', reason: 'not_settled' };
    } catch (e) {
      const reason = lookupFailure(e);
      logger?.info(
        { tenantId, notificationId, reason, code: isSmsError(e) ? e.code : undefined },
        'sms.reconcile: cannot look',
      );
      return { state: 'unknown', reason };
    }
  }

  async function reconcileRow(row: LedgerRow): Promise<SmsReconcileOutcome> {
    const tenantId = String(row.tenant_id);
    const notificationId = String(row.notification_id);
    const base = { tenantId, notificationId };
    const attempts = rowAttempts(row);
    const d = await decide(row, attempts);
    if (d.state === 'accepted') {
      // Any attempt id names the row (tenant-scoped); evidence settles it whoever holds the lease.
      const evidence = { messageId: d.sid, provider: 'twilio' as const, status: d.status };
      await ledger.acceptEvidence(tenantId, { attemptId: (attempts[0] as SmsLedgerAttempt).id }, evidence);
      logger?.info({ ...base, state: 'accepted', messageId: d.sid }, 'sms.reconcile');
      return { ...base, state: 'accepted', messageId: d.sid };
    }
    await ledger.settleUnknown(tenantId, notificationId, d);
    logger?.info({ ...base, state: d.state, reason: d.reason }, 'sms.reconcile');
    return { ...base, state: d.state, reason: d.reason };
  }

  const run = async (rows: LedgerRow[]) => {
    const out: SmsReconcileOutcome[] = [];
    for (const row of rows) {
      try {
        out.push(await reconcileRow(row));
      } catch (e) {
        // The store failed mid-way: the row keeps its state and is retried once its sweep lease ends.
        const ids = { tenantId: String(row.tenant_id), notificationId: String(row.notification_id) };
        logger?.warn({ ...ids, code: isSmsError(e) ? e.code : undefined }, 'sms.reconcile: could not record');
        out.push({ ...ids, state: 'unknown', reason: 'lookup_failed' });
      }
    }
    return out;
  };

  return {
    async sweep(o = {}) {
      const limit = o.limit ?? 500;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new SmsError({
          code: 'invalid_config',
          message: 'reconciler.sweep: limit must be an integer from 1 to 10 000',
        });
      return run(await ledger.takeUnsettled({ limit, leaseMs }));
    },
    async reconcileOne(tenantId, notificationId) {
      const rows = await ledger.takeUnsettled({ limit: 1, leaseMs, tenantId, notificationId });
      return (await run(rows))[0];
    },
  };
}
