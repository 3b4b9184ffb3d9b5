import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  type CircuitState,
  type CircuitVerdict,
  circuitVerdict,
  createCircuitBreakerRegistry,
  DEFAULT_CIRCUIT_BREAKER,
} from './circuit-breaker.js';
import { isSmsError, SmsError } from './errors.js';
import type { SmsProvider } from './types.js';

const provider = (name: 'twilio' | 'msg91' = 'twilio'): SmsProvider => ({
  name,
  send: async () => ({ messageId: 'x', provider: name, status: 'queued', segments: 1, encoding: 'GSM-7' }),
  verify: async () => {},
});

function setup(opts = {}) {
  let t = 0;
  const changes: [CircuitState, CircuitState][] = [];
  const b = new CircuitBreaker(
    opts,
    () => t,
    (from, to) => changes.push([from, to]),
  );
  return { b, changes, advance: (ms: number) => (t += ms) };
}

/** One call through the breaker: it must be let through; its verdict is recorded with its own permit. */
function call(b: CircuitBreaker, verdict: CircuitVerdict): void {
  const permit = b.tryAcquire();
  expect(permit).toBeDefined();
  b.record(permit!, verdict);
}

describe('circuitVerdict', () => {
  it('counts provider_unavailable, network and timeout as failures, whatever the outcome', () => {
    for (const code of ['provider_unavailable', 'network', 'timeout'] as const) {
      expect(circuitVerdict(new SmsError({ code, message: 'x' }))).toBe('failure');
      expect(circuitVerdict(new SmsError({ code, message: 'x', outcome: 'not_sent' }))).toBe('failure');
    }
  });
  it('treats an HTTP answer from the provider as success and aborts/local checks as neutral', () => {
    expect(circuitVerdict(new SmsError({ code: 'invalid_recipient', message: 'x', httpStatus: 400 }))).toBe(
      'success',
    );
    expect(circuitVerdict(new SmsError({ code: 'rate_limited', message: 'x', httpStatus: 429 }))).toBe(
      'success',
    );
    expect(circuitVerdict(new SmsError({ code: 'invalid_recipient', message: 'x' }))).toBe('neutral');
    expect(circuitVerdict(new SmsError({ code: 'aborted', message: 'x' }))).toBe('neutral');
    expect(circuitVerdict(new Error('boom'))).toBe('neutral');
  });
});

