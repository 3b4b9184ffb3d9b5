// CPU time from /proc: this process's own time grows with work; a pid that does not exist reads as 0.
import { describe, expect, it } from 'vitest';
import { cpuSince, cpuSnapshot, processCpuMs } from './cpu-usage.mjs';

describe.runIf(process.platform === 'linux')('cpu-usage', () => {
  it('reads a live process, 0 for a gone one, and the time used since a snapshot', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(processCpuMs(2 ** 30)).toBe(0);
    const before = cpuSnapshot([process.pid, undefined]);
    const stop = Date.now() + 300;
    let x = 0;
    while (Date.now() < stop) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(cpuSince(before, [process.pid])).toBeGreaterThanOrEqual(100);
  });
});
