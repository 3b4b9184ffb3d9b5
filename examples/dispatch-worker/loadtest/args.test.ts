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
    expect(parseArgs([])).toMatchObject({
      quick: false,
      workers: 4,
      minKills: 5,
      throughput: true,
      write: true,
    });
    expect(parseArgs(['--no-write']).write).toBe(false);
    expect(parseArgs(['--quick', '--workers', '5', '--notifications', '90', '--json'])).toMatchObject({
      workers: 5,
      notifications: 90,
      json: true,
    });
  });

  it('the series runs at 2 jobs per worker and 400 notifications per point unless told otherwise', () => {
    expect(parseArgs([])).toMatchObject({ concurrency: 8, seriesConcurrency: 2, seriesNotifications: 400 });
    expect(parseArgs(['--series-concurrency', '3', '--series-notifications', '600'])).toMatchObject({
      concurrency: 8,
      seriesConcurrency: 3,
      seriesNotifications: 600,
    });
    expect(() => parseArgs(['--series-concurrency', '0'])).toThrow(/--series-concurrency/);
    expect(() => parseArgs(['--series-notifications', 'x'])).toThrow(/--series-notifications/);
  });

  it('refuses unknown flags and bad numbers, naming them', () => {
    expect(() => parseArgs(['--wrokers', '3'])).toThrow(UsageError);
    expect(() => parseArgs(['--workers', '0'])).toThrow(/--workers/);
    expect(() => parseArgs(['--workers'])).toThrow(/--workers/);
    expect(() => parseArgs(['--reenqueue-share', '2'])).toThrow(/--reenqueue-share/);
    expect(() => parseArgs(['--tenants', '3', '--twilio-tenants', '4'])).toThrow(/--twilio-tenants/);
  });
});
