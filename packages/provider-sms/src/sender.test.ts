import { getEventListeners } from 'node:events';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSmsError, SmsError, type SmsErrorCode } from './errors.js';
import { FakeClock } from './fake-clock.js';
import { maskPhone } from './message.js';
import type { SmsProviderResolution } from './resolver.js';
import {
  abortableSleep,
  backoffCeilingMs,
  createSmsSender,
  DEFAULT_RETRY,
  FAILOVER_CODES,
  type SmsSenderEvent,
  type SmsSenderOptions,
} from './sender.js';
import type { Logger, SmsMessage, SmsProvider, SmsProviderName, SmsSendResult } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Test doubles

const MSG: SmsMessage = { to: '+14155552671', body: 'Your code is SECRET-BODY-4821' };

const ok = (provider: SmsProviderName, id = 'SM1'): SmsSendResult => ({
  messageId: id,
  provider,
  status: 'queued',
  segments: 1,
  encoding: 'GSM-7',
});

type Step = SmsError | SmsSendResult | Error | ((signal?: AbortSignal) => Promise<SmsSendResult>);

/** A provider that plays a script of results/errors, repeating the last step. */
function fakeProvider(name: SmsProviderName, script: Step[]) {
  const calls: { message: SmsMessage; signal?: AbortSignal }[] = [];
  const provider: SmsProvider & { calls: typeof calls } = {
    name,
    calls,
    async send(message, options) {
      calls.push({ message, ...(options?.signal ? { signal: options.signal } : {}) });
      const step = script[Math.min(calls.length - 1, script.length - 1)];
      if (typeof step === 'function') return step(options?.signal);
      if (step instanceof Error) throw step;
      return step as SmsSendResult;
    },
    async verify() {},
  };
  return provider;
}

const err = (code: SmsErrorCode, extra: Partial<ConstructorParameters<typeof SmsError>[0]> = {}) =>
  new SmsError({ code, message: `fake ${code}`, provider: 'twilio', ...extra });

function fixedResolver(provider: SmsProvider, source: SmsProviderResolution['source'] = 'tenant') {
  const r = {
    calls: 0,
    resolve: async () => {
      r.calls++;
      return { provider, source };
    },
  };
  return r;
}

function recorder() {
  const events: SmsSenderEvent[] = [];
  const logs: { level: string; fields: Record<string, unknown>; msg?: string }[] = [];
  const logger: Logger = {
    debug: (fields, msg) => logs.push({ level: 'debug', fields, ...(msg ? { msg } : {}) }),
    info: (fields, msg) => logs.push({ level: 'info', fields, ...(msg ? { msg } : {}) }),
    warn: (fields, msg) => logs.push({ level: 'warn', fields, ...(msg ? { msg } : {}) }),
    error: (fields, msg) => logs.push({ level: 'error', fields, ...(msg ? { msg } : {}) }),
  };
  return { events, logs, logger, onEvent: (e: SmsSenderEvent) => events.push(e) };
}

function make(opts: Partial<SmsSenderOptions> & Pick<SmsSenderOptions, 'resolver'>) {
  const clock = new FakeClock();
  const rec = recorder();
  const sender = createSmsSender({
    clock,
    random: () => 0.5,
    onEvent: rec.onEvent,
    logger: rec.logger,
    ...opts,
  });
  return { sender, clock, ...rec };
}

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    expect(isSmsError(e)).toBe(true);
    return e as SmsError;
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------------------------

