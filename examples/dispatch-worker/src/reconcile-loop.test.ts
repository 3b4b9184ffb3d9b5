// reconcile-loop.mjs with a fake reconciler: sweeps on a jittered interval, reports only sweeps that found rows,
// survives a failing sweep, sweeps in batches, stop() waits for the running batch, and 0 disables it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { countStates, startReconcileLoop } from './reconcile-loop.mjs';

afterEach(() => {
  vi.useRealTimers();
});

describe('startReconcileLoop', () => {
  it('sweeps every interval ± 25 %, emitting the states of sweeps that found rows', async () => {
    vi.useFakeTimers();
    const results = [
      [],
      [
        { tenantId: 't', notificationId: 'a', state: 'accepted' as const },
        { tenantId: 't', notificationId: 'b', state: 'unknown' as const, reason: 'no_lookup' as const },
      ],
    ];
    const sweep = vi.fn(async () => results.shift() ?? []);
    const events: unknown[] = [];
    const loop = startReconcileLoop({
      reconciler: { sweep },
      intervalMs: 1_000,
      emit: (event, fields) => events.push({ event, ...fields }),
      limit: 7,
      random: () => 0, // 750 ms
    });
    await vi.advanceTimersByTimeAsync(749);
    expect(sweep).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(sweep).toHaveBeenCalledWith({ limit: 7 });
    expect(events).toEqual([]); // nothing found: nothing said
    await vi.advanceTimersByTimeAsync(750);
    expect(sweep).toHaveBeenCalledTimes(2);
    expect(events).toEqual([{ event: 'sweep', rows: 2, accepted: 1, unknown: 1 }]);
    await loop.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sweep).toHaveBeenCalledTimes(2);
  });

  it('keeps going after a failed sweep, and stop() waits for the one running', async () => {
    vi.useFakeTimers();
    let finish: () => void = () => {};
    const sweep = vi
      .fn()
      .mockRejectedValueOnce(new Error('database down'))
      .mockImplementationOnce(() => new Promise((r) => (finish = () => r([]))));
    const events: unknown[] = [];
    const loop = startReconcileLoop({
      reconciler: { sweep },
      intervalMs: 100,
      emit: (event, fields) => events.push({ event, ...fields }),
      random: () => 1, // 125 ms
    });
    await vi.advanceTimersByTimeAsync(125);
    expect(events).toEqual([{ event: 'sweep-error', message: 'database down' }]);
    await vi.advanceTimersByTimeAsync(125);
    expect(sweep).toHaveBeenCalledTimes(2);
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('sweeps in batches up to the limit, and stop() mid-sweep waits for the running batch only', async () => {
    vi.useFakeTimers();
    const row = (n: number) => ({ tenantId: 't', notificationId: `r${n}`, state: 'accepted' as const });
    let release: () => void = () => {};
    let calls = 0;
    const sweep = vi.fn(async ({ limit }: { limit: number }) => {
      calls++;
      if (calls === 3) await new Promise<void>((r) => (release = r)); // the third batch is slow
      return Array.from({ length: limit }, (_, i) => row(calls * 10 + i));
    });
    const events: Array<Record<string, unknown>> = [];
    const loop = startReconcileLoop({
      reconciler: { sweep },
      intervalMs: 100,
      emit: (event, fields) => events.push({ event, ...fields }),
      limit: 5,
      batch: 2,
      random: () => 0.5,
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(sweep.mock.calls.map(([o]) => o)).toEqual([{ limit: 2 }, { limit: 2 }, { limit: 1 }]);
    const stopping = loop.stop();
    release();
    await stopping;
    expect(events).toEqual([{ event: 'sweep', rows: 5, accepted: 5 }]);
    // A sweep stopped between batches takes no more.
    calls = 0;
    const slow = vi.fn(async ({ limit }: { limit: number }) => {
      calls++;
      await new Promise<void>((r) => (release = r));
      return Array.from({ length: limit }, (_, i) => row(i));
    });
    const loop2 = startReconcileLoop({
      reconciler: { sweep: slow },
      intervalMs: 100,
      emit: () => {},
      limit: 500,
      batch: 2,
      random: () => 0.5,
    });
    await vi.advanceTimersByTimeAsync(100);
    const stopping2 = loop2.stop();
    release();
    await stopping2;
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it('intervalMs 0: no loop', async () => {
    vi.useFakeTimers();
    const sweep = vi.fn(async () => []);
    const loop = startReconcileLoop({ reconciler: { sweep }, intervalMs: 0, emit: () => {} });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sweep).not.toHaveBeenCalled();
    await loop.stop();
  });
});

describe('startReconcileLoop onDecided', () => {
  it('is called for each accepted or deferred row, never for unknown ones; its failure is reported', async () => {
    vi.useFakeTimers();
    const rows = [
      { tenantId: 't', notificationId: 'a', state: 'accepted' as const, messageId: 'SM1' },
      { tenantId: 't', notificationId: 'b', state: 'deferred' as const, reason: 'absent' as const },
      { tenantId: 't', notificationId: 'c', state: 'unknown' as const, reason: 'no_lookup' as const },
    ];
    const decided: string[] = [];
    const events: Array<Record<string, unknown>> = [];
    const loop = startReconcileLoop({
      reconciler: { sweep: async () => rows },
      intervalMs: 100,
      emit: (event, fields) => events.push({ event, ...fields }),
      onDecided: async (o) => {
        decided.push(o.notificationId);
        if (o.state === 'deferred') throw new Error('redis down');
      },
      random: () => 0.5,
    });
    await vi.advanceTimersByTimeAsync(100);
    await loop.stop();
    expect(decided).toEqual(['a', 'b']);
    expect(events).toContainEqual({ event: 'sweep-error', message: 'redis down' });
  });
});

describe('countStates', () => {
  it('counts rows per state', () => {
    expect(countStates([])).toEqual({ rows: 0 });
    expect(countStates([{ state: 'deferred' }, { state: 'deferred' }, { state: 'accepted' }])).toEqual({
      rows: 3,
      deferred: 2,
      accepted: 1,
    });
  });
});
