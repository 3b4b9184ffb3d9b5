// Raw fetch against the real Twilio emulator server. No msw in this file (it would intercept 127.0.0.1).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { computeTwilioSignature } from '../webhooks/twilio-signature.js';
import { startTwilioEmulator, type TwilioEmulator } from './index.js';
import { twilioMessageSchema, validateTwilioMessage } from './twilio-schema-test-helpers.js';

const schema = twilioMessageSchema;
const validateMessage = validateTwilioMessage;

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

let tw: TwilioEmulator;
beforeAll(async () => {
  tw = await startTwilioEmulator();
});
afterAll(() => tw.close());
afterEach(() => tw.reset());

function send(params: Record<string, string>, opts: { sid?: string; auth?: string | null } = {}) {
  const sid = opts.sid ?? tw.accountSid;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const auth = opts.auth === undefined ? basic(tw.accountSid, tw.authToken) : opts.auth;
  if (auth) headers.authorization = auth;
  return fetch(`${tw.url}/2010-04-01/Accounts/${sid}/Messages.json`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params).toString(),
  });
}

const ok = { From: '+15005550006', To: '+14155552671', Body: 'Hello from the emulator' };

async function expectTwilioError(res: Response, status: number, code: number) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toEqual({
    code,
    message: expect.any(String),
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
  return body;
}

describe('Twilio emulator: auth', () => {
  it('generates one test account', () => {
    expect(tw.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(tw.authToken).toMatch(/^[0-9a-f]{32}$/);
    expect(tw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('missing credentials → 401 / 20003', async () => {
    await expectTwilioError(await send(ok, { auth: null }), 401, 20003);
  });

  it('wrong token → 401 / 20003 with WWW-Authenticate', async () => {
    const res = await send(ok, { auth: basic(tw.accountSid, 'f'.repeat(32)) });
    expect(res.headers.get('www-authenticate')).toContain('Basic');
    await expectTwilioError(res, 401, 20003);
  });

  it('credentials of another account than the path → 401 / 20003', async () => {
    await expectTwilioError(await send(ok, { sid: `AC${'0'.repeat(32)}` }), 401, 20003);
  });

  it('accepts several accounts', async () => {
    const a = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'a'.repeat(32) };
    const b = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'b'.repeat(32) };
    const multi = await startTwilioEmulator({ accounts: [a, b] });
    try {
      expect(multi.accountSid).toBe(a.accountSid);
      const res = await fetch(`${multi.url}/2010-04-01/Accounts/${b.accountSid}/Messages.json`, {
        method: 'POST',
        headers: { authorization: basic(b.accountSid, b.authToken) },
        body: new URLSearchParams(ok),
      });
      expect(res.status).toBe(201);
      expect(multi.messages[0]?.accountSid).toBe(b.accountSid);
    } finally {
      await multi.close();
    }
  });
});

describe('Twilio emulator: messages', () => {
  it('success → 201, a complete Message resource valid against the vendored schema', async () => {
    const res = await send(ok);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as Record<string, unknown>;
    for (const prop of Object.keys(schema.properties)) expect(body, `property ${prop}`).toHaveProperty(prop);
    expect(validateMessage(body), JSON.stringify(validateMessage.errors)).toBe(true);
    // The validation bites: a wrong SID or date format fails.
    expect(validateMessage({ ...body, sid: 'XX123' })).toBe(false);
    expect(validateMessage({ ...body, date_created: new Date().toISOString() })).toBe(false);
    expect(body).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      account_sid: tw.accountSid,
      status: 'queued',
      from: '+15005550006',
      to: '+14155552671',
      body: ok.Body,
      num_segments: '1',
      num_media: '0',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      messaging_service_sid: null,
      error_code: null,
      date_created: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
    });
    expect(body.uri).toBe(`/2010-04-01/Accounts/${tw.accountSid}/Messages/${body.sid as string}.json`);
    expect(tw.messages).toEqual([
      {
        sid: body.sid,
        accountSid: tw.accountSid,
        from: '+15005550006',
        to: '+14155552671',
        body: ok.Body,
        status: 'queued',
        segments: 1,
        encoding: 'GSM-7',
        createdAt: expect.any(Date),
      },
    ]);
    expect(tw.received).toBe(1);
  });

  it('num_segments is computed from the body (GSM-7 and UCS-2)', async () => {
    const long = (await (await send({ ...ok, Body: 'a'.repeat(161) })).json()) as Record<string, unknown>;
    expect(long.num_segments).toBe('2');
    const uni = (await (await send({ ...ok, Body: 'héllo 😀'.repeat(10) })).json()) as Record<
      string,
      unknown
    >;
    expect(uni.num_segments).toBe('2');
    expect(tw.messages.map((m) => [m.segments, m.encoding])).toEqual([
      [2, 'GSM-7'],
      [2, 'UCS-2'],
    ]);
  });

  it.each([
    ['+15005550001', 21212],
    ['+15005550007', 21606],
    ['+15005550008', 21611],
    ['+14155550000', 21606],
  ])('From %s → 400 / %i', async (from, code) => {
    await expectTwilioError(await send({ ...ok, From: from }), 400, code);
    expect(tw.messages).toHaveLength(0);
  });

  it.each([
    ['+15005550001', 21211],
    ['+15005550002', 21612],
    ['+15005550003', 21408],
    ['+15005550004', 21610],
    ['+15005550009', 21614],
    ['not-a-number', 21211],
  ])('To %s → 400 / %i', async (to, code) => {
    await expectTwilioError(await send({ ...ok, To: to }), 400, code);
    expect(tw.messages).toHaveLength(0);
  });

  it('+15005550006 as To is validated normally (success)', async () => {
    expect((await send({ ...ok, To: '+15005550006' })).status).toBe(201);
  });

  it('missing To → 21604, missing From → 21603, missing body → 21602, body > 1600 → 21617', async () => {
    await expectTwilioError(await send({ From: ok.From, Body: 'x' }), 400, 21604);
    await expectTwilioError(await send({ To: ok.To, Body: 'x' }), 400, 21603);
    await expectTwilioError(await send({ From: ok.From, To: ok.To }), 400, 21602);
    await expectTwilioError(await send({ ...ok, Body: 'x'.repeat(1601) }), 400, 21617);
    expect((await send({ ...ok, Body: 'x'.repeat(1600) })).status).toBe(201);
  });

  it('MessagingServiceSid is accepted like a live account (status accepted, from null)', async () => {
    const mg = `MG${'c'.repeat(32)}`;
    const res = await send({ MessagingServiceSid: mg, To: ok.To, Body: 'via service' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'accepted',
      from: null,
      messaging_service_sid: mg,
      num_segments: '0',
    });
    expect(validateMessage(body), JSON.stringify(validateMessage.errors)).toBe(true);
    expect(tw.messages[0]).toMatchObject({
      from: null,
      status: 'accepted',
      messagingServiceSid: mg,
      segments: 1,
    });
    await expectTwilioError(await send({ MessagingServiceSid: 'MGnope', To: ok.To, Body: 'x' }), 400, 21701);
  });

  it('records StatusCallback on the message', async () => {
    const quiet = await startTwilioEmulator({ statusCallbacks: false });
    try {
      const res = await fetch(`${quiet.url}/2010-04-01/Accounts/${quiet.accountSid}/Messages.json`, {
        method: 'POST',
        headers: { authorization: basic(quiet.accountSid, quiet.authToken) },
        body: new URLSearchParams({ ...ok, StatusCallback: 'https://example.com/cb/t1' }),
      });
      expect(res.status).toBe(201);
      expect(quiet.messages[0]?.statusCallback).toBe('https://example.com/cb/t1');
      await quiet.settled();
      expect(quiet.callbacks).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('fires signed status callbacks (sent, delivered) when statusCallbacks is on', async () => {
    const got: { signature: string; params: Record<string, string> }[] = [];
    const sink = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        got.push({
          signature: String(req.headers['x-twilio-signature']),
          params: Object.fromEntries(new URLSearchParams(data)),
        });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const cbUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/status/tenant-1?x=1`;
    try {
      const res = await send({ ...ok, StatusCallback: cbUrl });
      const sid = ((await res.json()) as { sid: string }).sid;
      await tw.settled();
      expect(got.map((g) => g.params.MessageStatus)).toEqual(['sent', 'delivered']);
      for (const g of got) {
        expect(g.params).toMatchObject({
          MessageSid: sid,
          AccountSid: tw.accountSid,
          To: ok.To,
          From: ok.From,
        });
        expect(g.signature).toBe(computeTwilioSignature(tw.authToken, cbUrl, g.params));
      }
      expect(tw.callbacks.map((c) => c.responseStatus)).toEqual([200, 200]);
      expect(tw.messages[0]?.status).toBe('delivered');
    } finally {
      sink.closeAllConnections();
      await new Promise((r) => sink.close(r));
    }
  });

  it("twilioSignature agrees with the twilio SDK's validateRequest", async () => {
    const twilio = (await import('twilio')).default;
    const params = { MessageSid: 'SM1', MessageStatus: 'sent', To: '+14155552671', From: '+15005550006' };
    const url = 'https://example.com/status/t1?foo=1&bar=2';
    const sig = computeTwilioSignature('12345', url, params);
    expect(twilio.validateRequest('12345', sig, url, params)).toBe(true);
    expect(twilio.validateRequest('54321', sig, url, params)).toBe(false);
  });
});

describe('Twilio emulator: other resources', () => {
  it('GET the account → 403 / 20008 with valid credentials, 401 / 20003 with wrong ones', async () => {
    const url = `${tw.url}/2010-04-01/Accounts/${tw.accountSid}.json`;
    await expectTwilioError(
      await fetch(url, { headers: { authorization: basic(tw.accountSid, tw.authToken) } }),
      403,
      20008,
    );
    await expectTwilioError(
      await fetch(url, { headers: { authorization: basic(tw.accountSid, 'nope') } }),
      401,
      20003,
    );
  });

  it('any other resource under the account → 403 / 20008', async () => {
    const auth = { authorization: basic(tw.accountSid, tw.authToken) };
    const base = `${tw.url}/2010-04-01/Accounts/${tw.accountSid}`;
    await expectTwilioError(await fetch(`${base}/Messages.json`, { headers: auth }), 403, 20008);
    await expectTwilioError(await fetch(`${base}/Calls/CA1.json`, { headers: auth }), 403, 20008);
    await expectTwilioError(await fetch(`${base}/IncomingPhoneNumbers.json`, { headers: auth }), 403, 20008);
  });

  it('unknown paths → 404 / 20404', async () => {
    await expectTwilioError(await fetch(`${tw.url}/nope`), 404, 20404);
    await expectTwilioError(await fetch(`${tw.url}/2010-04-01/Nope.json`), 404, 20404);
  });
});

describe('Twilio emulator: fault injection', () => {
  it('429 with Retry-After, then back to normal', async () => {
    tw.inject({
      status: 429,
      json: { code: 20429, message: 'Too Many Requests', status: 429 },
      headers: { 'Retry-After': '2' },
    });
    const res = await send(ok);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ code: 20429 });
    expect(tw.messages).toHaveLength(0);
    expect((await send(ok)).status).toBe(201);
    expect(tw.received).toBe(2);
  });

  it('500 and 503 JSON bodies, times: 2', async () => {
    tw.inject({ status: 503, json: { code: 20503, message: 'Service unavailable', status: 503 }, times: 2 });
    tw.inject({ status: 500, json: { message: 'boom' } });
    expect((await send(ok)).status).toBe(503);
    expect((await send(ok)).status).toBe(503);
    const r = await send(ok);
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ message: 'boom' });
    expect((await send(ok)).status).toBe(201);
    expect(tw.messages).toHaveLength(1);
  });

  it('HTML 502', async () => {
    tw.inject({
      status: 502,
      text: '<html><body>Bad Gateway</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const res = await send(ok);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('Bad Gateway');
  });

  it('delay only: the message is recorded at once, the response comes after the delay', async () => {
    tw.inject({ delayMs: 150 });
    const t0 = performance.now();
    const pending = send(ok);
    await new Promise((r) => setTimeout(r, 60));
    expect(tw.messages).toHaveLength(1);
    const res = await pending;
    expect(res.status).toBe(201);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('delay combined with a status', async () => {
    tw.inject({ delayMs: 80, status: 500, json: { message: 'slow boom' } });
    const t0 = performance.now();
    expect((await send(ok)).status).toBe(500);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(70);
    expect(tw.messages).toHaveLength(0);
  });

  it("reset 'before-response': connection error, nothing recorded, request counted", async () => {
    tw.inject({ resetSocket: 'before-response' });
    await expect(send(ok)).rejects.toThrow();
    expect(tw.messages).toHaveLength(0);
    expect(tw.received).toBe(1);
  });

  it("reset 'mid-response': headers arrive, the body fails; the message WAS recorded", async () => {
    tw.inject({ resetSocket: 'mid-response' });
    let failed = false;
    try {
      const res = await send(ok);
      expect(res.status).toBe(201);
      await res.text();
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(tw.messages).toHaveLength(1);
    expect(tw.received).toBe(1);
  });

  it('headers only: added to the normal response', async () => {
    tw.inject({ headers: { 'X-Extra': 'yes' } });
    const res = await send(ok);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-extra')).toBe('yes');
  });

  it('reset() clears messages, requests and pending faults', async () => {
    await send(ok);
    tw.inject({ status: 500, times: 3 });
    tw.reset();
    expect(tw.messages).toHaveLength(0);
    expect(tw.received).toBe(0);
    expect((await send(ok)).status).toBe(201);
  });

  it('rejects a bad fault', () => {
    expect(() => tw.inject({ times: 0 })).toThrow(RangeError);
  });
});

describe('Twilio emulator: lifecycle', () => {
  it('close() frees the port, even with a delayed response pending', async () => {
    const e = await startTwilioEmulator();
    const port = Number(new URL(e.url).port);
    e.inject({ delayMs: 60_000 });
    const pending = fetch(`${e.url}/2010-04-01/Accounts/${e.accountSid}.json`).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    await e.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await pending;
    await expect(fetch(`${e.url}/`)).rejects.toThrow();
    const again = await startTwilioEmulator({ port });
    expect(again.url).toBe(e.url);
    await again.close();
  });
});
