import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { onAbort } from './abort-relay.js';
import { isSmsError } from './errors.js';
import { Msg91Provider } from './providers/msg91.js';
import { createSmsSender } from './sender.js';
import { type Msg91Emulator, startMsg91Emulator } from './testing/msg91-emulator.js';

/** Collects the process warnings emitted while `fn` runs (they are emitted on a later tick). */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('onAbort', () => {
  it('adds one listener to the signal for any number of subscribers, and calls each once', () => {
    const ctl = new AbortController();
    let added = 0;
    const add = ctl.signal.addEventListener.bind(ctl.signal);
    ctl.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    }) as typeof add;
    const calls: number[] = [];
    const offs = Array.from({ length: 50 }, (_, i) => onAbort(ctl.signal, () => calls.push(i)));
    offs[7]!();
    ctl.abort();
    ctl.abort();
    expect(added).toBe(1);
    expect(calls).toHaveLength(49);
    expect(calls).not.toContain(7);
  });

  it('removes its listener with the last subscriber (a long-lived signal keeps none)', () => {
    const ctl = new AbortController();
    const offs = Array.from({ length: 3 }, () => onAbort(ctl.signal, () => undefined));
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(1);
    for (const off of offs) off();
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0);
    let called = 0;
    onAbort(ctl.signal, () => called++);
    ctl.abort();
    expect(called).toBe(1);
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0);
  });
});

describe('50 concurrent sends sharing one AbortSignal', () => {
  let emulator: Msg91Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  /** Starts 50 sends with `send` on one signal (the emulator holds each answer), aborts, checks every one. */
  async function fiftyAborted(
    send: (provider: Msg91Provider, i: number, signal: AbortSignal) => Promise<unknown>,
  ): Promise<string[]> {
    emulator = await startMsg91Emulator();
    const em = emulator;
    em.inject({ delayMs: 60_000, times: 50 });
    const provider = new Msg91Provider(
      { authKey: em.authKey, templateId: em.templateId },
      { apiBaseUrl: em.url },
    );
    const ctl = new AbortController();
    return warningsDuring(async () => {
      const sends = Array.from({ length: 50 }, (_, i) => send(provider, i, ctl.signal));
      await until(() => em.received === 50);
      ctl.abort(new Error('caller gave up'));
      for (const r of await Promise.allSettled(sends)) {
        const e = r.status === 'rejected' ? r.reason : undefined;
        expect(isSmsError(e) && e.code).toBe('aborted');
      }
    });
  }

  it('through a provider: no MaxListenersExceededWarning, all end as aborted', async () => {
    const warnings = await fiftyAborted((provider, i, signal) =>
      provider.send({ to: '+919876543210', body: `code ${i}` }, { signal }),
    );
    expect(warnings).toEqual([]);
  });

  it('through one sender: no MaxListenersExceededWarning, all end as aborted', async () => {
    let sender: ReturnType<typeof createSmsSender> | undefined;
    const warnings = await fiftyAborted((provider, i, signal) => {
      sender ??= createSmsSender({
        resolver: { resolve: async () => ({ provider, source: 'platform-default' as const }) },
      });
      return sender.send('tenant-a', { to: '+919876543210', body: `code ${i}` }, { signal });
    });
    expect(warnings).toEqual([]);
  });
});
