// The sender's beforeCall hook (the dispatcher records each attempt there, before its provider call).
import { expect, it } from 'vitest';
import { SmsError } from './errors.js';
import { createSmsSender } from './sender.js';
import type { SmsCallOptions, SmsProvider } from './types.js';

const MSG = { to: '+14155552671', body: 'hello' };

function provider(failFirst: boolean) {
  const calls: SmsCallOptions[] = [];
  const p: SmsProvider & { calls: SmsCallOptions[] } = {
    name: 'twilio',
    calls,
    async send(_m, options = {}) {
      calls.push(options);
      if (failFirst && calls.length === 1)
        throw new SmsError({ code: 'network', outcome: 'not_sent', message: 'refused' });
      return { messageId: 'SM1', provider: 'twilio', status: 'queued', segments: 1, encoding: 'GSM-7' };
    },
    async verify() {},
  };
  return p;
}

it('each provider call gets the attempt id beforeCall returned, retries included', async () => {
  const p = provider(true);
  const sender = createSmsSender({
    resolver: { resolve: async () => ({ provider: p, source: 'tenant' }) },
    retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
    circuitBreaker: false,
  });
  const seen: number[] = [];
  await sender.send('t1', MSG, {
    beforeCall: async ({ attempt }) => {
      seen.push(attempt);
      return `att-${attempt}`;
    },
  });
  expect(seen).toEqual([1, 2]);
  expect(p.calls.map((c) => c.attemptId)).toEqual(['att-1', 'att-2']);
});

it('a throwing beforeCall: the provider is not called, its error is thrown at once (no retry)', async () => {
  const p = provider(false);
  const sender = createSmsSender({
    resolver: { resolve: async () => ({ provider: p, source: 'tenant' }) },
    retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    circuitBreaker: false,
  });
  const lost = new SmsError({ code: 'in_progress', retryable: true, message: 'lease lost' });
  let hooks = 0;
  const e = await sender
    .send('t1', MSG, {
      beforeCall: async () => {
        hooks++;
        throw lost;
      },
    })
    .catch((x: unknown) => x);
  expect(e).toBe(lost);
  expect(hooks).toBe(1);
  expect(p.calls).toHaveLength(0);
});
