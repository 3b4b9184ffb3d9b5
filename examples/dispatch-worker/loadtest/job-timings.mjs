// Pure: how long a worker held a job (its `job` event to its `job-done` event, as the runner received them).

/**
 * The median and 90th percentile (ms, rounded) of start → done per handled job: each `done` is paired with the
 * latest `start` of the same job id before it; a done without a start is ignored. With the measured `span`
 * (enqueue → drained), also its ramp (span start → first job start) and tail (last job done → span end), the part of
 * the span no worker held a job. `undefined` when nothing paired.
 * @param {{ jobId: string, at: number }[]} starts
 * @param {{ jobId: string, at: number }[]} dones
 * @param {{ from: number, to: number }} [span]
 * @returns {{ p50: number, p90: number, jobs: number, rampMs?: number, tailMs?: number } | undefined}
 */
export function jobTimes(starts, dones, span) {
  /** @type {Map<string, number[]>} */
  const byJob = new Map();
  for (const st of starts) byJob.set(st.jobId, [...(byJob.get(st.jobId) ?? []), st.at]);
  /** @type {number[]} */
  const held = [];
  for (const d of dones) {
    const before = (byJob.get(d.jobId) ?? []).filter((at) => at <= d.at);
    if (before.length > 0) held.push(d.at - Math.max(...before));
  }
  if (held.length === 0) return undefined;
  held.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) =>
    /** @type {number} */ (held[Math.min(held.length - 1, Math.floor(q * held.length))]);
  const times = { p50: Math.round(at(0.5)), p90: Math.round(at(0.9)), jobs: held.length };
  if (!span) return times;
  const rampMs = Math.min(...starts.map((st) => st.at)) - span.from;
  return { ...times, rampMs, tailMs: span.to - Math.max(...dones.map((d) => d.at)) };
}