describe('createSmsSender: construction', () => {
  it('defaults to 3 attempts, 200 ms base, 5 s max, 30 s Retry-After cap', () => {
    expect(DEFAULT_RETRY).toEqual({
      maxAttempts: 3,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      maxRetryAfterMs: 30_000,
    });
  });

  it('requires platformDefault when failover is on (invalid_config naming it)', () => {
    const resolver = fixedResolver(fakeProvider('twilio', [ok('twilio')]));
    let e: unknown;
    try {
      createSmsSender({ resolver, failover: 'platform-default' });
    } catch (x) {
      e = x;
    }
    expect(isSmsError(e) && e.code).toBe('invalid_config');
    expect((e as Error).message).toContain('platformDefault');
  });

  it('rejects a resolver without resolve() and a bad retry policy', () => {
    expect(() => createSmsSender({ resolver: {} as never })).toThrow(/resolver/);
    const resolver = fixedResolver(fakeProvider('twilio', [ok('twilio')]));
    expect(() => createSmsSender({ resolver, retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
    expect(() => createSmsSender({ resolver, retry: { baseDelayMs: -1 } })).toThrow(/baseDelayMs/);
    expect(() => createSmsSender({ resolver, failover: 'always' as never })).toThrow(/failover/);
  });

  it('every duration past setTimeout’s limit (2^31 − 1 ms) is invalid_config naming it, at construction', () => {
    const resolver = fixedResolver(fakeProvider('twilio', [ok('twilio')]));
    const cases: [Partial<SmsSenderOptions>, string][] = [
      [{ retry: { baseDelayMs: 2 ** 31 } }, 'retry.baseDelayMs'],
      [{ retry: { maxDelayMs: 2 ** 31 } }, 'retry.maxDelayMs'],
      [{ retry: { maxRetryAfterMs: 2 ** 31 } }, 'retry.maxRetryAfterMs'],
      [{ retry: { maxRetryAfterMs: Number.NaN } }, 'retry.maxRetryAfterMs'],
      [{ circuitBreaker: { cooldownMs: 2 ** 31 } }, 'circuitBreaker.cooldownMs'],
      [{ circuitBreaker: { cooldownMs: Number.NaN } }, 'circuitBreaker.cooldownMs'],
    ];
    for (const [opts, name] of cases) {
      expect(() => createSmsSender({ resolver, ...opts }), name).toThrow(
        expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(name) }),
      );
    }
    expect(() => createSmsSender({ resolver, retry: { maxRetryAfterMs: 2 ** 31 - 1 } })).not.toThrow();
  });

  it('send options.deadlineMs past 2^31 − 1 rejects invalid_config before anything is sent; Infinity means none', async () => {
    const p = fakeProvider('twilio', [ok('twilio')]);
    const { sender } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG, { deadlineMs: 2 ** 31 }));
    expect(e).toMatchObject({ code: 'invalid_config', outcome: 'not_sent' });
    expect(e.message).toContain('deadlineMs');
    expect(p.calls).toHaveLength(0);
    expect((await sender.send('t1', MSG, { deadlineMs: Infinity })).result.messageId).toBe('SM1');
  });
});

