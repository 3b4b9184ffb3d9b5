// How long a worker held a job, from its start and done events.
import { describe, expect, it } from 'vitest';
import { jobTimes } from './job-timings.mjs';

describe('jobTimes', () => {
  it('pairs each done with the latest start of its job before it, and gives the median and p90', () => {
    const starts = [
      { jobId: 'a', at: 0 },
      { jobId: 'a', at: 1000 }, // redelivered: the later start counts
      { jobId: 'b', at: 0 },
      { jobId: 'c', at: 0 },
      { jobId: 'd', at: 5000 }, // started after its done below: not paired
    ];
    const dones = [
      { jobId: 'a', at: 1200 },
      { jobId: 'b', at: 300 },
      { jobId: 'c', at: 400 },
      { jobId: 'd', at: 10 },
      { jobId: 'x', at: 10 },
    ];
    expect(jobTimes(starts, dones)).toEqual({ p50: 300, p90: 400, jobs: 3 });
  });

  it('with the span, gives its ramp (to the first start) and its tail (from the last done)', () => {
    const starts = [
      { jobId: 'a', at: 150 },
      { jobId: 'b', at: 120 },
    ];
    const dones = [
      { jobId: 'a', at: 700 },
      { jobId: 'b', at: 400 },
    ];
    expect(jobTimes(starts, dones, { from: 100, to: 1000 })).toEqual({
      p50: 550,
      p90: 550,
      jobs: 2,
      rampMs: 20,
      tailMs: 300,
    });
  });

  it('is undefined when no job has both events', () => {
    expect(jobTimes([{ jobId: 'a', at: 1 }], [])).toBeUndefined();
  });
});
