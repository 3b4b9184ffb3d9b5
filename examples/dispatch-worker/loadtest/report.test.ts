// The output formats: one JSON line, the verdict naming what failed, BENCHMARKS.md's section and its goal line.
import { describe, expect, it } from 'vitest';
import {
  ceilingRate,
  ceilingSentence,
  coresBusy,
  ioBoundSentence,
  jobBreakdown,
  loadtestSection,
} from './benchmarks-section.mjs';
import { formatJsonLine, formatTable, throughputEntry, verdict } from './report.mjs';

const zeros = { duplicates: 0, lost: 0, unknownLeft: 0, providerMessages: 5, ledgerAccepted: 5 };
const point = (workers: number, throughputPerSec: number) => ({
  workers,
  concurrency: 2,
  throughputPerSec,
  drainedMs: 10_000,
  ledgerAccepted: 100,
  notifications: 100,
  cpuMsPerAccepted: 25,
  loadAverage: 3,
  jobMs: { p50: 200, p90: 300 } as { p50: number; p90: number; rampMs?: number; tailMs?: number } | undefined,
});

describe('report', () => {
  it('--json output is exactly one line holding one object', () => {
    const line = formatJsonLine({ workers: 3, note: 'a\nb' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1).includes('\n')).toBe(false);
    expect(JSON.parse(line)).toEqual({ workers: 3, note: 'a\nb' });
  });

  it('the verdict names each failed figure, or states the zeros', () => {
    expect(verdict(zeros)).toMatch(/^0 duplicates, 0 lost, 0 unknownLeft/);
    expect(verdict({ ...zeros, duplicates: 2, ledgerAccepted: 4 })).toBe(
      '2 duplicates, providerMessages 5 != ledgerAccepted 4',
    );
    expect(formatTable({ ...zeros, pass: false, verdict: 'x' })).toContain('FAIL: x');
  });

  it("a --json throughput/ceiling entry carries the point's concurrency, rate, CPU and job times, nothing else", () => {
    const p = { ...point(4, 38.4), pass: true, examples: ['x'], faultsInjected: {} };
    const entry = throughputEntry(p as unknown as Parameters<typeof throughputEntry>[0]);
    expect(entry).toEqual({
      workers: 4,
      concurrency: 2,
      notifications: 100,
      ledgerAccepted: 100,
      throughputPerSec: 38.4,
      drainedMs: 10_000,
      cpuMsPerAccepted: 25,
      jobMs: { p50: 200, p90: 300 },
      loadAverage: 3,
      pass: true,
    });
  });
});

describe('loadtestSection', () => {
  const chaos = { ...zeros, workers: 4, latencyMs: 150, concurrency: 8, pass: true, verdict: 'ok' };
  const section = (series: ReturnType<typeof point>[], ceiling?: ReturnType<typeof point>) =>
    loadtestSection({ command: 'pnpm loadtest', date: '2026-12-01', series, ceiling, chaos, cores: 2 });

  it('says the goal is met when 4 workers reach 3× one worker, with the concurrency column and the ratios', () => {
    const md = section([point(1, 20), point(2, 40), point(4, 61)]);
    expect(md).toContain('**met** (3.05×)');
    expect(md).toContain('| 4 | 2 | 61 | 3.05× |');
    expect(md).toContain('| 1 | 2 | 20 | 1.00× |');
    expect(md).toContain('`pnpm loadtest`');
    expect(md).not.toContain('Per job:');
    expect(md).not.toContain('### Ceiling');
  });

  it('3× exactly is met, just under is not', () => {
    expect(section([point(1, 20), point(4, 60)])).toContain('**met** (3.00×)');
    expect(section([point(1, 20), point(4, 59.9)])).toContain('**not met** (3.00×)');
  });

  it('when it is not met, breaks the job time down at 1 and 4 workers', () => {
    const md = section([point(1, 20), point(4, 30)]);
    expect(md).toContain('**not met** (1.50×)');
    expect(md).toContain(`Per job: ${jobBreakdown(point(1, 20), 150)}; ${jobBreakdown(point(4, 30), 150)}.`);
    // 4 workers × 2 slots / 30 per s = 267 ms per slot, 200 held (150 provider + 50), 67 between jobs.
    expect(jobBreakdown(point(4, 30), 150)).toBe(
      '4 worker(s): 267 ms per slot per notification = 200 ms held by the worker (median; 150 ms provider round trip + 50 ms ledger and CPU wait) + 67 ms between jobs (queue fetch and wait)',
    );
    expect(
      jobBreakdown({ ...point(4, 30), jobMs: { p50: 200, p90: 300, rampMs: 40, tailMs: 700 } }, 150),
    ).toContain(
      "+ 67 ms between jobs (queue fetch and wait; the span's ramp 40 ms and tail 700 ms count in it)",
    );
    expect(jobBreakdown({ ...point(1, 20), jobMs: undefined }, 150)).toBe(
      '1 worker(s): 100 ms per slot per notification',
    );
  });

  it('says whether the 4-worker point stayed I/O-bound from its CPU cost × its rate against the cores', () => {
    // 25 ms × 40/s = 1 core of 2: I/O-bound; 25 ms × 70/s = 1.75 cores: CPU-bound.
    expect(coresBusy(point(4, 40))).toBe(1);
    expect(ioBoundSentence(point(4, 40), 2)).toContain(
      "= 1 of the machine's 2 cores, below them: the series is I/O-bound",
    );
    expect(ioBoundSentence(point(4, 70), 2)).toContain(
      "= 1.75 of the machine's 2 cores, at them: even this series is CPU-bound",
    );
    expect(section([point(1, 20), point(4, 40)])).toContain(ioBoundSentence(point(4, 40), 2));
    expect(ioBoundSentence(undefined, 2)).toBe('');
  });

  it('shows the ceiling row and the machine limit = cores × 1000 / CPU ms per accepted', () => {
    const ceiling = { ...point(4, 70), concurrency: 8, notifications: 1500, ledgerAccepted: 1500 };
    const md = section([point(1, 20), point(4, 61)], ceiling);
    expect(ceilingRate(ceiling, 2)).toBe(80);
    expect(md).toContain("### Ceiling: 4 workers at the chaos run's 8 jobs in flight");
    expect(md).toContain('| 4 | 8 | 70 | 3.50× (of 1 × 2) | 1500/1500 |');
    expect(md).toContain(ceilingSentence(ceiling, 2));
    expect(ceilingSentence(ceiling, 2)).toContain('2 cores × 1000 / 25 ms ≈ 80/s');
    expect(md.indexOf('### Ceiling')).toBeLessThan(md.indexOf('### Chaos'));
  });
});