describe('send: success and attempts shape', () => {
  it('resolves { result, attempts, provider, source, failedOver } on the first try', async () => {
    const p = fakeProvider('twilio', [ok('twilio')]);
    const { sender, events } = make({ resolver: fixedResolver(p) });
    const out = await sender.send('t1', MSG);
    expect(out.result.messageId).toBe('SM1');
    expect(out).toMatchObject({ provider: 'twilio', source: 'tenant', failedOver: false });
    expect(out.attempts).toEqual([{ stage: 'send', provider: 'twilio', durationMs: 0 }]);
    expect(events.map((e) => e.type)).toEqual(['resolve', 'attempt']);
    expect(p.calls[0]?.message).toEqual(MSG); // a frozen snapshot of MSG, read once
    expect(p.calls[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it("passes the resolver's platform-default reason through", async () => {
    const p = fakeProvider('msg91', [ok('msg91')]);
    const resolver = {
      resolve: async () => ({
        provider: p,
        source: 'platform-default' as const,
        reason: 'no_tenant_config' as const,
      }),
    };
    const { sender } = make({ resolver });
    const out = await sender.send('t1', MSG);
    expect(out).toMatchObject({ source: 'platform-default', reason: 'no_tenant_config', provider: 'msg91' });
  });
});

describe('send: retries', () => {
  it('retries a retryable not_sent error with backoff and succeeds', async () => {
    const p = fakeProvider('twilio', [err('network'), err('network'), ok('twilio')]);
    const { sender, events } = make({ resolver: fixedResolver(p) });
    const out = await sender.send('t1', MSG);
    expect(p.calls).toHaveLength(3);
    expect(out.attempts.map((a) => a.code)).toEqual(['network', 'network', undefined]);
    expect(out.attempts[0]).toMatchObject({
      stage: 'send',
      provider: 'twilio',
      code: 'network',
      outcome: 'not_sent',
    });
    const retries = events.filter((e) => e.type === 'retry');
    // random() = 0.5: half of the ceilings 200 and 400.
    expect(retries.map((e) => e.delayMs)).toEqual([100, 200]);
    expect(retries.map((e) => e.attempt)).toEqual([2, 3]);
  });

  it('gives up after maxAttempts and throws the last error carrying every attempt', async () => {
    const p = fakeProvider('twilio', [err('sender_queue_full')]);
    const { sender, events } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG));
    expect(p.calls).toHaveLength(3);
    expect(e.code).toBe('sender_queue_full');
    expect(e.outcome).toBe('not_sent');
    expect(e.attempts).toHaveLength(3);
    for (const a of e.attempts ?? []) {
      expect(a).toMatchObject({ provider: 'twilio', code: 'sender_queue_full', outcome: 'not_sent' });
      expect(typeof a.durationMs).toBe('number');
    }
    expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'attempts_exhausted' });
  });

  it.each([
    ['provider_unavailable (5xx, unknown)', err('provider_unavailable')],
    ['timeout', err('timeout')],
    ['network after the request left', err('network', { outcome: 'unknown' })],
    ['unknown', err('unknown')],
    ['a mis-flagged unknown+retryable', err('rate_limited', { outcome: 'unknown', retryable: true })],
  ])('never retries outcome unknown: %s', async (_name, e0) => {
    const p = fakeProvider('twilio', [e0, ok('twilio')]);
    const { sender, events } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG));
    expect(p.calls).toHaveLength(1);
    expect(e.outcome).toBe('unknown');
    expect(e.attempts).toHaveLength(1);
    expect(events.some((x) => x.type === 'retry')).toBe(false);
  });

  it.each(['invalid_recipient', 'recipient_opted_out', 'invalid_message', 'authentication_failed'] as const)(
    'does not retry a non-retryable not_sent error: %s',
    async (code) => {
      const p = fakeProvider('twilio', [err(code), ok('twilio')]);
      const { sender } = make({ resolver: fixedResolver(p) });
      const e = await rejection(sender.send('t1', MSG));
      expect(e.code).toBe(code);
      expect(p.calls).toHaveLength(1);
    },
  );

  it('retry: false makes a single attempt', async () => {
    const p = fakeProvider('twilio', [err('network'), ok('twilio')]);
    const { sender } = make({ resolver: fixedResolver(p), retry: false });
    const e = await rejection(sender.send('t1', MSG));
    expect(e.attempts).toHaveLength(1);
    expect(p.calls).toHaveLength(1);
  });

  it("keeps the error's messageId (a message the provider created) on the error it throws", async () => {
    const p = fakeProvider('twilio', [
      err('recipient_unreachable', { messageId: 'SM-created', httpStatus: 201 }),
    ]);
    const { sender } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG));
    expect(e.messageId).toBe('SM-created');
    expect(e.toJSON().messageId).toBe('SM-created');
  });

  it('wraps a foreign exception from a provider as unknown/unknown and does not retry it', async () => {
    const p = fakeProvider('twilio', [
      new TypeError('boom Authorization: Basic QUMxMjM0NTY3ODkwOnNlY3JldA=='),
      ok('twilio'),
    ]);
    const { sender } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG));
    expect(e).toMatchObject({ code: 'unknown', outcome: 'unknown', retryable: false, provider: 'twilio' });
    expect(JSON.stringify(e)).not.toContain('QUMxMjM0NTY3ODkwOnNlY3JldA');
    expect(p.calls).toHaveLength(1);
  });
});

describe('send: backoff bounds and Retry-After', () => {
  it('full jitter stays within [0, min(maxDelay, base·2^(n-1))]', async () => {
    const policy = { ...DEFAULT_RETRY, maxAttempts: 8 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeilingMs(n, policy))).toEqual([
      200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    for (const r of [0, 0.999999]) {
      const p = fakeProvider('twilio', [err('network')]);
      const { sender, events } = make({
        resolver: fixedResolver(p),
        retry: policy,
        random: () => r,
        circuitBreaker: false,
      });
      await rejection(sender.send('t1', MSG));
      const delays = events.filter((e) => e.type === 'retry').map((e) => e.delayMs);
      expect(delays).toEqual(r === 0 ? [0, 0, 0, 0, 0, 0, 0] : [199, 399, 799, 1599, 3199, 4999, 4999]);
    }
  });

  it('waits at least Retry-After (when within the cap)', async () => {
    const p = fakeProvider('twilio', [
      err('rate_limited', { retryAfterMs: 2_000, httpStatus: 429 }),
      ok('twilio'),
    ]);
    const { sender, events, clock } = make({ resolver: fixedResolver(p) });
    const t0 = clock.now();
    const out = await sender.send('t1', MSG);
    expect(out.attempts).toHaveLength(2);
    expect(events.find((e) => e.type === 'retry')).toMatchObject({
      delayMs: 2_000,
      retryAfterMs: 2_000,
      code: 'rate_limited',
    });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2_000);
  });

  it('gives up (no hammering) when Retry-After exceeds maxRetryAfterMs', async () => {
    const p = fakeProvider('twilio', [
      err('rate_limited', { retryAfterMs: 60_000, httpStatus: 429 }),
      ok('twilio'),
    ]);
    const { sender, events } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG));
    expect(e).toMatchObject({ code: 'rate_limited', retryAfterMs: 60_000 });
    expect(p.calls).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      type: 'give_up',
      reason: 'retry_after_too_long',
      retryAfterMs: 60_000,
    });
  });
});

