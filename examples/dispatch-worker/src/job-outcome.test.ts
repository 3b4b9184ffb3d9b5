// job-outcome.mjs: every ledger state, every error code with and without a ledger state, and the backoff.
import { readFileSync } from 'node:fs';
import { SMS_ERROR_CODES, SmsError, type SmsErrorCode } from '@leadmetrics/provider-sms';
import { describe, expect, it } from 'vitest';
import {
  BASE_BACKOFF_MS,
  backoffDelayMs,
  finalUnknown,
  giveUpAfterMs,
  jobOutcome,
  MAX_BACKOFF_MS,
  MIN_RETRY_DELAY_MS,
  unknownPastDeadline,
} from './job-outcome.mjs';
import { DEFAULT_JOB_OPTIONS } from './producer.mjs';

const opts = { unknownRecheckMs: 10_000, settledRecheckMs: 60_000, leaseMs: 30_000 };
const err = (code: SmsErrorCode, extra: Partial<ConstructorParameters<typeof SmsError>[0]> = {}) =>
  new SmsError({ code, message: `boom ${code}`, ...extra });
const outcome = (error: unknown) => jobOutcome({ error }, opts);

describe('jobOutcome', () => {
  it('accepted → complete, with whether a provider call was made', () => {
    const result = {
      messageId: 'SM1',
      provider: 'twilio' as const,
      status: 'queued' as const,
      segments: 1,
      encoding: 'GSM-7' as const,
    };
    for (const deduplicated of [false, true]) {
      expect(jobOutcome({ result: { state: 'accepted', result, attempts: [], deduplicated } }, opts)).toEqual(
        { kind: 'complete', deduplicated, provider: 'twilio', messageId: 'SM1' },
      );
    }
  });

  it('rejected → fail (no retry), whatever the code', () => {
    for (const code of SMS_ERROR_CODES)
      expect(outcome(err(code, { ledgerState: 'rejected' }))).toEqual({
        kind: 'fail',
        state: 'rejected',
        code,
      });
  });

  it('deferred → retry with backoff, whatever the code', () => {
    for (const code of SMS_ERROR_CODES.filter((c) => c !== 'idempotency_conflict'))
      expect(outcome(err(code, { ledgerState: 'deferred', retryAfterMs: 5 }))).toEqual({
        kind: 'retry',
        state: 'deferred',
        code,
      });
  });

  it('idempotency_conflict → fail in every ledger state (a caller bug: another message under the same id)', () => {
    for (const ledgerState of ['accepted', 'rejected', 'deferred', 'unknown', 'claimed', undefined] as const)
      expect(outcome(err('idempotency_conflict', ledgerState ? { ledgerState } : {})).kind).toBe('fail');
  });

  it('unknown before its settle deadline → delay by retryAfterMs, capped by unknownRecheckMs, at least the minimum', () => {
    const unknown = (retryAfterMs: number) =>
      outcome(err('timeout', { ledgerState: 'unknown', retryAfterMs }));
    expect(unknown(4_000)).toEqual({ kind: 'delay', state: 'unknown', code: 'timeout', delayMs: 4_000 });
    expect(unknown(130_000)).toMatchObject({ kind: 'delay', delayMs: 10_000 });
    expect(unknown(12.2)).toMatchObject({ kind: 'delay', delayMs: MIN_RETRY_DELAY_MS });
  });

  it('unknown past its settle deadline (no retryAfterMs, or 0) → delay by settledRecheckMs', () => {
    for (const extra of [{}, { retryAfterMs: 0 }])
      expect(outcome(err('unknown', { ledgerState: 'unknown', ...extra }))).toEqual({
        kind: 'delay',
        state: 'unknown',
        code: 'unknown',
        delayMs: 60_000,
      });
    const quick = { ...opts, settledRecheckMs: 1 };
    expect(jobOutcome({ error: err('unknown', { ledgerState: 'unknown' }) }, quick)).toMatchObject({
      delayMs: MIN_RETRY_DELAY_MS,
    });
  });

  it('in_progress / a lost claim (claimed) → delay by the lease left, else the whole lease', () => {
    expect(outcome(err('in_progress', { ledgerState: 'claimed', retryAfterMs: 1_234.5 }))).toEqual({
      kind: 'delay',
      state: 'claimed',
      code: 'in_progress',
      delayMs: 1_235,
    });
    expect(outcome(err('in_progress', { ledgerState: 'claimed', retryable: false }))).toMatchObject({
      kind: 'delay',
      delayMs: 30_000,
    });
    // The failure could not be written: the claim stays until its lease ends.
    expect(outcome(err('network', { ledgerState: 'claimed', retryAfterMs: 30_000 }))).toMatchObject({
      kind: 'delay',
      delayMs: 30_000,
    });
  });

  it('nothing claimed: bad job data fails, every other code is retried with backoff', () => {
    const bad = [
      'invalid_config',
      'invalid_message',
      'invalid_recipient',
      'invalid_template',
      'idempotency_conflict',
    ];
    for (const code of SMS_ERROR_CODES) {
      const o = outcome(err(code));
      expect(o, code).toEqual({ kind: bad.includes(code) ? 'fail' : 'retry', state: 'none', code });
    }
  });

  it('anything that is not an SmsError is retried with backoff (bounded by attempts)', () => {
    for (const thrown of [new TypeError('x'), 'a string', undefined, { code: 'invalid_config' }])
      expect(outcome(thrown)).toEqual({ kind: 'retry', state: 'none', code: 'unexpected' });
  });
});

