// Pure: BENCHMARKS.md's `loadtest` section from a full run's figures (the throughput series and the chaos run).

/**
 * @typedef {{ workers: number, concurrency: number, throughputPerSec: number, drainedMs: number,
 *   ledgerAccepted: number, notifications: number, cpuMsPerAccepted?: number, loadAverage?: number,
 *   jobMs?: { p50: number, p90: number, rampMs?: number, tailMs?: number } }} SeriesPoint
 */

/**
 * The ratio of `b` to `a`, two decimals ("n/a" without a baseline).
 * @param {number} a @param {number} b
 */
const ratio = (a, b) => (a > 0 ? `${(b / a).toFixed(2)}×` : 'n/a');

/**
 * The cores a point kept busy: its CPU ms per accepted notification × its rate / 1000 (two decimals).
 * @param {SeriesPoint} p
 */
export const coresBusy = (p) => Math.round(((p.cpuMsPerAccepted ?? 0) * p.throughputPerSec) / 10) / 100;

/**
 * The rate `cores` fully busy carry at a point's CPU cost: cores × 1000 / CPU ms per accepted notification.
 * @param {SeriesPoint} p @param {number} cores
 */
export const ceilingRate = (p, cores) =>
  p.cpuMsPerAccepted ? Math.round((cores * 1000) / p.cpuMsPerAccepted) : undefined;

/**
 * Whether the 4-worker point stayed I/O-bound: the cores it kept busy (CPU ms per accepted × its rate) against the
 * machine's; below 80 % of them it is the provider latency, not the CPU, that sets the series' rates.
 * @param {SeriesPoint | undefined} four
 * @param {number} cores
 */
export function ioBoundSentence(four, cores) {
  if (!four?.cpuMsPerAccepted) return '';
  const busy = coresBusy(four);
  const bound = busy < 0.8 * cores;
  return `Why ${four.concurrency} jobs in flight per worker: with 4 workers every process of the run (workers, webhook, emulators, runner, PostgreSQL backends) spent ${four.cpuMsPerAccepted} ms CPU per accepted notification × ${four.throughputPerSec}/s = ${busy} of the machine's ${cores} cores, ${bound ? 'below them: the series is I/O-bound (the emulated latency sets it)' : 'at them: even this series is CPU-bound'}.`;
}

/**
 * Where a job's time went at a point: the slot time (workers × jobs in flight / rate: how long each in-flight slot
 * spends per notification), the part a worker held the job (start → done, median), of which `latencyMs` is the
 * provider round trip and the rest the ledger and waiting for a core; the slot time beyond the hold is queue wait
 * (with the span's ramp before the first job and tail after the last one).
 * @param {SeriesPoint} p @param {number} latencyMs
 */
export function jobBreakdown(p, latencyMs) {
  const slot =
    p.throughputPerSec > 0 ? Math.round((p.workers * p.concurrency * 1000) / p.throughputPerSec) : 0;
  const held = p.jobMs?.p50;
  if (held === undefined) return `${p.workers} worker(s): ${slot} ms per slot per notification`;
  const edges =
    p.jobMs?.rampMs !== undefined
      ? `; the span's ramp ${p.jobMs.rampMs} ms and tail ${p.jobMs.tailMs} ms count in it`
      : '';
  return `${p.workers} worker(s): ${slot} ms per slot per notification = ${held} ms held by the worker (median; ${latencyMs} ms provider round trip + ${held - latencyMs} ms ledger and CPU wait) + ${slot - held} ms between jobs (queue fetch and wait${edges})`;
}

/**
 * The ceiling: 4 workers at the chaos run's concurrency, no chaos; its rate and the cores' limit at its CPU cost.
 * @param {SeriesPoint} c @param {number} cores
 */
