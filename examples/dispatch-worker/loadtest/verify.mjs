// Pure: compares the ledger rows of a run with what the emulators recorded and computes the figures the README
// defines (duplicates, lost, unknownLeft, unresolvable, redelivered, throughputPerSec). No I/O here.

/**
 * @typedef {{ tenantId: string, notificationId: string, body: string }} PlannedNotification
 * @typedef {{ provider: string, accountSid?: string }} RowAttempt
 * @typedef {{ tenantId: string, notificationId: string, state: string, provider: string | null,
 *   messageId: string | null, reason?: string, attempts: RowAttempt[] }} LedgerRowView
 * @typedef {{ provider: 'twilio' | 'msg91', id: string, body: string, reported?: boolean }} ProviderMessage
 *   (`reported`: MSG91 only, whether its delivery report reached the webhook)
 * @typedef {{ duplicates: number, lost: number, unknownLeft: number, unresolvable: number, providerMessages: number,
 *   ledgerAccepted: number, ledgerRows: number, rejected: number, deferred: number, strayMessages: number,
 *   examples: Record<'duplicates' | 'lost' | 'unknownLeft' | 'unresolvable', string[]> }} Verdict
 */

const EXAMPLES = 5;
const key = (/** @type {string} */ tenantId, /** @type {string} */ notificationId) =>
  `${tenantId}\u0000${notificationId}`;
const UNSETTLED = new Set(['unknown', 'claimed']);
const NOT_SENT = new Set(['rejected', 'deferred']);

/**
 * Whether the package had the means to settle an unknown/claimed row: a Twilio attempt (the account's messages
 * can be listed), no attempt at all (proved absent), or a MSG91 message the emulator holds whose delivery report
 * (CRQID echoed, naming the attempt) reached the webhook. A MSG91 attempt with no message at MSG91, or whose message
 * got no report, has no evidence anywhere (MSG91 has no lookup).
 * @param {LedgerRowView} row
 * @param {ProviderMessage[]} messages the provider messages of this notification
 */
export function isResolvable(row, messages) {
  if (row.attempts.length === 0) return true;
  if (row.attempts.some((a) => a.provider === 'twilio')) return true;
  return messages.some((m) => m.provider === 'msg91' && m.reported === true);
}

/**
 * Checks every planned notification against its ledger row and the provider messages (matched by their unique body).
 * @param {{ notifications: PlannedNotification[], rows: LedgerRowView[], messages: ProviderMessage[] }} input
 * @returns {Verdict}
 */
export function verifyRun({ notifications, rows, messages }) {
  /** @type {Map<string, string>} */
  const byBody = new Map(notifications.map((n) => [n.body, key(n.tenantId, n.notificationId)]));
  /** @type {Map<string, ProviderMessage[]>} */
  const sent = new Map();
  let strayMessages = 0;
  for (const m of messages) {
    const k = byBody.get(m.body);
    if (k === undefined) strayMessages++;
    else sent.set(k, [...(sent.get(k) ?? []), m]);
  }
  const rowOf = new Map(rows.map((r) => [key(r.tenantId, r.notificationId), r]));
  /** @type {Record<'duplicates' | 'lost' | 'unknownLeft' | 'unresolvable', string[]>} */
  const examples = { duplicates: [], lost: [], unknownLeft: [], unresolvable: [] };
  const counts = {
    duplicates: 0,
    lost: 0,
    unknownLeft: 0,
    unresolvable: 0,
    ledgerAccepted: 0,
    rejected: 0,
    deferred: 0,
  };
  /** @param {'duplicates' | 'lost' | 'unknownLeft' | 'unresolvable'} what @param {string} id @param {string} why */
  const count = (what, id, why) => {
    counts[what]++;
    if (examples[what].length < EXAMPLES) examples[what].push(`${id}: ${why}`);
  };
  for (const n of notifications) {
    const k = key(n.tenantId, n.notificationId);
    const id = `${n.tenantId}/${n.notificationId}`;
    const msgs = sent.get(k) ?? [];
    const row = rowOf.get(k);
    if (msgs.length > 1)
      count('duplicates', id, `${msgs.length} provider messages (${msgs.map((m) => m.id).join(', ')})`);
    if (!row) {
      count('lost', id, 'no ledger row');
      continue;
    }
    if (row.state === 'accepted') {
      counts.ledgerAccepted++;
      if (!msgs.some((m) => m.id === row.messageId))
        count('lost', id, `accepted as ${row.messageId}, absent at the provider`);
    } else if (NOT_SENT.has(row.state)) {
      counts[/** @type {'rejected' | 'deferred'} */ (row.state)]++;
      if (msgs.length > 0) count('lost', id, `${row.state} but ${msgs[0]?.id} exists at the provider`);
    } else if (UNSETTLED.has(row.state)) {
      if (isResolvable(row, msgs))
        count('unknownLeft', id, `${row.state} (${row.reason ?? 'no reason'}), resolvable`);
      else
        count(
          'unresolvable',
          id,
          `${row.state} (${row.reason ?? 'no reason'}), no evidence at ${row.provider ?? 'the provider'}`,
        );
    }
  }
  return {
    ...counts,
    providerMessages: messages.length,
    ledgerRows: rows.length,
    strayMessages,
    examples,
  };
}

/**
 * Jobs BullMQ handed out more than once: `starts` are job-start events, each naming its job instance (job id plus
 * the enqueue round, since a re-enqueued id is a new job); a job started twice or more counts once.
 * @param {{ jobId: string, round: number }[]} starts
 * @returns {{ redelivered: number, handouts: number, jobs: number }}
 */
export function countRedelivered(starts) {
  /** @type {Map<string, number>} */
  const perJob = new Map();
  for (const s of starts) {
    const k = `${s.round}\u0000${s.jobId}`;
    perJob.set(k, (perJob.get(k) ?? 0) + 1);
  }
  let redelivered = 0;
  for (const n of perJob.values()) if (n > 1) redelivered++;
  return { redelivered, handouts: starts.length, jobs: perJob.size };
}

/**
 * Accepted notifications per second of the enqueue→drained span (0 for an empty span).
 * @param {number} accepted
 * @param {number} spanMs
 */
export function throughputPerSec(accepted, spanMs) {
  return spanMs > 0 ? Math.round((accepted / (spanMs / 1000)) * 10) / 10 : 0;
}

/**
 * Whether a run passes: zero duplicates, lost and unknownLeft, and one provider message per accepted row.
 * @param {Pick<Verdict, 'duplicates' | 'lost' | 'unknownLeft' | 'providerMessages' | 'ledgerAccepted'>} v
 */
export function passes(v) {
  return v.duplicates === 0 && v.lost === 0 && v.unknownLeft === 0 && v.providerMessages === v.ledgerAccepted;
}
