import { describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import { msg91SecretFromUrl, parseMsg91DeliveryReport, secretMatches } from './msg91-report.js';
import { msg91ReportStatus } from './status.js';

const SECRET = 's3cr3t-webhook-path-token';
const URL_ = `https://hooks.example.com/sms/msg91/${SECRET}`;
const NOW = new Date('2024-05-22T00:00:00Z');
const REQ = '3763646c3058373530393831';

const v2Body = (requests: unknown) => new URLSearchParams({ data: JSON.stringify(requests) }).toString();
const v2 = (requests: unknown, url = URL_) =>
  new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: v2Body(requests),
  });
const v3 = (body: unknown, url = URL_) =>
  new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const parse = (req: Request) => parseMsg91DeliveryReport(req, { secret: SECRET, now: () => NOW });

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const report = (over: Record<string, string> = {}) => ({
  date: '2024-05-22 10:06:20',
  number: '919876543210',
  status: '1',
  desc: 'DELIVERED',
  failedReason: '',
  CRQID: 'notif-42',
  credit: '1',
  ...over,
});

describe('parseMsg91DeliveryReport', () => {
  it('parses a v2 batch: several requests, several numbers each', async () => {
    const events = await parse(
      v2([
        {
          senderId: 'LDMTRX',
          requestId: REQ,
          userId: '27XXXX',
          campaignName: 'API',
          report: [
            report(),
            report({ number: '919876543211', status: '2', desc: 'FAILED', CRQID: 'notif-43' }),
          ],
        },
        { senderId: 'LDMTRX', requestId: 'req-2', report: [report({ status: '17', CRQID: '' })] },
      ]),
    );
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({
      provider: 'msg91',
      messageId: REQ,
      status: 'delivered',
      to: '+919876543210',
      from: 'LDMTRX',
      reference: 'notif-42',
      at: new Date('2024-05-22T04:36:20Z'), // IST
      raw: { senderId: 'LDMTRX', requestId: REQ, userId: '27XXXX', campaignName: 'API', ...report() },
    });
    expect(events[1]).toMatchObject({
      messageId: REQ,
      to: '+919876543211',
      status: 'failed',
      code: 'recipient_unreachable',
      errorCode: 2,
      reference: 'notif-43',
    });
    expect(events[2]).toMatchObject({
      messageId: 'req-2',
      status: 'failed',
      code: 'carrier_rejected',
      errorCode: 17,
    });
    expect(events[2]!.reference).toBeUndefined();
  });

  it('parses a v3 single object and a v3 array', async () => {
    const one = { ...report(), senderId: 'LDMTRX', requestId: REQ };
    expect(await parse(v3(one))).toEqual([
      {
        provider: 'msg91',
        messageId: REQ,
        status: 'delivered',
        to: '+919876543210',
        from: 'LDMTRX',
        reference: 'notif-42',
        at: new Date('2024-05-22T04:36:20Z'),
        raw: one,
      },
    ]);
    const many = await parse(v3([one, { ...one, number: '+919876543212', status: 9 }]));
    expect(many.map((e) => [e.to, e.status, e.code])).toEqual([
      ['+919876543210', 'delivered', undefined],
      ['+919876543212', 'failed', 'recipient_opted_out'],
    ]);
  });

  it.each([
    ['1', 'delivered', undefined],
    ['2', 'failed', 'recipient_unreachable'],
    ['9', 'failed', 'recipient_opted_out'],
    ['16', 'failed', 'carrier_rejected'],
    ['25', 'failed', 'carrier_rejected'],
    ['17', 'failed', 'carrier_rejected'],
    ['3', 'undelivered', 'unknown'],
    ['8', 'undelivered', 'unknown'],
    ['26', 'undelivered', 'unknown'],
  ])('maps report status %s to %s / %s', async (status, expected, code) => {
    expect(msg91ReportStatus(status)).toEqual(code ? { status: expected, code } : { status: expected });
    const [event] = await parse(v3({ ...report({ status }), requestId: REQ }));
    expect(event).toMatchObject({ status: expected });
    expect(event!.code).toBe(code);
    expect(event!.errorCode).toBe(code ? Number(status) : undefined);
  });

  it('sniffs the format when the content type is missing or generic', async () => {
    const form = new Request(URL_, {
      method: 'POST',
      body: v2Body([{ requestId: REQ, report: [report()] }]),
    });
    expect(await parse(form)).toHaveLength(1);
    const json = new Request(URL_, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ ...report(), requestId: REQ }),
    });
    expect(await parse(json)).toHaveLength(1);
  });

  it('uses the time of receipt when the date is missing or unreadable', async () => {
    const [a] = await parse(v3({ ...report({ date: 'yesterday' }), requestId: REQ }));
    expect(a!.at).toEqual(NOW);
  });

  it('takes the secret from ?secret= or from the last path segment', async () => {
    expect(msg91SecretFromUrl(`https://h/msg91?secret=${SECRET}`)).toBe(SECRET);
    expect(msg91SecretFromUrl(`https://h/msg91/${encodeURIComponent('a b/c')}`)).toBe('a b/c');
    expect(msg91SecretFromUrl('https://h/')).toBeUndefined();
    const body = { ...report(), requestId: REQ };
    expect(await parse(v3(body, `https://h/sms/msg91?secret=${SECRET}`))).toHaveLength(1);
  });

  it.each([
    ['no secret', 'https://hooks.example.com/sms/msg91'],
    ['a wrong secret', 'https://hooks.example.com/sms/msg91/guess'],
    ['a prefix of the secret', `https://hooks.example.com/sms/msg91/${SECRET.slice(0, -1)}`],
    ['a wrong query secret', 'https://hooks.example.com/sms/msg91?secret=nope'],
  ])('rejects %s with 403, never echoing the secret', async (_n, url) => {
    const err = await rejection(parse(v3({ ...report(), requestId: REQ }, url)));
    expect(err).toMatchObject({ code: 'authentication_failed', httpStatus: 403, provider: 'msg91' });
    expect(JSON.stringify(err.toJSON())).not.toContain(SECRET);
  });

  it('refuses every request when the configured secret is empty', async () => {
    expect(secretMatches('', '')).toBe(false);
    expect(secretMatches(undefined, 'x')).toBe(false);
    expect(secretMatches('x', 'x')).toBe(true);
  });

  it.each<[string, () => Request]>([
    [
      'a v2 form without data',
      () =>
        new Request(URL_, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'foo=1',
        }),
    ],
    [
      'v2 data that is not JSON',
      () =>
        new Request(URL_, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'data=%5Bnot',
        }),
    ],
    ['invalid JSON', () => v3('{"number":')],
    ['an empty array', () => v3([])],
    ['a JSON string', () => v3('"hello"')],
    ['null', () => v3('null')],
    ['a v2 report that is not an array', () => v2([{ requestId: REQ, report: 'x' }])],
    ['a v2 report entry that is not an object', () => v2([{ requestId: REQ, report: [1] }])],
    ['no requestId', () => v3(report())],
    ['no number', () => v3({ ...report({ number: '' }), requestId: REQ })],
    ['a non-numeric number', () => v3({ ...report({ number: 'abc' }), requestId: REQ })],
    ['no status', () => v3({ ...report({ status: '' }), requestId: REQ })],
    ['a non-numeric status', () => v3({ ...report({ status: 'DELIVERED' }), requestId: REQ })],
    ['one bad entry in a batch', () => v2([{ requestId: REQ, report: [report(), report({ number: '' })] }])],
    ['a GET', () => new Request(URL_)],
  ])('rejects %s as malformed (400)', async (_n, make) => {
    const err = await rejection(parse(make()));
    expect(err).toMatchObject({ code: 'invalid_message', httpStatus: 400, provider: 'msg91' });
  });
});
