import { describe, expect, it } from 'vitest';
import { isSmsError, SmsError } from '../errors.js';
import { FakeClock } from '../fake-clock.js';
import { createSmsSender, type SmsSenderEvent, type SmsSenderOptions } from '../sender.js';
import type { SmsMessage, SmsProvider, SmsProviderName } from '../types.js';
import { createSendPacing } from './send-pacing.js';
import type { SmsPacingSender } from './sender-key.js';

const TOLL_FREE: SmsPacingSender = {
  key: 'twilio:AC00000000000000000000000000000001:+18005550100',
  kind: 'toll_free',
};
const LONG_CODE: SmsPacingSender = {
  key: 'twilio:AC00000000000000000000000000000001:+14155550100',
  kind: 'us_ca_long_code',
};
const MSG91: SmsPacingSender = { key: 'msg91:0123456789abcdef', kind: 'msg91' };

/** A provider that records when (on the clock) it was called; it fails with `fail` while that returns an error. */
function pacedProvider(
  name: SmsProviderName,
  pacingSender: SmsPacingSender,
  clock: FakeClock,
  fail?: () => SmsError | undefined,
) {
  const sentAt: number[] = [];
  const provider: SmsProvider & { pacingSender: SmsPacingSender; sentAt: number[] } = {
    name,
    pacingSender,
    sentAt,
    async send() {
      const e = fail?.();
      if (e) throw e;
      sentAt.push(clock.now());
      return {
        messageId: `M${sentAt.length}`,
        provider: name,
        status: 'queued',
        segments: 1,
        encoding: 'GSM-7',
      };
    },
    async verify() {},
  };
  return provider;
}

function setup(sender: SmsPacingSender, opts: Partial<SmsSenderOptions> = {}, auto = true) {
  const clock = new FakeClock(auto);
  const provider = pacedProvider('twilio', sender, clock);
  const events: SmsSenderEvent[] = [];
  const sms = createSmsSender({
    resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
    clock,
    retry: false,
    circuitBreaker: false,
    onEvent: (e) => events.push(e),
    pacing: { jitterToleranceMs: 0 },
    ...opts,
  });
  return { clock, provider, events, sms, t0: clock.t };
}

const msg = (body = 'Your code is 4821', extra: Partial<SmsMessage> = {}): SmsMessage => ({
  to: '+14155552671',
  body,
  ...extra,
});

const settle = <T>(p: Promise<T>) =>
  p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e: e as SmsError }),
  );