describe('send: abort and deadline', () => {
  it('abort during backoff throws aborted/not_sent with the attempts and clears the sleep timer', async () => {
    const p = fakeProvider('twilio', [err('network'), ok('twilio')]);
    const clock = new FakeClock(false);
    const sender = createSmsSender({ resolver: fixedResolver(p), clock, random: () => 0.5 });
    const ac = new AbortController();
    const pending = sender.send('t1', MSG, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 5));
    expect(clock.timers.size).toBe(1); // the backoff sleep
    ac.abort();
    const e = await rejection(pending);
    expect(e).toMatchObject({ code: 'aborted', outcome: 'not_sent', retryable: false });
    expect(e.attempts).toEqual([
      { stage: 'send', provider: 'twilio', code: 'network', outcome: 'not_sent', durationMs: 0 },
    ]);
    expect(p.calls).toHaveLength(1);
    expect(clock.timers.size).toBe(0);
  });

  it('an already-aborted signal sends nothing', async () => {
    const p = fakeProvider('twilio', [ok('twilio')]);
    const { sender } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG, { signal: AbortSignal.abort() }));
    expect(e).toMatchObject({ code: 'aborted', outcome: 'not_sent' });
    expect(p.calls).toHaveLength(0);
  });

  it('abort in flight is reported with the provider outcome and not retried', async () => {
    const ac = new AbortController();
    const p = fakeProvider('twilio', [
      async () => {
        ac.abort();
        throw err('aborted', { outcome: 'unknown' });
      },
    ]);
    const { sender } = make({ resolver: fixedResolver(p) });
    const e = await rejection(sender.send('t1', MSG, { signal: ac.signal }));
    expect(e).toMatchObject({ code: 'aborted', outcome: 'unknown' });
    expect(p.calls).toHaveLength(1);
  });

  it('does not start a backoff that would end past the deadline', async () => {
    const p = fakeProvider('twilio', [err('network'), ok('twilio')]);
    const { sender, events, clock } = make({ resolver: fixedResolver(p), random: () => 0.9 });
    const e = await rejection(sender.send('t1', MSG, { deadlineMs: 150 }));
    expect(e.code).toBe('network');
    expect(e.attempts).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'deadline', delayMs: 180 });
    expect(clock.timers.size).toBe(0); // the deadline timer is cleared
  });

  it('cancels a provider call still running at the deadline: timeout with the provider outcome', async () => {
    const p = fakeProvider('twilio', [
      (signal) =>
        new Promise<SmsSendResult>((_, reject) =>
          signal?.addEventListener('abort', () => reject(err('aborted', { outcome: 'unknown' }))),
        ),
    ]);
    const { sender, clock } = make({ resolver: fixedResolver(p) });
    const t0 = clock.now();
    const e = await rejection(sender.send('t1', MSG, { deadlineMs: 1_000 }));
    expect(e).toMatchObject({ code: 'timeout', outcome: 'unknown', retryable: false, provider: 'twilio' });
    expect(clock.now() - t0).toBe(1_000);
    expect(e.attempts).toEqual([
      { stage: 'send', provider: 'twilio', code: 'timeout', outcome: 'unknown', durationMs: 1_000 },
    ]);
  });

  it('a resolver that hangs is bounded by the deadline (timeout, not_sent)', async () => {
    const { sender } = make({ resolver: { resolve: () => new Promise<never>(() => {}) } });
    const e = await rejection(sender.send('t1', MSG, { deadlineMs: 500 }));
    expect(e).toMatchObject({ code: 'timeout', outcome: 'not_sent' });
    expect(e.attempts).toEqual([{ stage: 'resolve', code: 'timeout', outcome: 'not_sent', durationMs: 500 }]);
  });

  it('leaves no abort listener on a long-lived caller signal (sends, retries, backoffs, failures)', async () => {
    const ac = new AbortController();
    const listeners = () => getEventListeners(ac.signal, 'abort').length;
    let peak = 0;
    const tenant = fakeProvider('twilio', [
      async (signal) => {
        peak = Math.max(peak, listeners());
        expect(getEventListeners(signal!, 'abort').length).toBeLessThanOrEqual(1);
        throw err('network');
      },
      ok('twilio'),
    ]);
    const { sender } = make({ resolver: fixedResolver(tenant), circuitBreaker: false });
    for (let i = 0; i < 30; i++) {
      tenant.calls.length = 0;
      await sender.send('t1', MSG, { signal: ac.signal, deadlineMs: 60_000 });
      expect(listeners()).toBe(0);
    }
    const failing = fakeProvider('twilio', [
      err('provider_unavailable', { outcome: 'not_sent', retryable: true }),
    ]);
    const { sender: s2 } = make({ resolver: fixedResolver(failing), circuitBreaker: false });
    for (let i = 0; i < 15; i++) await rejection(s2.send('t1', MSG, { signal: ac.signal }));
    expect(listeners()).toBe(0);
    expect(peak).toBe(1); // the sender's own forwarder, one at a time
    const sleeps = Array.from({ length: 8 }, () => abortableSleep(1, ac.signal)); // under Node's warning limit of 10
    expect(listeners()).toBe(8);
    await Promise.all(sleeps);
    expect(listeners()).toBe(0);
  });

  it('abortableSleep clears its real timer when aborted', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const ac = new AbortController();
    const s = abortableSleep(60_000, ac.signal);
    expect(timeouts()).toBe(before + 1);
    ac.abort(new Error('stop'));
    await expect(s).rejects.toThrow('stop');
    expect(timeouts()).toBe(before);
  });
});

