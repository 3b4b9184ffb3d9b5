import { describe, expect, it } from 'vitest';
import { createTwilioTestAccount, handleTwilioRequest } from './twilio-emulator.js';

const account = createTwilioTestAccount();
const MG = `MG${'a'.repeat(32)}`;
const ok = { From: '+15005550006', To: '+14155552671', Body: 'Hello' };

/** POSTs a Message create straight into the emulator's behaviour function. */
async function create(params: Record<string, string | string[]>) {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) form.append(k, one);
  const auth = Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64');
  const handled = await handleTwilioRequest(
    {
      method: 'POST',
      path: `/2010-04-01/Accounts/${account.accountSid}/Messages.json`,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    },
    { accounts: [account] },
  );
  return { ...handled, json: JSON.parse(handled.response.body) as Record<string, unknown> };
}

async function expectRefused(params: Record<string, string | string[]>, code: number) {
  const r = await create(params);
  expect(r.response.status).toBe(400);
  expect(r.json).toEqual({
    code,
    message: expect.any(String),
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status: 400,
  });
  expect(r.message).toBeUndefined();
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe('Twilio emulator: StatusCallback must be a URI', () => {
  it.each([
    'hooks.example.com/cb',
    '/webhooks/status',
    'ftp://hooks.example.com/cb',
    'https://hooks.example.com/a b',
    'https://hooks.example.com/é',
    'https://',
    '',
  ])('refuses %j with 21609', async (url) => {
    await expectRefused({ ...ok, StatusCallback: url }, 21609);
  });

  it('accepts an absolute http(s) URL', async () => {
    const r = await create({ ...ok, StatusCallback: 'https://hooks.example.com:8443/cb?t=1' });
    expect(r.response.status).toBe(201);
    expect(r.message?.statusCallback).toBe('https://hooks.example.com:8443/cb?t=1');
  });
});

describe('Twilio emulator: ValidityPeriod', () => {
  it.each(['0', '36001', '1.5', '-1', 'abc', '', '1e3'])('refuses %j with 21624', async (v) => {
    await expectRefused({ ...ok, ValidityPeriod: v }, 21624);
  });

  it.each(['1', '36000', '600'])('accepts %s', async (v) => {
    const r = await create({ ...ok, ValidityPeriod: v });
    expect(r.response.status).toBe(201);
    expect(r.message?.validityPeriod).toBe(Number(v));
  });
});

describe('Twilio emulator: scheduling', () => {
  it('schedules with ScheduleType=fixed, SendAt and a Messaging Service: status scheduled', async () => {
    const sendAt = inMinutes(60);
    const r = await create({
      To: ok.To,
      Body: 'later',
      MessagingServiceSid: MG,
      ScheduleType: 'fixed',
      SendAt: sendAt,
    });
    expect(r.response.status).toBe(201);
    expect(r.json.status).toBe('scheduled');
    expect(r.message?.status).toBe('scheduled');
    expect(r.message?.sendAt?.toISOString()).toBe(sendAt);
  });

  it('refuses another ScheduleType (35126)', async () => {
    await expectRefused(
      { ...ok, MessagingServiceSid: MG, ScheduleType: 'daily', SendAt: inMinutes(60) },
      35126,
    );
  });

  it('refuses ScheduleType=fixed without SendAt (35111)', async () => {
    await expectRefused({ To: ok.To, Body: 'x', MessagingServiceSid: MG, ScheduleType: 'fixed' }, 35111);
  });

  it('refuses scheduling without a Messaging Service (35118)', async () => {
    await expectRefused({ ...ok, ScheduleType: 'fixed', SendAt: inMinutes(60) }, 35118);
  });

  it.each([
    ['10 minutes ahead', inMinutes(10)],
    ['36 days ahead', inMinutes(36 * 24 * 60)],
    ['in the past', inMinutes(-60)],
    ['not ISO 8601', 'tomorrow'],
  ])('refuses a SendAt %s (35114)', async (_why, sendAt) => {
    await expectRefused(
      { To: ok.To, Body: 'x', MessagingServiceSid: MG, ScheduleType: 'fixed', SendAt: sendAt },
      35114,
    );
  });
});

describe('Twilio emulator: a body is optional with MediaUrl or ContentSid', () => {
  it('accepts a MediaUrl without a body', async () => {
    const r = await create({
      From: ok.From,
      To: ok.To,
      MediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'],
    });
    expect(r.response.status).toBe(201);
    expect(r.json.num_media).toBe('2');
    expect(r.message?.mediaUrls).toHaveLength(2);
  });

  it('accepts a ContentSid without a body', async () => {
    const r = await create({ From: ok.From, To: ok.To, ContentSid: `HX${'b'.repeat(32)}` });
    expect(r.response.status).toBe(201);
    expect(r.message?.contentSid).toBe(`HX${'b'.repeat(32)}`);
  });

  it('still requires one of Body, MediaUrl or ContentSid (21602)', async () => {
    await expectRefused({ From: ok.From, To: ok.To }, 21602);
  });

  it('refuses a MediaUrl that is not an http(s) URL (21620)', async () => {
    await expectRefused({ From: ok.From, To: ok.To, MediaUrl: 'file:///etc/passwd' }, 21620);
  });
});