describe('createSmsSender({ pacing }) in one process', () => {
  it('spaces slots by segments / rate (toll-free: 3 segments/s)', async () => {
    const { sms, provider, t0, events } = setup(TOLL_FREE);
    await Promise.all([1, 2, 3, 4].map(() => sms.send('t1', msg())));
    // Slots are 333.334 ms (a slot is rounded up to a whole µs, a wait up to a whole ms: never faster than the rate).
    expect(provider.sentAt.map((t) => t - t0)).toEqual([0, 334, 667, 1001]);
    expect(events.filter((e) => e.type === 'pacing').map((e) => [e.pacing, e.delayMs, e.sender])).toEqual([
      ['wait', 334, TOLL_FREE.key],
      ['wait', 667, TOLL_FREE.key],
      ['wait', 1001, TOLL_FREE.key],
    ]);
  });

  it('counts segments: a 3-segment message at 1 segment/s gets a slot at once and holds the sender 3 s', async () => {
    const { sms, provider, t0 } = setup(LONG_CODE);
    const long = 'x'.repeat(400); // GSM-7: ceil(400 / 153) = 3 segments, more than one second's budget
    await Promise.all([sms.send('t1', msg(long)), sms.send('t1', msg()), sms.send('t1', msg())]);
    expect(provider.sentAt.map((t) => t - t0)).toEqual([0, 3000, 4000]);
  });

  it('refuses a burst past the validity in order, sends the rest, and the refused ones push nothing back', async () => {
    const { sms, provider, t0, clock } = setup(LONG_CODE, {}, false);
    const burst = [0, 1, 2, 3, 4, 5].map(() => settle(sms.send('t1', msg('otp', { validityPeriodSec: 3 }))));
    await new Promise((r) => setImmediate(r));
    const snapshot = await sms.pacing?.snapshot();
    expect(snapshot).toEqual([
      { key: LONG_CODE.key, kind: 'us_ca_long_code', segmentsPerSecond: 1, queueDelayMs: 4000 },
    ]);
    // Slots at 0, 1, 2, 3 s fit a 3 s validity; the 5th and 6th would start at 4 s and 5 s.
    const later = settle(sms.send('t1', msg('no validity')));
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(1000);
    }
    const results = await Promise.all(burst);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false, false]);
    const refused = results.slice(4).map((r) => (r.ok ? undefined : r.e));
    for (const e of refused) {
      expect(isSmsError(e)).toBe(true);
      // Both saw the slot at 4 s (a refused message takes none): 1 s past the validity.
      expect(e).toMatchObject({
        code: 'sender_queue_full',
        outcome: 'not_sent',
        retryable: true,
        retryAfterMs: 1000,
      });
      expect(e?.message).toContain("the message's validity (3 s)");
      expect(e?.attempts).toEqual([expect.objectContaining({ code: 'sender_queue_full', paced: true })]);
    }
    expect(await later).toMatchObject({ ok: true });
    expect(provider.sentAt.map((t) => t - t0)).toEqual([0, 1000, 2000, 3000, 4000]); // `later` took the 4 s slot
  });

  it('refuses a slot later than maxQueueDelayMs before calling the provider', async () => {
    const { sms, provider, events } = setup(LONG_CODE, {
      pacing: { maxQueueDelayMs: 1500, jitterToleranceMs: 0 },
    });
    const r = await Promise.all([1, 2, 3].map(() => settle(sms.send('t1', msg()))));
    expect(r.map((x) => x.ok)).toEqual([true, true, false]);
    expect(r[2]).toMatchObject({ ok: false, e: { code: 'sender_queue_full', retryAfterMs: 500 } });
    expect(provider.sentAt).toHaveLength(2);
    expect(events.find((e) => e.pacing === 'refused')).toMatchObject({
      type: 'pacing',
      delayMs: 2000,
      retryAfterMs: 500,
    });
  });

  it('an abort while waiting rejects aborted/not_sent without calling the provider and gives the slot back', async () => {
    const { sms, provider, clock, events } = setup(LONG_CODE, {}, false);
    const first = sms.send('t1', msg());
    const ctl = new AbortController();
    const second = settle(sms.send('t1', msg(), { signal: ctl.signal }));
    await new Promise((r) => setImmediate(r));
    expect(clock.timers.size).toBe(1); // the second send's wait
    ctl.abort();
    expect(await second).toMatchObject({ ok: false, e: { code: 'aborted', outcome: 'not_sent' } });
    await first;
    expect(provider.sentAt).toHaveLength(1);
    expect(clock.timers.size).toBe(0);
    // The aborted message's slot (1 s) was the latest: the next message gets it instead of the one after.
    const third = sms.send('t1', msg());
    await new Promise((r) => setImmediate(r));
    expect(events.filter((e) => e.pacing === 'wait').map((e) => e.delayMs)).toEqual([1000, 1000]);
    clock.advance(1000);
    await third;
    expect(provider.sentAt).toHaveLength(2);
  });

  it('the send deadline bounds the wait: a slot past it is refused at once', async () => {
    const { sms, provider } = setup(LONG_CODE);
    const r = await Promise.all([1, 2].map(() => settle(sms.send('t1', msg(), { deadlineMs: 500 }))));
    expect(r[1]).toMatchObject({ ok: false, e: { code: 'sender_queue_full', retryAfterMs: 500 } });
    expect((r[1] as { e: SmsError }).e.message).toContain('the send deadline');
    expect(provider.sentAt).toHaveLength(1);
  });

  it('a refused tenant message is not retried and fails over to the platform MSG91 sender, paced there', async () => {
    const clock = new FakeClock(true);
    const tenant = pacedProvider('twilio', LONG_CODE, clock);
    const platform = pacedProvider('msg91', MSG91, clock);
    const events: SmsSenderEvent[] = [];
    const sms = createSmsSender({
      resolver: { resolve: async () => ({ provider: tenant, source: 'tenant' }) },
      platformDefault: platform,
      failover: 'platform-default',
      clock,
      onEvent: (e) => events.push(e),
      pacing: { maxQueueDelayMs: 0 },
    });
    const [a, b] = await Promise.all([sms.send('t1', msg()), sms.send('t1', msg())]);
    expect(a).toMatchObject({ provider: 'twilio', failedOver: false });
    expect(b).toMatchObject({
      provider: 'msg91',
      failedOver: true,
      failoverFrom: { code: 'sender_queue_full' },
    });
    expect(b.attempts).toEqual([
      expect.objectContaining({ provider: 'twilio', code: 'sender_queue_full', paced: true }),
      expect.objectContaining({ provider: 'msg91', failover: true }),
    ]);
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(events.find((e) => e.type === 'give_up')).toMatchObject({ reason: 'sender_queue_full' });
    const keys = (await sms.pacing?.snapshot())?.map((s) => [s.key, s.segmentsPerSecond]);
    expect(keys).toEqual([
      [LONG_CODE.key, 1],
      [MSG91.key, 50],
    ]);
  });

  it('a retry reserves a new slot; a not-sent attempt gives its slot back, a maybe-sent one keeps it', async () => {
    const clock = new FakeClock(true);
    const failures: SmsError[] = [
      new SmsError({ code: 'network', outcome: 'not_sent', retryable: true, message: 'refused' }),
      new SmsError({ code: 'timeout', outcome: 'unknown', retryable: false, message: 'timed out' }),
    ];
    let calls = 0;
    const provider = pacedProvider('twilio', LONG_CODE, clock, () =>
      ++calls === 1 || calls === 3 ? failures.shift() : undefined,
    );
    const sms = createSmsSender({
      resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
      clock,
      random: () => 0, // no backoff
      pacing: { jitterToleranceMs: 0 },
    });
    const t0 = clock.now();
    const a = await sms.send('t1', msg()); // attempt 1 (slot 0) not sent, given back; the retry takes slot 0 again
    expect(a.attempts).toHaveLength(2);
    await expect(sms.send('t1', msg())).rejects.toMatchObject({ code: 'timeout' }); // slot 1 s, kept
    await sms.send('t1', msg());
    expect(provider.sentAt.map((t) => t - t0)).toEqual([0, 2000]);
  });

  it('per-tenant overrides and rates by kind set the rate', async () => {
    const { sms, provider, t0 } = setup(LONG_CODE, {
      pacing: {
        jitterToleranceMs: 0,
        rates: { us_ca_long_code: 2 },
        overrides: (tenantId) => (tenantId === 'fast' ? 10 : undefined),
      },
    });
    await Promise.all([sms.send('slow', msg()), sms.send('slow', msg())]);
    expect(provider.sentAt.map((t) => t - t0)).toEqual([0, 500]);
    const t1 = provider.sentAt[1] as number;
    await Promise.all([sms.send('fast', msg()), sms.send('fast', msg())]);
    expect(provider.sentAt.slice(2).map((t) => t - t1)).toEqual([500, 600]);
  });

  it('an override that throws or returns a bad rate fails the send as invalid_config, not_sent, nothing sent', async () => {
    const { sms, provider } = setup(LONG_CODE, {
      pacing: {
        overrides: (tenantId) => {
          if (tenantId === 'boom') throw new Error('config lookup failed');
          return -1;
        },
      },
    });
    await expect(sms.send('boom', msg())).rejects.toMatchObject({
      code: 'invalid_config',
      outcome: 'not_sent',
    });
    await expect(sms.send('t1', msg())).rejects.toThrow('pacing.overrides() result');
    expect(provider.sentAt).toEqual([]);
  });

  it("a pacing store failure is not the provider's: it never opens the circuit", async () => {
    const clock = new FakeClock(true);
    const provider = pacedProvider('twilio', LONG_CODE, clock);
    const redis = { evalsha: async () => Promise.reject(new Error('ECONNREFUSED')), eval: async () => [] };
    const events: SmsSenderEvent[] = [];
    const sms = createSmsSender({
      resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
      clock,
      retry: false,
      circuitBreaker: { failureThreshold: 1 },
      onEvent: (e) => events.push(e),
      pacing: { redis },
    });
    for (let i = 0; i < 3; i++)
      await expect(sms.send('t1', msg())).rejects.toMatchObject({
        code: 'provider_unavailable',
        outcome: 'not_sent',
      });
    expect(events.filter((e) => e.type === 'circuit')).toEqual([]);
    expect(provider.sentAt).toEqual([]);
  });

  it('a message whose validity passed (e.g. during retries) is refused even when a slot is free', async () => {
    const clock = new FakeClock(true);
    const provider = pacedProvider(
      'twilio',
      LONG_CODE,
      clock,
      () =>
        new SmsError({
          code: 'rate_limited',
          outcome: 'not_sent',
          retryable: true,
          retryAfterMs: 2000,
          message: '429',
        }),
    );
    const sms = createSmsSender({
      resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
      clock,
      pacing: {},
    });
    const e = await sms.send('t1', msg('otp', { validityPeriodSec: 1 })).catch((x: SmsError) => x);
    expect(e).toMatchObject({ code: 'sender_queue_full', outcome: 'not_sent' });
    expect(e.attempts?.map((a) => a.code)).toEqual(['rate_limited', 'sender_queue_full']);
  });

  it('a scheduled message (sendAt) takes no slot of the current queue', async () => {
    const pacing = createSendPacing({}, () => 0);
    const ctx = { tenantId: 't1', startedAt: 0, sleep: async () => {}, onPacing: () => {} };
    const message = { ...msg(), sendAt: new Date(3_600_000) };
    const provider = pacedProvider('twilio', LONG_CODE, new FakeClock(true));
    expect(await pacing.pace(provider, { ...ctx, message })).toBeUndefined();
    expect(await pacing.snapshot()).toEqual([]);
  });

  it('by default widens each slot by 25 ms per second of traffic (delivery jitter tolerance)', async () => {
    const { sms, provider, t0 } = setup(LONG_CODE, { pacing: {} });
    await Promise.all([1, 2, 3].map(() => sms.send('t1', msg())));
    expect(provider.sentAt.map((t) => t - t0)).toEqual([0, 1025, 2050]);
  });

  it('is off unless given, and a provider without a pacingSender is not paced', async () => {
    const { sms, provider } = setup(LONG_CODE, { pacing: undefined });
    expect(sms.pacing).toBeUndefined();
    await Promise.all([1, 2, 3].map(() => sms.send('t1', msg())));
    expect(new Set(provider.sentAt).size).toBe(1);
  });

  it.each([
    [{ maxQueueDelayMs: -1 }, 'pacing.maxQueueDelayMs'],
    [{ maxQueueDelayMs: 2 ** 31 }, 'pacing.maxQueueDelayMs'],
    [{ rates: { long_code: 1 } }, 'pacing.rates.long_code'],
    [{ rates: { toll_free: 0 } }, 'pacing.rates.toll_free'],
    [{ rates: { msg91: Number.NaN } }, 'pacing.rates.msg91'],
    [{ overrides: 5 }, 'pacing.overrides'],
    [{ jitterToleranceMs: 1001 }, 'pacing.jitterToleranceMs'],
    [{ jitterToleranceMs: -1 }, 'pacing.jitterToleranceMs'],
    [{ redis: {} }, 'pacing.redis'],
    ['fast', 'pacing'],
  ])('rejects bad options at construction: %j → invalid_config naming %s', (pacing, option) => {
    const make = () =>
      createSmsSender({ resolver: { resolve: async () => ({}) as never }, pacing: pacing as never });
    expect(make).toThrowError(expect.objectContaining({ code: 'invalid_config' }));
    expect(make).toThrowError(option);
  });
});
