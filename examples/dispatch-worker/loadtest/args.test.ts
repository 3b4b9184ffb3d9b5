// The loadtest's flags.
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args.mjs';

describe('parseArgs', () => {
  it('--quick: 3 workers, at least three kills, no throughput series, no BENCHMARKS.md', () => {
    expect(parseArgs(['--quick'])).toMatchObject({
      quick: true,
      workers: 3,
      minKills: 3,
      chaos: true,
      throughput: false,
      write: false,
    });
  });

  it('a full run measures the series and writes unless --no-write; explicit values win over --quick', () => {
    expect(parseArgs([])).toMatchObject({ quick: false, workers: 4, throughput: true, write: true });
    expect(parseArgs(['--no-write']).write).toBe(false);
    expect(parseArgs(['--quick', '--workers', '5', '--notifications', '90', '--json'])).toMatchObject({
      workers: 5,
      notifications: 90,
      json: true,
    });
  });

  it('refuses unknown flags and bad numbers, naming them', () => {
    expect(() => parseArgs(['--wrokers', '3'])).toThrow(UsageError);
    expect(() => parseArgs(['--workers', '0'])).toThrow(/--workers/);
    expect(() => parseArgs(['--workers'])).toThrow(/--workers/);
    expect(() => parseArgs(['--reenqueue-share', '2'])).toThrow(/--reenqueue-share/);
    expect(() => parseArgs(['--tenants', '3', '--twilio-tenants', '4'])).toThrow(/--twilio-tenants/);
  });
});