export function ceilingSentence(c, cores) {
  const limit = ceilingRate(c, cores);
  return `Ceiling (the measured limit): ${c.workers} workers × ${c.concurrency} jobs reached ${c.throughputPerSec}/s at ${c.cpuMsPerAccepted ?? 'n/a'} ms CPU per accepted notification, so the machine's ceiling ≈ ${cores} cores × 1000 / ${c.cpuMsPerAccepted ?? 'n/a'} ms ≈ ${limit ?? 'n/a'}/s (1-minute load average ${c.loadAverage ?? 'n/a'}: other work shares the cores).`;
}

/** @param {SeriesPoint} p @param {string} vs */
const row = (p, vs) =>
  `| ${p.workers} | ${p.concurrency} | ${p.throughputPerSec} | ${vs} | ${p.ledgerAccepted}/${p.notifications} | ${(p.drainedMs / 1000).toFixed(1)} s | ${p.cpuMsPerAccepted ?? 'n/a'} | ${p.jobMs?.p50 ?? 'n/a'} ms | ${p.loadAverage ?? 'n/a'} |`;

const HEADER = `| workers | jobs in flight / worker | accepted/s | vs 1 worker | accepted | enqueue → drained | CPU ms / accepted | job held (median) | load average |
|---|---|---|---|---|---|---|---|---|`;

/**
 * The markdown of the section: the command, the throughput series (ratios against one worker measured in the same
 * run) with why it is I/O-bound and the goal's verdict (with the per-job breakdown when not met), the ceiling point,
 * and the chaos run's figures.
 * @param {{ command: string, date: string, series: SeriesPoint[], ceiling?: SeriesPoint, chaos: Record<string, any>,
 *   cores: number }} o
 */
export function loadtestSection({ command, date, series, ceiling, chaos, cores }) {
  const onePoint = series.find((p) => p.workers === 1);
  const base = onePoint?.throughputPerSec ?? 0;
  const fourPoint = series.find((p) => p.workers === 4);
  const four = fourPoint?.throughputPerSec ?? 0;
  const met = base > 0 && four >= 3 * base;
  const c = chaos;
  const breakdown = [onePoint, fourPoint]
    .filter((p) => p !== undefined)
    .map((p) => jobBreakdown(p, c.latencyMs));
  return `## Load test: BullMQ dispatch workers under kill -9 (\`pnpm loadtest\`)

Reproduce: \`${command}\` (PostgreSQL at \`DATABASE_URL\`, Redis at \`REDIS_URL\`). Measured ${date} on this project's
2-core machine, shared with other work; the emulators answer after ${c.latencyMs} ms per request (their own process).
Definitions: \`examples/dispatch-worker/loadtest/README.md\`.

### Throughput at the emulated latency, no chaos (same ${series[0]?.notifications ?? 0} notifications each)

${HEADER}
${series.map((p) => row(p, ratio(base, p.throughputPerSec))).join('\n')}

${ioBoundSentence(fourPoint, cores)}

Goal: 4 workers ≥ 3× one worker — **${met ? 'met' : 'not met'}** (${ratio(base, four)}).${
    met ? '' : ` Per job: ${breakdown.join('; ')}.`
  }
${
  ceiling
    ? `
### Ceiling: ${ceiling.workers} workers at the chaos run's ${ceiling.concurrency} jobs in flight, no chaos (${ceiling.notifications} notifications)

${HEADER}
${row(ceiling, `${ratio(base, ceiling.throughputPerSec)} (of 1 × ${onePoint?.concurrency ?? 'n/a'})`)}

${ceilingSentence(ceiling, cores)}
`
    : ''
}
### Chaos: ${c.workers} workers × ${c.concurrency} jobs in flight, SIGKILL every few seconds, provider faults, re-enqueued ids

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
| MSG91 reports withheld until the end (and Twilio account 1 without callbacks) | ${c.releasedReports ?? 'n/a'} |
| providerMessages / ledgerAccepted | ${c.providerMessages} / ${c.ledgerAccepted} |
| throughput under chaos | ${c.throughputPerSec} accepted/s |
| verdict | ${c.pass ? 'PASS' : 'FAIL'}: ${c.verdict} |
`;
}