describe('send: resolver outage', () => {
  const outage = () =>
    new SmsError({
      code: 'provider_unavailable',
      outcome: 'not_sent',
      retryable: true,
      message: 'store down',
    });

  it('retries a store outage and records resolve attempts without a provider', async () => {
    const p = fakeProvider('twilio', [ok('twilio')]);
    let n = 0;
    const resolver = {
      resolve: async (): Promise<SmsProviderResolution> => {
        if (n++ < 2) throw outage();
        return { provider: p, source: 'tenant' };
      },
    };
    const { sender } = make({ resolver });
    const out = await sender.send('t1', MSG);
    expect(out.attempts).toEqual([
      { stage: 'resolve', code: 'provider_unavailable', outcome: 'not_sent', durationMs: 0 },
      { stage: 'resolve', code: 'provider_unavailable', outcome: 'not_sent', durationMs: 0 },
      { stage: 'send', provider: 'twilio', durationMs: 0 },
    ]);
  });

  it('never fails over on a store outage, even with failover on', async () => {
    const platform = fakeProvider('msg91', [ok('msg91')]);
    const { sender } = make({
      resolver: { resolve: async () => Promise.reject(outage()) },
      failover: 'platform-default',
      platformDefault: platform,
    });
    const e = await rejection(sender.send('t1', MSG));
    expect(e).toMatchObject({ code: 'provider_unavailable', outcome: 'not_sent', retryable: true });
    expect(e.attempts).toHaveLength(3);
    expect(e.attempts?.every((a) => a.provider === undefined)).toBe(true);
    expect(platform.calls).toHaveLength(0);
  });

  it('a resolver throwing a foreign error is not_sent and not retried', async () => {
    const { sender } = make({ resolver: { resolve: async () => Promise.reject(new Error('bug')) } });
    const e = await rejection(sender.send('t1', MSG));
    expect(e).toMatchObject({ code: 'unknown', outcome: 'not_sent', retryable: false });
    expect(e.attempts).toHaveLength(1);
  });
});

