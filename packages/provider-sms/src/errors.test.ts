import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isSmsError, redactSecrets, SMS_ERROR_CODES, SmsError, sanitizeCause } from './errors.js';

describe('SmsError', () => {
  it('defaults retryable and outcome from the code table', () => {
    const expected: Record<string, [string, boolean]> = {
      invalid_recipient: ['not_sent', false],
      sender_queue_full: ['not_sent', true],
      rate_limited: ['not_sent', true],
      provider_unavailable: ['unknown', false],
      timeout: ['unknown', false],
      network: ['not_sent', true],
      aborted: ['not_sent', false],
      unknown: ['unknown', false],
      carrier_rejected: ['not_sent', false],
      in_progress: ['not_sent', true],
      idempotency_conflict: ['not_sent', false],
    };
    for (const code of SMS_ERROR_CODES) {
      const e = new SmsError({ code, message: 'x' });
      const [outcome, retryable] = expected[code] ?? ['not_sent', false];
      expect([code, e.outcome, e.retryable]).toEqual([code, outcome, retryable]);
    }
  });

  it('never marks an outcome-unknown error retryable', () => {
    const e = new SmsError({ code: 'network', message: 'reset', outcome: 'unknown', retryable: true });
    expect(e.retryable).toBe(false);
  });

  it('honours explicit outcome and retryable for not-sent errors', () => {
    const e = new SmsError({
      code: 'provider_unavailable',
      message: 'db down',
      outcome: 'not_sent',
      retryable: true,
    });
    expect(e.outcome).toBe('not_sent');
    expect(e.retryable).toBe(true);
  });

  it('is recognised across package copies through a Symbol.for brand', () => {
    const e = new SmsError({ code: 'timeout', message: 't' });
    const foreign = Object.create(null) as Record<symbol, unknown>;
    foreign[Symbol.for('@leadmetrics/provider-sms/SmsError')] = true;
    expect(isSmsError(e)).toBe(true);
    expect(isSmsError(foreign)).toBe(true);
    expect(isSmsError(new Error('x'))).toBe(false);
    expect(isSmsError(null)).toBe(false);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SmsError');
  });

  it('keeps only a sanitized cause and serializes without secrets', () => {
    const token = 'f00dfeedbeefcafe0123456789abcdef';
    const basic = `Basic ${Buffer.from(`ACxyz:${token}`).toString('base64')}`;
    const raw = Object.assign(new Error(`connect failed; Authorization: ${basic}`), {
      code: 'ECONNREFUSED',
      config: { headers: { Authorization: basic }, auth: { password: token } },
      request: { _header: `POST / HTTP/1.1\r\nAuthorization: ${basic}` },
    });
    const e = new SmsError({ code: 'network', message: 'boom', cause: sanitizeCause(raw, [token]) });
    const outputs = [
      e.message,
      String(e.stack),
      JSON.stringify(e),
      inspect(e, { depth: 10 }),
      JSON.stringify(e.cause),
    ];
    for (const out of outputs) {
      expect(out).not.toContain(token);
      expect(out).not.toContain(basic.slice(6));
    }
    expect(e.cause).toEqual({
      name: 'Error',
      message: 'connect failed; Authorization: [REDACTED]',
      code: 'ECONNREFUSED',
    });
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      code: 'network',
      outcome: 'not_sent',
      retryable: true,
    });
  });
});

describe('redactSecrets', () => {
  it('removes known secrets, Basic headers, authkey query values and URL credentials', () => {
    expect(redactSecrets('token abcd1234 here', ['abcd1234'])).toBe('token [REDACTED] here');
    expect(redactSecrets('GET /api/balance.php?authkey=SECRETKEY&type=4')).toBe(
      'GET /api/balance.php?authkey=[REDACTED]&type=4',
    );
    expect(redactSecrets('Authorization: Basic QUM6dG9rZW4=')).toBe('Authorization: [REDACTED]');
    expect(redactSecrets('https://AC1:tok@api.twilio.com/x')).toBe('https://[REDACTED]api.twilio.com/x');
    expect(redactSecrets('connect redis://:s3cret-pw@10.0.0.5:6380/2 failed')).toBe(
      'connect redis://[REDACTED]10.0.0.5:6380/2 failed',
    );
    expect(redactSecrets('postgres://app:p%40ss@db:5432/x')).toBe('postgres://[REDACTED]db:5432/x');
  });
});

describe('SmsError.with()', () => {
  it('copies every field (messageId, ledgerState, attempts, cause…) and replaces only what it is given', () => {
    const original = new SmsError({
      code: 'timeout',
      message: 'slow',
      provider: 'twilio',
      providerCode: 20429,
      httpStatus: 504,
      retryAfterMs: 5,
      messageId: 'SM1',
      ledgerState: 'unknown',
      cause: new Error('inner'),
      attempts: [{ stage: 'send', provider: 'twilio', code: 'timeout', outcome: 'unknown', durationMs: 3 }],
    });
    const copy = original.with({ ledgerState: 'deferred' });
    expect(copy).not.toBe(original);
    expect({ ...copy.toJSON(), ledgerState: 'unknown' }).toEqual(original.toJSON());
    expect(copy.ledgerState).toBe('deferred');
    expect(original.ledgerState).toBe('unknown');
    expect(copy.attempts).not.toBe(original.attempts);
    expect(isSmsError(copy)).toBe(true);
  });
});