describe('finalUnknown', () => {
  it('ends a job whose row is unknown past its deadline with no lookup (MSG91); anything else is unchanged', () => {
    const past = { error: err('timeout', { ledgerState: 'unknown' }) };
    const ahead = { error: err('timeout', { ledgerState: 'unknown', retryAfterMs: 4_000 }) };
    expect(unknownPastDeadline(past)).toBe(true);
    expect(unknownPastDeadline(ahead)).toBe(false);
    expect(unknownPastDeadline({ error: err('timeout', { ledgerState: 'deferred' }) })).toBe(false);
    expect(unknownPastDeadline({ error: new Error('x') })).toBe(false);
    const delayed = jobOutcome(past, opts);
    expect(finalUnknown(delayed, 'no_lookup')).toEqual({
      kind: 'unknown-final',
      state: 'unknown',
      code: 'timeout',
      reason: 'no_lookup',
    });
    for (const reason of ['lookup_failed', 'ambiguous_match', undefined])
      expect(finalUnknown(delayed, reason)).toBe(delayed); // Twilio's list may still decide: asked again
    const retry = outcome(err('network', { ledgerState: 'deferred' }));
    expect(finalUnknown(retry, 'no_lookup')).toBe(retry);
  });
});

describe('backoffDelayMs', () => {
  it('takes the error’s retryAfterMs (Retry-After, pacing) as a floor under the exponential, capped at 60 s', () => {
    const low = () => 0;
    expect(backoffDelayMs(1, err('rate_limited', { retryAfterMs: 3_000 }), low)).toBe(3_000);
    expect(backoffDelayMs(1, err('rate_limited', { retryAfterMs: 10 }), low)).toBe(BASE_BACKOFF_MS / 2);
    expect(backoffDelayMs(1, err('rate_limited', { retryAfterMs: 3_600_000 }), low)).toBe(MAX_BACKOFF_MS);
    // Retry-After: 1 late in the retries: the exponential (here 30–60 s, capped) wins, not the 1 s.
    expect(backoffDelayMs(7, err('rate_limited', { retryAfterMs: 1_000 }), low)).toBe(30_000);
    expect(backoffDelayMs(7, err('rate_limited', { retryAfterMs: 1_000 }), () => 1)).toBe(MAX_BACKOFF_MS);
  });

  it('a sustained 429 with Retry-After: 1 waits as long as any outage before the 20 attempts are used up', () => {
    const retryAfter1s = err('rate_limited', { retryAfterMs: 1_000 });
    let waited = 0;
    for (let made = 1; made < DEFAULT_JOB_OPTIONS.attempts!; made++)
      waited += backoffDelayMs(made, retryAfter1s, () => 0);
    expect(waited).toBeGreaterThanOrEqual(giveUpAfterMs(DEFAULT_JOB_OPTIONS.attempts!).minMs);
    expect(waited).toBeGreaterThan(7 * 60_000); // not the ~19 s of Retry-After alone
  });

  it('giveUpAfterMs: the README’s time to give up is what the settings give (20 attempts: 7–14 min)', () => {
    const { minMs, maxMs } = giveUpAfterMs(DEFAULT_JOB_OPTIONS.attempts!);
    expect({ minMs, maxMs }).toEqual({ minMs: 421_500, maxMs: 843_000 });
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const min = Math.floor(minMs / 60_000);
    const max = Math.floor(maxMs / 60_000);
    expect(readme).toContain(`ride out ${min}–${max} minutes of outage`);
  });

  it('otherwise doubles from 1 s with equal jitter, capped at 60 s', () => {
    const low = () => 0;
    const high = () => 1;
    expect(backoffDelayMs(1, err('network'), low)).toBe(BASE_BACKOFF_MS / 2);
    expect(backoffDelayMs(1, err('network'), high)).toBe(BASE_BACKOFF_MS);
    expect(backoffDelayMs(3, new Error('x'), high)).toBe(4 * BASE_BACKOFF_MS);
    expect(backoffDelayMs(3, new Error('x'), low)).toBe(2 * BASE_BACKOFF_MS);
    expect(backoffDelayMs(30, err('network'), high)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(30, err('network'), low)).toBe(MAX_BACKOFF_MS / 2);
    expect(backoffDelayMs(0, undefined, low)).toBe(MIN_RETRY_DELAY_MS * 2);
    expect(backoffDelayMs(1, err('network', { retryAfterMs: 0 }), high)).toBe(BASE_BACKOFF_MS);
  });
});