describe('send: failover to the platform default', () => {
  const setup = (tenantScript: Step[], platformScript: Step[] = [ok('msg91', 'req-1')], extra = {}) => {
    const tenant = fakeProvider('twilio', tenantScript);
    const platform = fakeProvider('msg91', platformScript);
    const m = make({
      resolver: fixedResolver(tenant),
      failover: 'platform-default',
      platformDefault: platform,
      ...extra,
    });
    return { tenant, platform, ...m };
  };

  it('fails over after retries of a not_sent network error are exhausted', async () => {
    const { sender, tenant, platform, events } = setup([err('network')]);
    const out = await sender.send('t1', MSG);
    expect(tenant.calls).toHaveLength(3);
    expect(platform.calls).toHaveLength(1);
    expect(out).toMatchObject({
      provider: 'msg91',
      source: 'platform-default',
      failedOver: true,
      failoverFrom: { provider: 'twilio', code: 'network' },
    });
    expect(out.result.messageId).toBe('req-1');
    expect(out.attempts).toHaveLength(4);
    expect(out.attempts[3]).toEqual({ stage: 'send', provider: 'msg91', durationMs: 0, failover: true });
    expect(events.find((e) => e.type === 'failover')).toMatchObject({
      provider: 'msg91',
      source: 'platform-default',
      code: 'network',
      attempt: 4,
    });
  });

  it.each([
    ['authentication_failed of the tenant config', err('authentication_failed', { httpStatus: 401 }), 1],
    ['rate_limited with a Retry-After over the cap', err('rate_limited', { retryAfterMs: 120_000 }), 1],
    ['rate_limited after retries', err('rate_limited'), 3],
    ['sender_queue_full', err('sender_queue_full'), 3],
  ])('fails over on %s', async (_n, e0, tenantCalls) => {
    const { sender, tenant, platform } = setup([e0]);
    const out = await sender.send('t1', MSG);
    expect(tenant.calls).toHaveLength(tenantCalls);
    expect(platform.calls).toHaveLength(1);
    expect(out.failedOver).toBe(true);
  });

  it.each([
    'invalid_recipient',
    'recipient_opted_out',
    'recipient_unreachable',
    'invalid_message',
    'permission_denied',
    'invalid_sender',
  ] as const)('never fails over on %s', async (code) => {
    const { sender, platform } = setup([err(code)]);
    const e = await rejection(sender.send('t1', MSG));
    expect(e.code).toBe(code);
    expect(platform.calls).toHaveLength(0);
  });

  it.each([
    ['provider_unavailable', err('provider_unavailable')],
    ['timeout', err('timeout')],
    ['network after the request left', err('network', { outcome: 'unknown' })],
  ])('never fails over an unknown outcome: %s', async (_n, e0) => {
    const { sender, platform } = setup([e0]);
    const e = await rejection(sender.send('t1', MSG));
    expect(e.outcome).toBe('unknown');
    expect(platform.calls).toHaveLength(0);
  });

  it('does not fail over when the resolver already chose the platform default', async () => {
    const platform = fakeProvider('msg91', [err('network', { provider: 'msg91' })]);
    const { sender } = make({
      resolver: fixedResolver(platform, 'platform-default'),
      failover: 'platform-default',
      platformDefault: platform,
    });
    const e = await rejection(sender.send('t1', MSG));
    expect(e.attempts).toHaveLength(3);
    expect(platform.calls).toHaveLength(3);
  });

  it('does not fail over when failover is off', async () => {
    const tenant = fakeProvider('twilio', [err('network')]);
    const platform = fakeProvider('msg91', [ok('msg91')]);
    const { sender } = make({ resolver: fixedResolver(tenant), platformDefault: platform });
    await rejection(sender.send('t1', MSG));
    expect(platform.calls).toHaveLength(0);
  });

  it("throws the failover's own error with every attempt when the platform default fails too", async () => {
    const { sender, platform } = setup(
      [err('authentication_failed')],
      [new SmsError({ code: 'provider_unavailable', provider: 'msg91', message: '502' })],
    );
    const e = await rejection(sender.send('t1', MSG));
    expect(platform.calls).toHaveLength(1);
    expect(e).toMatchObject({ code: 'provider_unavailable', outcome: 'unknown', provider: 'msg91' });
    expect(e.attempts?.map((a) => [a.provider, a.code])).toEqual([
      ['twilio', 'authentication_failed'],
      ['msg91', 'provider_unavailable'],
    ]);
  });

  it('does not fail over after the caller aborted', async () => {
    const ac = new AbortController();
    const { sender, platform } = setup([
      async () => {
        ac.abort();
        throw err('aborted', { outcome: 'not_sent' });
      },
    ]);
    const e = await rejection(sender.send('t1', MSG, { signal: ac.signal }));
    expect(e.code).toBe('aborted');
    expect(platform.calls).toHaveLength(0);
  });

  it('lists the failover-able codes', () => {
    expect([...FAILOVER_CODES].sort()).toEqual(
      [
        'authentication_failed',
        'network',
        'provider_unavailable',
        'rate_limited',
        'sender_queue_full',
      ].sort(),
    );
  });
});

