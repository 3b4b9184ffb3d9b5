// CPU time from /proc: this process's own time grows with work; a pid that does not exist reads as 0.
import { describe, expect, it } from 'vitest';
import { cpuSince, cpuSnapshot, processCpuMs } from './cpu-usage.mjs';

describe.runIf(process.platform === 'linux')('cpu-usage', () => {
  it('reads a live process, 0 for a gone one, and the time used since a snapshot', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(processCpuMs(2 ** 30)).toBe(0);
    const before = cpuSnapshot([process.pid, undefined]);
    const giveUp = Date.now() + 10_000;
    let used = 0;
    let x = 0;
    while (used < 30 && Date.now() < giveUp) {
      for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
      used = cpuSince(before, [process.pid]);
    }
    expect(x).toBeGreaterThan(0);
    expect(used).toBeGreaterThanOrEqual(30);
  });
});