describe('CircuitBreaker', () => {
  it('defaults to 5 failures and a 30 s cool-down', () => {
    expect(DEFAULT_CIRCUIT_BREAKER).toEqual({ failureThreshold: 5, cooldownMs: 30_000 });
    const { b, advance } = setup();
    for (let i = 0; i < 4; i++) {
      const permit = b.tryAcquire();
      expect(permit).toMatchObject({ probe: false });
      b.record(permit!, 'failure');
    }
    expect(b.state).toBe('closed');
    const fifth = b.tryAcquire();
    expect(fifth).toMatchObject({ probe: false });
    b.record(fifth!, 'failure');
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBeUndefined();
    advance(29_999);
    expect(b.tryAcquire()).toBeUndefined();
    advance(1);
    expect(b.tryAcquire()).toMatchObject({ probe: true });
    expect(b.state).toBe('half-open');
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const { b } = setup({ failureThreshold: 3 });
    call(b, 'failure');
    call(b, 'failure');
    call(b, 'success');
    call(b, 'failure');
    call(b, 'failure');
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(2);
    call(b, 'neutral');
    call(b, 'failure');
    expect(b.state).toBe('open');
  });

  it('lets exactly one probe through when half-open; success closes it', () => {
    const { b, changes, advance } = setup({ failureThreshold: 1, cooldownMs: 100 });
    call(b, 'failure');
    advance(100);
    const probe = b.tryAcquire();
    expect(probe).toMatchObject({ probe: true });
    expect(b.tryAcquire()).toBeUndefined();
    expect(b.tryAcquire()).toBeUndefined();
    b.record(probe!, 'success');
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toMatchObject({ probe: false });
    expect(b.tryAcquire()).toMatchObject({ probe: false });
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('re-opens for a full cool-down when the probe fails; a neutral probe frees the slot', () => {
    const { b, advance } = setup({ failureThreshold: 1, cooldownMs: 100 });
    call(b, 'failure');
    advance(100);
    const first = b.tryAcquire();
    expect(first).toMatchObject({ probe: true });
    b.record(first!, 'neutral');
    expect(b.state).toBe('half-open');
    const second = b.tryAcquire();
    expect(second).toMatchObject({ probe: true });
    b.record(second!, 'failure');
    expect(b.state).toBe('open');
    expect(b.remainingCooldownMs()).toBe(100);
    advance(50);
    expect(b.tryAcquire()).toBeUndefined();
  });

  it('ignores a call started while closed that ends while half-open: one probe, and only it decides', () => {
    for (const late of ['success', 'failure', 'neutral'] as const) {
      const { b, changes, advance } = setup({ failureThreshold: 1, cooldownMs: 100 });
      const slow = b.tryAcquire()!;
      call(b, 'failure');
      advance(100);
      const probe = b.tryAcquire();
      expect(probe).toMatchObject({ probe: true });
      b.record(slow, late);
      expect(b.state).toBe('half-open');
      expect(b.tryAcquire()).toBeUndefined(); // the slot stays taken by the probe
      b.record(probe!, 'success');
      expect(b.state).toBe('closed');
      expect(changes).toEqual([
        ['closed', 'open'],
        ['open', 'half-open'],
        ['half-open', 'closed'],
      ]);
    }
  });

  it('does not let results from before an opening count in the next closed period, nor re-open it', () => {
    const { b, advance } = setup({ failureThreshold: 2, cooldownMs: 100 });
    const stale = [b.tryAcquire()!, b.tryAcquire()!, b.tryAcquire()!];
    call(b, 'failure');
    call(b, 'failure');
    expect(b.state).toBe('open');
    b.record(stale[0]!, 'failure'); // finishing while open: no new cool-down, no count
    expect(b.remainingCooldownMs()).toBe(100);
    advance(100);
    const probe = b.tryAcquire()!;
    b.record(probe, 'success');
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
    b.record(stale[1]!, 'failure');
    b.record(stale[2]!, 'failure');
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
    call(b, 'failure');
    expect(b.consecutiveFailures).toBe(1);
  });

  it('ignores a probe permit reported twice and a neutral probe’s late second report', () => {
    const { b, advance } = setup({ failureThreshold: 1, cooldownMs: 100 });
    call(b, 'failure');
    advance(100);
    const first = b.tryAcquire()!;
    b.record(first, 'neutral');
    const second = b.tryAcquire()!;
    expect(second).toMatchObject({ probe: true });
    b.record(first, 'failure'); // the first probe already reported: it must not decide for the second
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBeUndefined();
    b.record(second, 'success');
    expect(b.state).toBe('closed');
  });

  it('fails fast with provider_unavailable, not_sent, retryable', () => {
    const { b } = setup({ failureThreshold: 1 });
    call(b, 'failure');
    const err = b.openError(provider('msg91'));
    expect(err).toMatchObject({
      code: 'provider_unavailable',
      outcome: 'not_sent',
      retryable: true,
      provider: 'msg91',
    });
  });
});

describe('createCircuitBreakerRegistry', () => {
  it('keeps one breaker per provider instance', () => {
    const changes: string[] = [];
    const reg = createCircuitBreakerRegistry(
      { failureThreshold: 1 },
      () => 0,
      (p, _f, to) => changes.push(`${p.name}:${to}`),
    );
    const a = provider('twilio');
    const b = provider('twilio');
    expect(reg.get(a)).toBe(reg.get(a));
    expect(reg.get(a)).not.toBe(reg.get(b));
    call(reg.get(a), 'failure');
    expect(reg.get(a).state).toBe('open');
    expect(reg.get(b).state).toBe('closed');
    expect(changes).toEqual(['twilio:open']);
  });
});

describe('cooldownMs is checked at construction', () => {
  it.each([2 ** 31, -1, Number.NaN, Infinity])(
    '%s → invalid_config naming circuitBreaker.cooldownMs',
    (cooldownMs) => {
      for (const make of [
        () => new CircuitBreaker({ cooldownMs }),
        () => createCircuitBreakerRegistry({ cooldownMs }),
      ]) {
        let err: unknown;
        try {
          make();
        } catch (e) {
          err = e;
        }
        expect(isSmsError(err) && err.code).toBe('invalid_config');
        expect((err as Error).message).toContain('circuitBreaker.cooldownMs');
      }
    },
  );
});
