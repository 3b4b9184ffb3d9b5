// The run's figures as a table (for people) or as one JSON line (for machines).

/** The figures in table order, with the one-line meaning shown beside each. */
const ROWS = [
  ['workers', 'worker processes at a time'],
  ['notifications', 'distinct notifications enqueued'],
  ['reenqueued', 'ids enqueued again after BullMQ removed their job'],
  ['killed', 'workers killed with SIGKILL (and replaced)'],
  ['faultsInjected', 'provider faults injected (both providers)'],
  ['redelivered', 'jobs BullMQ handed out more than once'],
  ['providerMessages', 'messages the emulators recorded'],
  ['ledgerAccepted', 'ledger rows accepted'],
  ['duplicates', 'notifications with more than one provider message'],
  ['lost', 'no row, or a row that contradicts the provider'],
  ['unknownLeft', 'unknown/claimed rows the package could have settled'],
  ['unresolvable', 'unknown rows with no evidence anywhere (MSG91, nothing recorded)'],
  [
    'releasedReports',
    'MSG91 reports withheld during the run (evidence only listing or sweeps had), posted at the end',
  ],
  ['notSent', 'rows rejected or deferred (nothing at the provider)'],
  ['reconcileSweeps', 'reconcile sweeps after the drain'],
  ['throughputPerSec', 'accepted notifications per second, enqueue → drained'],
  ['drainedMs', 'enqueue → drained (ms)'],
  ['loadPhaseMs', 'enqueue → no job waiting (the load phase, chaos only then; ms)'],
];

/**
 * The figures as an aligned two-column table with each figure's meaning.
 * @param {Record<string, unknown>} figures
 */
export function formatTable(figures) {
  const value = (/** @type {unknown} */ v) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  const lines = ROWS.filter(([k]) => k && k in figures).map(
    ([k, why]) => `${String(k).padEnd(18)} ${value(figures[String(k)]).padStart(10)}  ${why}`,
  );
  return `${lines.join('\n')}\n${figures.pass ? 'PASS' : 'FAIL'}: ${String(figures.verdict ?? '')}\n`;
}

/**
 * The figures as exactly one line of JSON (no newline inside).
 * @param {Record<string, unknown>} figures
 */
export function formatJsonLine(figures) {
  return `${JSON.stringify(figures)}\n`;
}

/**
 * The one-sentence verdict: what failed, or that every zero held.
 * @param {{ duplicates: number, lost: number, unknownLeft: number, providerMessages: number, ledgerAccepted: number }} f
 */
export function verdict(f) {
  const bad = [];
  if (f.duplicates) bad.push(`${f.duplicates} duplicates`);
  if (f.lost) bad.push(`${f.lost} lost`);
  if (f.unknownLeft) bad.push(`${f.unknownLeft} unknownLeft`);
  if (f.providerMessages !== f.ledgerAccepted)
    bad.push(`providerMessages ${f.providerMessages} != ledgerAccepted ${f.ledgerAccepted}`);
  return bad.length === 0
    ? '0 duplicates, 0 lost, 0 unknownLeft, providerMessages == ledgerAccepted'
    : bad.join(', ');
}

/**
 * A series or ceiling point as the `--json` line's `throughput`/`ceiling` entries carry it.
 * @param {Awaited<ReturnType<typeof import('./scenario.mjs').runScenario>> & { loadAverage: number }} p
 */
export function throughputEntry(p) {
  return {
    workers: p.workers,
    concurrency: p.concurrency,
    notifications: p.notifications,
    ledgerAccepted: p.ledgerAccepted,
    throughputPerSec: p.throughputPerSec,
    drainedMs: p.drainedMs,
    cpuMsPerAccepted: p.cpuMsPerAccepted,
    jobMs: p.jobMs,
    loadAverage: p.loadAverage,
    pass: p.pass,
  };
}
