// Smoke: a tiny chaos run through the same code as `pnpm loadtest` (3 worker processes, at least one SIGKILL, faults
// on both providers, re-enqueued ids, evidence withheld for a share of messages) ends with the zeros. Needs PostgreSQL
// (DATABASE_URL) and Redis (REDIS_URL or 127.0.0.1:6379): `checkServices` skips it with the reason printed, except
// under CI, where it fails.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkServices, DATABASE_URL, REDIS_URL } from '../src/test-services.js';
import { parseArgs } from './args.mjs';
import { runScenario } from './scenario.mjs';

const services = await checkServices('loadtest smoke');

describe.skipIf(services.skip)('pnpm loadtest, smoke', () => {
  beforeAll(() => services.assert());

  it('3 workers, ≥ 3 kills, faults, re-enqueued ids, withheld evidence: 0 duplicates, 0 lost, 0 unknownLeft', async () => {
    const settings = parseArgs(['--quick', '--notifications', '240', '--kill-every-ms', '2500']);
    const log: string[] = [];
    const f = await runScenario(settings, {
      databaseUrl: DATABASE_URL,
      redisUrl: REDIS_URL,
      log: (line) => log.push(line),
      drainTimeoutMs: 40_000,
    });
    const summary = JSON.stringify({ ...f, log: log.slice(-20) });
    expect(f.drained, summary).toBe(true);
    expect(f.workers).toBe(3);
    expect(f.killed, summary).toBeGreaterThanOrEqual(3);
    expect(f.reenqueued, summary).toBeGreaterThan(0);
    expect(Object.keys(f.faultsInjected).length, summary).toBeGreaterThan(0);
    expect({ duplicates: f.duplicates, lost: f.lost, unknownLeft: f.unknownLeft }, summary).toEqual({
      duplicates: 0,
      lost: 0,
      unknownLeft: 0,
    });
    expect(f.providerMessages, summary).toBe(f.ledgerAccepted);
    expect(f.pass).toBe(true);
  }, 60_000);
});