describe('send: circuit breaker', () => {
  it('opens after 5 consecutive failures, fails fast without calling, half-opens after the cool-down', async () => {
    const tenant = fakeProvider('twilio', [err('provider_unavailable')]);
    const { sender, events, clock, logs } = make({ resolver: fixedResolver(tenant) });
    for (let i = 0; i < 5; i++) await rejection(sender.send('t1', MSG));
    expect(tenant.calls).toHaveLength(5);
    expect(events.filter((e) => e.type === 'circuit')).toEqual([
      expect.objectContaining({
        type: 'circuit',
        state: 'open',
        previousState: 'closed',
        provider: 'twilio',
        tenantId: 't1',
      }),
    ]);
    expect(logs.find((l) => l.msg === 'sms.circuit')?.level).toBe('warn');

    const e = await rejection(sender.send('t1', MSG));
    expect(tenant.calls).toHaveLength(5); // not called
    expect(e).toMatchObject({ code: 'provider_unavailable', outcome: 'not_sent', retryable: true });
    expect(e.attempts).toEqual([
      {
        stage: 'send',
        provider: 'twilio',
        code: 'provider_unavailable',
        outcome: 'not_sent',
        durationMs: 0,
        circuitOpen: true,
      },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'circuit_open' });

    clock.advance(30_000);
    tenant.send = async () => ok('twilio');
    const out = await sender.send('t1', MSG);
    expect(out.attempts).toHaveLength(1);
    expect(events.filter((x) => x.type === 'circuit').map((x) => x.state)).toEqual([
      'open',
      'half-open',
      'closed',
    ]);
  });

  it('an open tenant circuit fails over to the platform default', async () => {
    const tenant = fakeProvider('twilio', [err('network', { outcome: 'unknown' })]);
    const platform = fakeProvider('msg91', [ok('msg91')]);
    const { sender } = make({
      resolver: fixedResolver(tenant),
      failover: 'platform-default',
      platformDefault: platform,
      circuitBreaker: { failureThreshold: 2, cooldownMs: 1_000 },
    });
    await rejection(sender.send('t1', MSG));
    await rejection(sender.send('t1', MSG));
    const out = await sender.send('t1', MSG);
    expect(tenant.calls).toHaveLength(2);
    expect(out).toMatchObject({ failedOver: true, failoverFrom: { code: 'provider_unavailable' } });
  });

  it('a call started while closed that ends while half-open neither frees the probe slot nor decides the probe', async () => {
    const gate = () => {
      let settle!: (r: SmsSendResult | SmsError) => void;
      const p = new Promise<SmsSendResult>((resolve, reject) => {
        settle = (r) => (r instanceof SmsError ? reject(r) : resolve(r));
      });
      return { step: () => p, settle };
    };
    for (const lateVerdict of [ok('twilio', 'SM-late'), err('network', { outcome: 'unknown' })]) {
      const slow = gate();
      const probe = gate();
      const tenant = fakeProvider('twilio', [
        slow.step, // started while closed, ends while half-open
        err('timeout', { outcome: 'unknown' }), // opens the circuit
        probe.step, // the half-open probe
        ok('twilio', 'SM-after'),
      ]);
      const { sender, clock, events } = make({
        resolver: fixedResolver(tenant),
        retry: false,
        circuitBreaker: { failureThreshold: 1, cooldownMs: 1_000 },
      });
      const late = sender.send('t1', MSG).then(
        (r) => r,
        (e: unknown) => e,
      );
      await rejection(sender.send('t1', MSG));
      clock.advance(1_000);
      const probing = sender.send('t1', MSG);
      await vi.waitFor(() => expect(tenant.calls).toHaveLength(3));
      slow.settle(lateVerdict);
      await late;
      // Still half-open with the probe in flight: the next call fails fast, the provider is not called.
      const e = await rejection(sender.send('t1', MSG));
      expect(e.attempts?.[0]).toMatchObject({ circuitOpen: true });
      expect(tenant.calls).toHaveLength(3);
      expect(events.filter((x) => x.type === 'circuit').map((x) => x.state)).toEqual(['open', 'half-open']);
      probe.settle(ok('twilio', 'SM-probe'));
      await expect(probing).resolves.toMatchObject({ result: { messageId: 'SM-probe' } });
      expect(events.filter((x) => x.type === 'circuit').map((x) => x.state)).toEqual([
        'open',
        'half-open',
        'closed',
      ]);
      await expect(sender.send('t1', MSG)).resolves.toMatchObject({ result: { messageId: 'SM-after' } });
    }
  });

  it('keeps breakers per provider instance and can be disabled', async () => {
    const a = fakeProvider('twilio', [err('timeout')]);
    const b = fakeProvider('twilio', [ok('twilio')]);
    let which = a;
    const { sender } = make({
      resolver: { resolve: async () => ({ provider: which, source: 'tenant' as const }) },
      circuitBreaker: { failureThreshold: 1 },
    });
    await rejection(sender.send('t1', MSG));
    which = b;
    await expect(sender.send('t2', MSG)).resolves.toMatchObject({ provider: 'twilio' });

    const c = fakeProvider('twilio', [err('timeout')]);
    const { sender: s2 } = make({ resolver: fixedResolver(c), circuitBreaker: false });
    for (let i = 0; i < 8; i++) await rejection(s2.send('t1', MSG));
    expect(c.calls).toHaveLength(8);
  });
});

