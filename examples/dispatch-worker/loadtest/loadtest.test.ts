// Smoke: a tiny chaos run through the same code as `pnpm loadtest` (3 worker processes, at least one SIGKILL, faults
// on both providers, re-enqueued ids) ends with the zeros. Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL or
// 127.0.0.1:6379): without them it is skipped with the reason printed, except under CI=true, where it fails.
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.mjs';
import { runScenario } from './scenario.mjs';

const databaseUrl = process.env.DATABASE_URL ?? '';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** Resolves whether a TCP connection to `url`'s host and port opens within 1 s. */
function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const missing = [
  !databaseUrl
    ? 'DATABASE_URL is not set'
    : !(await reachable(databaseUrl, 5432))
      ? 'PostgreSQL is unreachable'
      : '',
  !(await reachable(redisUrl, 6379)) ? `Redis is unreachable at ${redisUrl}` : '',
].filter(Boolean);
if (missing.length > 0 && process.env.CI === 'true')
  throw new Error(`loadtest smoke needs PostgreSQL and Redis under CI: ${missing.join('; ')}`);
if (missing.length > 0) console.warn(`loadtest smoke skipped: ${missing.join('; ')}`);

describe.skipIf(missing.length > 0)('pnpm loadtest, smoke', () => {
  it('3 workers, kills, faults and re-enqueued ids: 0 duplicates, 0 lost, 0 unknownLeft', async () => {
    const settings = parseArgs(['--quick', '--notifications', '240', '--kill-every-ms', '2500']);
    const log: string[] = [];
    const f = await runScenario(settings, {
      databaseUrl,
      redisUrl,
      log: (line) => log.push(line),
      drainTimeoutMs: 40_000,
    });
    const summary = JSON.stringify({ ...f, log: log.slice(-20) });
    expect(f.drained, summary).toBe(true);
    expect(f.workers).toBe(3);
    expect(f.killed, summary).toBeGreaterThanOrEqual(1);
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
