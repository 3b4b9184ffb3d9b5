// The run's own read of the ledger (through the library's `ledger.list`/`ledger.get`, redacted rows) and its
// reconcile sweeps after the drain, with a resolver built like the workers' (same store, cipher and emulators).
import {
  createConfigCipher,
  createPostgresConfigStore,
  createSmsLedger,
  createSmsProviderResolver,
  createSmsReconciler,
  Msg91Provider,
  openDatabase,
  parseKeyRing,
} from '@leadmetrics/provider-sms';

/**
 * @typedef {import('./verify.mjs').LedgerRowView} LedgerRowView
 */

/**
 * A row is settled when nothing the package can do would change it: any state but unknown/claimed, or an unknown
 * row with MSG91 attempts only (MSG91 has no lookup; its report, if any, is the webhook's to apply).
 * @param {Pick<LedgerRowView, 'state' | 'attempts'>} row
 */
export function isSettled(row) {
  if (row.state === 'claimed') return false;
  if (row.state !== 'unknown') return true;
  return row.attempts.length > 0 && row.attempts.every((a) => a.provider === 'msg91');
}

/**
 * Opens the run's database for reading rows and sweeping.
 * @param {{ databaseUrl: string, configKeys: string, settleMs: number, tenants: string[],
 *   twilioUrl: string, msg91: { url: string, authKey: string, templateId: string } }} o
 */
export async function openLedgerView(o) {
  const database = await openDatabase({ databaseUrl: o.databaseUrl });
  const cipher = createConfigCipher(parseKeyRing(o.configKeys));
  const ledger = createSmsLedger({ db: database.db, cipher });
  const resolver = createSmsProviderResolver({
    store: createPostgresConfigStore(database.db),
    cipher,
    platformDefault: new Msg91Provider(
      { authKey: o.msg91.authKey, templateId: o.msg91.templateId },
      { apiBaseUrl: o.msg91.url },
    ),
    twilioOptions: { apiBaseUrl: o.twilioUrl },
  });
  const reconciler = createSmsReconciler({ ledger, resolver, settleMs: o.settleMs, leaseMs: 5_000 });
  /** @returns {Promise<LedgerRowView[]>} */
  const rows = async () => {
    const lists = await Promise.all(o.tenants.map((tenantId) => ledger.list({ tenantId, limit: 10_000 })));
    return lists.flat().map((e) => ({
      tenantId: e.tenantId,
      notificationId: String(e.notificationId),
      state: e.state,
      provider: e.provider,
      messageId: e.messageId,
      ...(e.reason ? { reason: e.reason } : {}),
      attempts: e.attempts.map((a) => ({
        provider: a.provider,
        ...(a.accountSid ? { accountSid: a.accountSid } : {}),
      })),
    }));
  };
  return {
    rows,
    /**
     * Sweeps until every row is settled (see `isSettled`) or `deadlineMs` passes; resolves the number of sweeps.
     * @param {number} deadlineMs
     */
    async sweepUntilSettled(deadlineMs) {
      const stopAt = Date.now() + deadlineMs;
      let sweeps = 0;
      for (;;) {
        sweeps++;
        while ((await reconciler.sweep({ limit: 500 })).length === 500) sweeps++;
        const open = (await rows()).filter((r) => !isSettled(r));
        if (open.length === 0 || Date.now() > stopAt) return sweeps;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    },
    /** The pids of the PostgreSQL backends serving the run's database (for their CPU time). */
    async backendPids() {
      const r = await database.db.query(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
      );
      return r.rows.map((row) => Number(row.pid));
    },
    close: () => database.close(),
  };
}
