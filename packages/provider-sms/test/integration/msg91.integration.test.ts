// Msg91Provider against the MSG91 emulator (a real HTTP server): success, every error body, verify.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError, type SmsErrorCode } from '../../src/errors.js';
import { Msg91Provider } from '../../src/providers/msg91.js';
import { type Msg91Emulator, startMsg91Emulator } from '../../src/testing/index.js';

const OTP_TEMPLATE = { id: 'otp-template-0001', variables: ['otp'] };

let m: Msg91Emulator;
beforeAll(async () => {
  m = await startMsg91Emulator({
    templates: [{ id: 'a1b2c3d4e5f6a1b2c3d4e5f6', variables: ['body'] }, OTP_TEMPLATE],
  });
});
afterAll(() => m.close());
afterEach(() => m.reset());

const provider = (authKey = m.authKey) =>
  new Msg91Provider(
    { authKey, templateId: m.templateId, senderId: 'LDMTRX' },
    { apiBaseUrl: m.url, timeoutMs: 5_000 },
  );

let n = 0;
const body = () => `Your code is ${4000 + ++n}`;

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to reject');
}

describe('Msg91Provider against the MSG91 emulator', () => {
  it('sends: request id as messageId, status queued; the emulator got the digits-only mobile and CRQID', async () => {
    const text = body();
    const result = await provider().send({ to: '+91 98765-43210', body: text, reference: 'notif-42' });
    expect(result).toEqual({
      messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
      provider: 'msg91',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    });
    expect(m.messages).toEqual([
      expect.objectContaining({
        requestId: result.messageId,
        templateId: m.templateId,
        mobile: '919876543210',
        variables: { body: text },
        crqid: 'notif-42',
      }),
    ]);
  });

  it('sends with an explicit template and its variables', async () => {
    await provider().send({
      to: '+919876543210',
      body: 'Your OTP is 1234',
      template: { id: OTP_TEMPLATE.id, variables: { otp: '1234' } },
    });
    expect(m.messages[0]).toMatchObject({ templateId: OTP_TEMPLATE.id, variables: { otp: '1234' } });
  });

  it('wrong auth key → 201 "Invalid authkey" → authentication_failed', async () => {
    const err = await rejection(provider('wrong-key-0000').send({ to: '+919876543210', body: body() }));
    expect(err).toMatchObject({ code: 'authentication_failed', providerCode: '201', outcome: 'not_sent' });
  });

  it('unknown template → invalid_template', async () => {
    const err = await rejection(
      provider().send({ to: '+919876543210', body: body(), template: { id: 'f'.repeat(24) } }),
    );
    expect(err).toMatchObject({ code: 'invalid_template', outcome: 'not_sent', retryable: false });
  });

  it('a template variable missing → 102 → invalid_message', async () => {
    const err = await rejection(
      provider().send({
        to: '+919876543210',
        body: body(),
        template: { id: OTP_TEMPLATE.id, variables: { x: '1' } },
      }),
    );
    expect(err).toMatchObject({ code: 'invalid_message', providerCode: '102' });
  });

  const magic: [string, string, SmsErrorCode][] = [
    ['+910000000203', '203', 'invalid_sender'],
    ['+910000000207', '207', 'authentication_failed'],
    ['+910000000301', '301', 'insufficient_balance'],
    ['+910000000311', '311', 'duplicate'],
    ['+910000000418', '418', 'permission_denied'],
  ];
  it.each(magic)('magic mobile %s → code %s → %s', async (to, providerCode, code) => {
    const err = await rejection(provider().send({ to, body: body() }));
    expect(err).toMatchObject({ code, providerCode, provider: 'msg91', outcome: 'not_sent' });
    expect(m.messages).toHaveLength(0);
  });

  it('the same request twice within 10 s → duplicate (311)', async () => {
    const msg = { to: '+919876543210', body: body() };
    await provider().send(msg);
    const err = await rejection(provider().send(msg));
    expect(err).toMatchObject({ code: 'duplicate', providerCode: '311' });
    expect(m.messages).toHaveLength(1);
  });

  it('balance exhausted → insufficient_balance (301)', async () => {
    const poor = await startMsg91Emulator({ balance: 1 });
    try {
      const p = new Msg91Provider(
        { authKey: poor.authKey, templateId: poor.templateId },
        { apiBaseUrl: poor.url },
      );
      await p.send({ to: '+919876543210', body: body() });
      const err = await rejection(p.send({ to: '+919876543211', body: body() }));
      expect(err).toMatchObject({ code: 'insufficient_balance', providerCode: '301' });
    } finally {
      await poor.close();
    }
  });

  // Bodies the provider's own checks never let it provoke (it always sends a key and a well-formed number):
  // served by fault injection, exactly as MSG91 answers them (HTTP 200, type "error").
  const injected: [string, string, SmsErrorCode][] = [
    ['106', 'Missing authkey', 'authentication_failed'],
    ['101', 'Missing mobile', 'invalid_recipient'],
    ['202', 'Invalid mobile number', 'invalid_recipient'],
  ];
  it.each(injected)('error body code %s → %s', async (providerCode, message, code) => {
    m.inject({ status: 200, json: { type: 'error', code: providerCode, message } });
    const err = await rejection(provider().send({ to: '+919876543210', body: body() }));
    expect(err).toMatchObject({ code, providerCode, httpStatus: 200 });
  });

  it('transport failures: 429 with Retry-After, 500 JSON, HTML 502', async () => {
    m.inject({
      status: 429,
      json: { type: 'error', message: 'Too many requests' },
      headers: { 'retry-after': '3' },
    });
    m.inject({ status: 500, json: { type: 'error', message: 'Internal error' } });
    m.inject({
      status: 502,
      text: '<html><body>502 Bad Gateway</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    expect(await rejection(provider().send({ to: '+919876543210', body: body() }))).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 3000,
      retryable: true,
    });
    for (let i = 0; i < 2; i++) {
      expect(await rejection(provider().send({ to: '+919876543210', body: body() }))).toMatchObject({
        code: 'provider_unavailable',
        outcome: 'unknown',
      });
    }
    expect(m.messages).toHaveLength(0);
  });

  it('verify() resolves with the valid key', async () => {
    await expect(provider().verify()).resolves.toBeUndefined();
  });

  it('verify() rejects authentication_failed with a wrong key, without leaking it', async () => {
    const err = await rejection(provider('wrong-key-0000').verify());
    expect(err.code).toBe('authentication_failed');
    expect(JSON.stringify(err)).not.toContain('wrong-key-0000');
  });
});
