// Pure: BENCHMARKS.md's `loadtest` section from a full run's figures (the throughput series and the chaos run).

/**
 * @typedef {{ workers: number, throughputPerSec: number, drainedMs: number, ledgerAccepted: number,
 *   notifications: number, cpuMsPerAccepted?: number, loadAverage?: number }} SeriesPoint
 */

/**
 * The ratio of `b` to `a`, two decimals ("n/a" without a baseline).
 * @param {number} a @param {number} b
 */
const ratio = (a, b) => (a > 0 ? `${(b / a).toFixed(2)}×` : 'n/a');

/**
 * Why 4 workers fell short of 3× one worker, from the measured CPU cost: the rate `cores` fully busy could carry at
 * the 4-worker point's CPU ms per notification, against what was reached (with the machine's load average); and
 * what one job took with one worker (its `concurrency` jobs in flight over its throughput).
 * @param {SeriesPoint | undefined} four
 * @param {number} cores
 * @param {SeriesPoint | undefined} one
 * @param {number} concurrency
 */
export function limitSentence(four, cores, one, concurrency) {
  if (!four?.cpuMsPerAccepted) return '';
  const capacity = Math.round((cores * 1000) / four.cpuMsPerAccepted);
  const perJob = one?.throughputPerSec ? Math.round((concurrency * 1000) / one.throughputPerSec) : undefined;
  return `Measured limit: the cores, not the provider latency. With 4 workers every process of the run (workers, webhook, emulators, runner, PostgreSQL backends) spent ${four.cpuMsPerAccepted} ms CPU per accepted notification, so the machine's ${cores} cores, all busy for this run alone, would carry about ${capacity}/s; it reached ${four.throughputPerSec}/s while the machine's 1-minute load average was ${four.loadAverage ?? 'n/a'} (other work shares the cores).${perJob ? ` One worker is bound by its ${concurrency} jobs in flight: ${perJob} ms per job (the 150 ms round trip, the ledger's writes, and waiting for a core).` : ''}`;
}

/**
 * The markdown of the section: the command, the throughput series (ratios against one worker measured in the same
 * run) with the goal's verdict, and the chaos run's figures.
 * @param {{ command: string, date: string, series: SeriesPoint[], chaos: Record<string, any>, cores: number }} o
 */
export function loadtestSection({ command, date, series, chaos, cores }) {
  const base = series.find((p) => p.workers === 1)?.throughputPerSec ?? 0;
  const fourPoint = series.find((p) => p.workers === 4);
  const four = fourPoint?.throughputPerSec ?? 0;
  const met = base > 0 && four >= 3 * base;
  const rows = series.map(
    (p) =>
      `| ${p.workers} | ${p.throughputPerSec} | ${ratio(base, p.throughputPerSec)} | ${p.ledgerAccepted}/${p.notifications} | ${(p.drainedMs / 1000).toFixed(1)} s | ${p.cpuMsPerAccepted ?? 'n/a'} | ${p.loadAverage ?? 'n/a'} |`,
  );
  const c = chaos;
  return `## Load test: BullMQ dispatch workers under kill -9 (\`pnpm loadtest\`)

Reproduce: \`${command}\` (PostgreSQL at \`DATABASE_URL\`, Redis at \`REDIS_URL\`). Measured ${date} on this project's
2-core machine, shared with other work; the emulators answer after ${c.latencyMs} ms per request (their own process),
${c.concurrency} jobs in flight per worker. Definitions: \`examples/dispatch-worker/loadtest/README.md\`.

### Throughput at the emulated latency, no chaos (same ${series[0]?.notifications ?? 0} notifications each)

| workers | accepted/s | vs 1 worker | accepted | enqueue → drained | CPU ms / accepted | load average |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Goal: 4 workers ≥ 3× one worker — **${met ? 'met' : 'not met'}** (${ratio(base, four)}).${
    met
      ? ''
      : ` ${limitSentence(
          fourPoint,
          cores,
          series.find((p) => p.workers === 1),
          c.concurrency,
        )}`
  }

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
