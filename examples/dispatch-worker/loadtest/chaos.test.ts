// The chaos timers with a fake pool and a fake injector (short intervals, real timers).
import { describe, expect, it } from 'vitest';
import { every, FAULT_ROTATION, startFaultInjection, startWorkerChaos } from './chaos.mjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `ok()` holds (polling every 5 ms; the test's timeout bounds it). */
async function until(ok: () => boolean) {
  while (!ok()) await sleep(5);
}

describe('startWorkerChaos', () => {
  it('kills and replaces a random live worker per tick, and nothing after stop()', async () => {
    const killed: number[] = [];
    const pool = {
      alive: () => [0, 1, 2],
      killAndReplace: async (i: number) => {
        killed.push(i);
      },
    };
    const chaos = startWorkerChaos(pool, 10, () => 0.99);
    await until(() => killed.length >= 2);
    await chaos.stop();
    const after = killed.length;
    expect(after).toBeGreaterThanOrEqual(2);
    expect(chaos.killed).toBe(after);
    expect(new Set(killed)).toEqual(new Set([2]));
    await sleep(40);
    expect(killed.length).toBe(after);
  });

  it('kills nobody while no worker is alive', async () => {
    const chaos = startWorkerChaos({ alive: () => [], killAndReplace: async () => {} }, 5);
    await sleep(30);
    await chaos.stop();
    expect(chaos.killed).toBe(0);
  });
});

describe('every', () => {
  it('stops at a tick that throws and rethrows its error from stop()', async () => {
    let ticks = 0;
    const timer = every(5, () => {
      ticks++;
      throw new Error('replacement did not start');
    });
    await until(() => timer.failed);
    await expect(timer.stop()).rejects.toThrow('replacement did not start');
    await sleep(30);
    expect(ticks).toBe(1);
  });
});

describe('startFaultInjection', () => {
  it('injects the rotation in order on both providers and counts only what was queued', async () => {
    const calls: { provider: string; fault: object }[] = [];
    const faults = startFaultInjection(async (provider, fault) => {
      calls.push({ provider, fault });
      return provider === 'twilio';
    }, 5);
    await until(() => calls.length >= 8);
    await faults.stop();
    expect(calls[0]).toEqual({ provider: 'twilio', fault: FAULT_ROTATION[0]?.fault });
    expect(calls[2]?.fault).toEqual(FAULT_ROTATION[1]?.fault);
    const total = Object.values(faults.injected).reduce((a, b) => a + b, 0);
    expect(total).toBe(calls.filter((c) => c.provider === 'twilio').length);
  });
});
