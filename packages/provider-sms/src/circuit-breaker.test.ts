import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  type CircuitState,
  circuitVerdict,
  createCircuitBreakerRegistry,
  DEFAULT_CIRCUIT_BREAKER,
} from './circuit-breaker.js';
import { SmsError } from './errors.js';
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
      expect(b.tryAcquire()).toBe(true);
      b.record('failure');
    }
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    b.record('failure');
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    advance(29_999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.tryAcquire()).toBe(true);
    expect(b.state).toBe('half-open');
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const { b } = setup({ failureThreshold: 3 });
    b.record('failure');
    b.record('failure');
    b.record('success');
    b.record('failure');
    b.record('failure');
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(2);
    b.record('neutral');
    b.record('failure');
    expect(b.state).toBe('open');
  });

  it('lets exactly one probe through when half-open; success closes it', () => {
    const { b, changes, advance } = setup({ failureThreshold: 1, cooldownMs: 100 });
    b.tryAcquire();
    b.record('failure');
    advance(100);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
    b.record('success');
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('re-opens for a full cool-down when the probe fails; a neutral probe frees the slot', () => {
    const { b, advance } = setup({ failureThreshold: 1, cooldownMs: 100 });
    b.tryAcquire();
    b.record('failure');
    advance(100);
    expect(b.tryAcquire()).toBe(true);
    b.record('neutral');
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    b.record('failure');
    expect(b.state).toBe('open');
    expect(b.remainingCooldownMs()).toBe(100);
    advance(50);
    expect(b.tryAcquire()).toBe(false);
  });

  it('fails fast with provider_unavailable, not_sent, retryable', () => {
    const { b } = setup({ failureThreshold: 1 });
    b.record('failure');
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
    reg.get(a).record('failure');
    expect(reg.get(a).state).toBe('open');
    expect(reg.get(b).state).toBe('closed');
    expect(changes).toEqual(['twilio:open']);
  });
});
