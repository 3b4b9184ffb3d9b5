// The output formats: one JSON line, the verdict naming what failed, BENCHMARKS.md's section and its goal line.
import { describe, expect, it } from 'vitest';
import { limitSentence, loadtestSection } from './benchmarks-section.mjs';
import { formatJsonLine, formatTable, verdict } from './report.mjs';

const zeros = { duplicates: 0, lost: 0, unknownLeft: 0, providerMessages: 5, ledgerAccepted: 5 };
const point = (workers: number, throughputPerSec: number) => ({
  workers,
  throughputPerSec,
  drainedMs: 10_000,
  ledgerAccepted: 100,
  notifications: 100,
  cpuMsPerAccepted: 25,
  loadAverage: 3,
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
});

describe('loadtestSection', () => {
  const chaos = { ...zeros, workers: 4, latencyMs: 150, concurrency: 8, pass: true, verdict: 'ok' };

  it('says the goal is met when 4 workers reach 3× one worker, with the ratios', () => {
    const md = loadtestSection({
      command: 'pnpm loadtest',
      date: '2026-12-01',
      series: [point(1, 20), point(2, 40), point(4, 61)],
      chaos,
      cores: 2,
    });
    expect(md).toContain('**met** (3.05×)');
    expect(md).toContain('| 4 | 61 | 3.05× |');
    expect(md).toContain('`pnpm loadtest`');
  });

  it('when it is not met, gives the measured limit from the CPU cost', () => {
    const md = loadtestSection({
      command: 'pnpm loadtest',
      date: '2026-12-01',
      series: [point(1, 20), point(4, 30)],
      chaos,
      cores: 2,
    });
    expect(md).toContain('**not met** (1.50×)');
    expect(md).toContain(limitSentence(point(4, 30), 2, point(1, 20), 8));
    expect(limitSentence(point(4, 30), 2, point(1, 20), 8)).toContain('about 80/s');
    expect(limitSentence(point(4, 30), 2, point(1, 20), 8)).toContain('400 ms per job');
  });
});
