import { describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import { SMS_STATUSES } from '../status.js';
import { twilioDeliveryErrorCode } from './status.js';
import { computeTwilioSignature } from './twilio-signature.js';
import { parseTwilioStatusCallback } from './twilio-status.js';

const TOKEN = 'tenant-auth-token-0123456789abcdef';
const ACCOUNT = `AC${'1'.repeat(32)}`;
const SID = `SM${'a'.repeat(32)}`;
const URL_ = 'https://hooks.example.com/sms/twilio/tenant-1?x=1';
const NOW = new Date('2024-05-22T10:00:00Z');

function callback(
  fields: Record<string, string>,
  opts: { token?: string; url?: string; sign?: string | null } = {},
) {
  const form = new URLSearchParams(fields);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const sig = opts.sign === undefined ? computeTwilioSignature(opts.token ?? TOKEN, URL_, form) : opts.sign;
  if (sig !== null) headers['x-twilio-signature'] = sig;
  return new Request(opts.url ?? URL_, { method: 'POST', headers, body: form.toString() });
}

const base = (over: Record<string, string> = {}) => ({
  AccountSid: ACCOUNT,
  MessageSid: SID,
  SmsSid: SID,
  MessageStatus: 'delivered',
  SmsStatus: 'delivered',
  From: '+15005550006',
  To: '+14155552671',
  ApiVersion: '2010-04-01',
  ...over,
});

const parse = (req: Request, extra: { expectedAccountSid?: string; url?: string } = {}) =>
  parseTwilioStatusCallback(req, { authToken: TOKEN, now: () => NOW, ...extra });

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('parseTwilioStatusCallback', () => {
  it('normalizes a delivered callback', async () => {
    const event = await parse(callback(base()), { expectedAccountSid: ACCOUNT });
    expect(event).toEqual({
      provider: 'twilio',
      messageId: SID,
      status: 'delivered',
      to: '+14155552671',
      from: '+15005550006',
      at: NOW,
      raw: base(),
    });
  });

  it.each(SMS_STATUSES)('passes MessageStatus %s through', async (status) => {
    const event = await parse(callback(base({ MessageStatus: status, SmsStatus: status })));
    expect(event.status).toBe(status);
    if (status === 'failed' || status === 'undelivered') expect(event.code).toBe('unknown');
    else expect(event.code).toBeUndefined();
  });

  it.each([
    ['30003', 'recipient_unreachable'],
    ['30004', 'carrier_rejected'],
    ['30007', 'carrier_rejected'],
    ['30005', 'invalid_recipient'],
    ['30006', 'invalid_recipient'],
    ['21610', 'recipient_opted_out'],
    ['30008', 'unknown'],
    ['30001', 'sender_queue_full'],
    ['30034', 'invalid_sender'],
    ['30036', 'sender_queue_full'],
    ['30453', 'permission_denied'],
    ['30999', 'unknown'],
    ['12345', 'unknown'],
  ])('maps ErrorCode %s to %s', async (errorCode, code) => {
    const event = await parse(callback(base({ MessageStatus: 'undelivered', ErrorCode: errorCode })));
    expect(event.errorCode).toBe(Number(errorCode));
    expect(event.code).toBe(code);
    expect(twilioDeliveryErrorCode(errorCode)).toBe(code);
  });

  it('uses RawDlrDoneDate for `at` when present', async () => {
    const event = await parse(callback(base({ RawDlrDoneDate: '2405221006' })));
    expect(event.at.toISOString()).toBe('2024-05-22T10:06:00.000Z');
    const bad = await parse(callback(base({ RawDlrDoneDate: '9913999999' })));
    expect(bad.at).toEqual(NOW);
  });

  it('verifies against an explicit public URL (proxy)', async () => {
    const req = callback(base(), { url: 'http://10.0.0.5:8080/twilio/tenant-1?x=1' });
    expect(await parse(req, { url: URL_ })).toMatchObject({ messageId: SID });
  });

  it.each<[string, () => Request, { expectedAccountSid?: string; url?: string }?]>([
    ['no signature', () => callback(base(), { sign: null })],
    ['an empty signature', () => callback(base(), { sign: '' })],
    ['a wrong token', () => callback(base(), { token: 'someone-elses-token' })],
    [
      'a changed param',
      () => {
        const form = new URLSearchParams(base());
        const sig = computeTwilioSignature(TOKEN, URL_, form);
        form.set('MessageStatus', 'failed');
        return new Request(URL_, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
          body: form.toString(),
        });
      },
    ],
    [
      'an added param (replay with other params)',
      () => {
        const form = new URLSearchParams(base());
        const sig = computeTwilioSignature(TOKEN, URL_, form);
        form.set('ErrorCode', '30003');
        return new Request(URL_, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
          body: form.toString(),
        });
      },
    ],
    ['a changed URL (other tenant)', () => callback(base(), { url: URL_.replace('tenant-1', 'tenant-2') })],
    ['a changed query string', () => callback(base(), { url: URL_.replace('x=1', 'x=2') })],
    [
      'another account',
      () => callback(base({ AccountSid: `AC${'2'.repeat(32)}` })),
      { expectedAccountSid: ACCOUNT },
    ],
    ['no account', () => callback(base({ AccountSid: '' })), { expectedAccountSid: ACCOUNT }],
  ])('rejects %s with authentication_failed / 403, without the token', async (_name, make, extra) => {
    const err = await rejection(parse(make(), extra));
    expect(err.code).toBe('authentication_failed');
    expect(err.httpStatus).toBe(403);
    expect(err.provider).toBe('twilio');
    expect(JSON.stringify(err.toJSON())).not.toContain(TOKEN);
    expect(String(err.stack)).not.toContain(TOKEN);
  });

  it.each<[string, () => Request]>([
    [
      'a JSON body',
      () =>
        new Request(URL_, {
          method: 'POST',
          headers: { 'x-twilio-signature': 'x', 'content-type': 'application/json' },
          body: '{}',
        }),
    ],
    ['no MessageSid', () => callback(base({ MessageSid: '', SmsSid: '' }))],
    ['a bad MessageSid', () => callback(base({ MessageSid: 'SM123', SmsSid: 'SM123' }))],
    [
      'an unknown MessageStatus',
      () => callback(base({ MessageStatus: 'teleported', SmsStatus: 'teleported' })),
    ],
    ['no To', () => callback(base({ To: '' }))],
    ['a GET', () => new Request(URL_, { method: 'GET', headers: { 'x-twilio-signature': 'x' } })],
  ])('rejects %s as malformed (400)', async (_name, make) => {
    const err = await rejection(parse(make()));
    expect(err.httpStatus).toBe(400);
    expect(err.code).toBe('invalid_message');
  });

  it('falls back to the legacy SmsSid / SmsStatus fields', async () => {
    const fields = base();
    const { MessageSid: _a, MessageStatus: _b, ...legacy } = fields;
    const event = await parse(callback({ ...legacy, SmsStatus: 'sent' }));
    expect(event).toMatchObject({ messageId: SID, status: 'sent' });
  });
});
