// Pure: BENCHMARKS.md's `loadtest` section from a full run's figures (the throughput series and the chaos run).

/**
 * @typedef {{ workers: number, throughputPerSec: number, drainedMs: number, ledgerAccepted: number,
 *   notifications: number }} SeriesPoint
 */

/**
 * The ratio of `b` to `a`, two decimals ("n/a" without a baseline).
 * @param {number} a @param {number} b
 */
const ratio = (a, b) => (a > 0 ? `${(b / a).toFixed(2)}×` : 'n/a');

/**
 * The markdown of the section: the command, the throughput series (ratios against one worker measured in the same
 * run) with the goal's verdict, and the chaos run's figures.
 * @param {{ command: string, date: string, series: SeriesPoint[], chaos: Record<string, any>, limit?: string }} o
 */
export function loadtestSection({ command, date, series, chaos, limit }) {
  const base = series.find((p) => p.workers === 1)?.throughputPerSec ?? 0;
  const four = series.find((p) => p.workers === 4)?.throughputPerSec ?? 0;
  const met = base > 0 && four >= 3 * base;
  const rows = series.map(
    (p) =>
      `| ${p.workers} | ${p.throughputPerSec} | ${ratio(base, p.throughputPerSec)} | ${p.ledgerAccepted}/${p.notifications} | ${(p.drainedMs / 1000).toFixed(1)} s |`,
  );
  const c = chaos;
  return `## Load test: BullMQ dispatch workers under kill -9 (\`pnpm loadtest\`)

Reproduce: \`${command}\` (PostgreSQL at \`DATABASE_URL\`, Redis at \`REDIS_URL\`). Measured ${date} on this project's
2-core machine, shared with other work; the emulators answer after ${c.latencyMs} ms per request (their own process),
${c.concurrency} jobs in flight per worker. Definitions: \`examples/dispatch-worker/loadtest/README.md\`.

### Throughput at the emulated latency, no chaos (same ${series[0]?.notifications ?? 0} notifications each)

| workers | accepted/s | vs 1 worker | accepted | enqueue → drained |
|---|---|---|---|---|
${rows.join('\n')}

Goal: 4 workers ≥ 3× one worker — **${met ? 'met' : 'not met'}** (${ratio(base, four)}).${met || !limit ? '' : ` ${limit}`}

### Chaos: ${c.workers} workers, SIGKILL every few seconds, provider faults, re-enqueued ids

| figure | value |
|---|---|
| notifications | ${c.notifications} |
| killed (SIGKILL, replaced) | ${c.killed} |
| redelivered (jobs handed out more than once) | ${c.redelivered} |
| reenqueued (after their job was removed) | ${c.reenqueued} |
| faults injected | ${
    Object.entries(c.faultsInjected ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  } |
| **duplicates** | **${c.duplicates}** |
| **lost** | **${c.lost}** |
| **unknownLeft** | **${c.unknownLeft}** |
| unresolvable (MSG91, no evidence) | ${c.unresolvable} |
| providerMessages / ledgerAccepted | ${c.providerMessages} / ${c.ledgerAccepted} |
| throughput under chaos | ${c.throughputPerSec} accepted/s |
| verdict | ${c.pass ? 'PASS' : 'FAIL'}: ${c.verdict} |
`;
}
