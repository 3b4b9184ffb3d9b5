// process-entry.mjs: the exit deadline of a drain that cannot finish aborts in-flight work, then exits 1.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeOnSignal } from './process-entry.mjs';

const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  // Only the listeners these tests added go.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    for (const l of process.listeners(signal)) if (!before[signal].includes(l)) process.off(signal, l);
});

describe('closeOnSignal', () => {
  it('past the deadline: aborts in-flight work first, exits 1 a second later', async () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const events: Array<Record<string, unknown>> = [];
    const abort = vi.fn();
    closeOnSignal(
      (event, fields) => events.push({ event, ...fields }),
      () => new Promise<void>(() => {}), // a close that never finishes (Redis down)
      5_000,
      abort,
    );
    process.emit('SIGINT', 'SIGINT');
    expect(events).toEqual([{ event: 'draining', pid: process.pid, signal: 'SIGINT' }]);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(abort).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(abort).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'the drain did not finish in time' }),
    );
    expect(exit).not.toHaveBeenCalled(); // aborted work gets its second to release its claims
    await vi.advanceTimersByTimeAsync(1_000);
    expect(exit).toHaveBeenCalledWith(1);
    expect(events.at(-1)).toEqual({ event: 'error', message: 'the drain did not finish in time' });
  });

  it('a close that finishes exits 0 and never aborts', async () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const abort = vi.fn();
    closeOnSignal(
      () => {},
      async () => undefined,
      5_000,
      abort,
    );
    process.emit('SIGINT', 'SIGINT');
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledWith(0);
    expect(abort).not.toHaveBeenCalled();
  });
});