describe('send: events, logger, secrets', () => {
  it('emits structured events to onEvent and the logger without the body or the full number', async () => {
    const tenant = fakeProvider('twilio', [err('network'), ok('twilio')]);
    const { sender, events, logs } = make({ resolver: fixedResolver(tenant) });
    await sender.send('tenant-42', MSG);
    expect(events.map((e) => e.type)).toEqual(['resolve', 'attempt', 'retry', 'attempt']);
    for (const e of events) {
      expect(e.tenantId).toBe('tenant-42');
      expect(e.to).toBe('+1415*****71');
      expect(typeof e.attempt).toBe('number');
    }
    expect(events[1]).toMatchObject({
      type: 'attempt',
      provider: 'twilio',
      source: 'tenant',
      code: 'network',
      outcome: 'not_sent',
      attempt: 1,
    });
    expect(logs.map((l) => l.msg)).toEqual(['sms.resolve', 'sms.attempt', 'sms.retry', 'sms.attempt']);
    const all = JSON.stringify({ events, logs });
    expect(all).not.toContain('SECRET-BODY');
    expect(all).not.toContain('5552671');
  });

  it('a throwing or rejecting onEvent and a throwing logger never break the send', async () => {
    const tenant = fakeProvider('twilio', [ok('twilio')]);
    const boom = () => {
      throw new Error('hook');
    };
    const logger: Logger = { debug: boom, info: boom, warn: boom, error: boom };
    const s1 = createSmsSender({ resolver: fixedResolver(tenant), onEvent: boom, logger });
    await expect(s1.send('t1', MSG)).resolves.toMatchObject({ provider: 'twilio' });
    const s2 = createSmsSender({
      resolver: fixedResolver(tenant),
      onEvent: (() => Promise.reject(new Error('x'))) as never,
    });
    await expect(s2.send('t1', MSG)).resolves.toMatchObject({ provider: 'twilio' });
  });

  it('masks phone numbers', () => {
    expect(maskPhone('+14155552671')).toBe('+1415*****71');
    expect(maskPhone('+91 98765-43210')).toBe('+9198******10');
    expect(maskPhone('+123')).toBe('****');
    expect(maskPhone(42)).toBeUndefined();
  });
});

describe('send: OpenTelemetry', () => {
  afterEach(() => trace.disable());

  it('records an sms.send span when a tracer provider is registered', async () => {
    const spans: {
      name: string;
      attrs: Record<string, unknown>;
      events: string[];
      status?: number;
      ended: boolean;
    }[] = [];
    const tracer = {
      startSpan(name: string, opts?: { attributes?: Record<string, unknown> }) {
        const s = {
          name,
          attrs: { ...(opts?.attributes ?? {}) },
          events: [] as string[],
          status: undefined as number | undefined,
          ended: false,
        };
        spans.push(s);
        return {
          setAttribute: (k: string, v: unknown) => {
            s.attrs[k] = v;
          },
          addEvent: (n: string) => {
            s.events.push(n);
          },
          setStatus: (st: { code: number }) => {
            s.status = st.code;
          },
          end: () => {
            s.ended = true;
          },
        };
      },
    };
    trace.setGlobalTracerProvider({ getTracer: () => tracer } as never);
    const tenant = fakeProvider('twilio', [err('invalid_recipient')]);
    const { sender } = make({ resolver: fixedResolver(tenant) });
    await rejection(sender.send('t1', MSG));
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: 'sms.send',
      ended: true,
      status: 2,
      attrs: {
        'sms.tenant_id': 't1',
        'sms.error.code': 'invalid_recipient',
        'sms.attempts': 1,
        'sms.source': 'tenant',
      },
    });
    expect(spans[0]?.events).toEqual(['sms.resolve', 'sms.attempt']);
  });

  it('works without a registered tracer (no-op)', async () => {
    const tenant = fakeProvider('twilio', [ok('twilio')]);
    const { sender } = make({ resolver: fixedResolver(tenant) });
    await expect(sender.send('t1', MSG)).resolves.toBeTruthy();
  });
});
