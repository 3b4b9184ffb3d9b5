// The msw handlers run the same behaviour functions as the servers: same responses, same recording.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { msg91Handlers, twilioHandlers } from './index.js';
import { listenWithoutListenerWarning } from './msw-listen.js';

const tw = twilioHandlers();
const m = msg91Handlers({ baseUrl: 'https://msg91.test' });
const server = setupServer(...tw, ...m);

beforeAll(() => listenWithoutListenerWarning(server, { onUnhandledRequest: 'error' }));
afterEach(() => {
  tw.reset();
  m.reset();
});
afterAll(() => server.close());

const TW = 'https://api.twilio.com';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const send = (params: Record<string, string>, token = tw.authToken) =>
  fetch(`${TW}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`, {
    method: 'POST',
    headers: {
      authorization: basic(tw.accountSid, token),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params).toString(),
  });
const ok = { From: '+15005550006', To: '+14155552671', Body: 'hi' };

describe('twilioHandlers', () => {
  it('exposes the generated account and is spreadable', () => {
    expect(tw.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect([...tw]).toHaveLength(1);
  });

  it('success: 201 Message resource, recorded', async () => {
    const res = await send(ok);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      status: 'queued',
    });
    expect(tw.messages).toHaveLength(1);
    expect(tw.received).toBe(1);
  });

  it.each([
    [{ ...ok, To: '+15005550001' }, 400, 21211],
    [{ ...ok, From: '+15005550008' }, 400, 21611],
    [{ From: ok.From, To: ok.To }, 400, 21602],
  ])('errors: %o → %i / %i', async (params, status, code) => {
    const res = await send(params);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code, status });
  });

  it('wrong token → 401 / 20003; account GET → 403 / 20008; unknown path → 404 / 20404', async () => {
    expect(await (await send(ok, 'bad')).json()).toMatchObject({ code: 20003, status: 401 });
    const acct = await fetch(`${TW}/2010-04-01/Accounts/${tw.accountSid}.json`, {
      headers: { authorization: basic(tw.accountSid, tw.authToken) },
    });
    expect(await acct.json()).toMatchObject({ code: 20008, status: 403 });
    expect(await (await fetch(`${TW}/v1/Nope`)).json()).toMatchObject({ code: 20404, status: 404 });
  });

  it('faults: 503 JSON, then a socket reset as a network error', async () => {
    tw.inject({ status: 503, json: { message: 'down' } });
    tw.inject({ resetSocket: 'before-response' });
    tw.inject({ resetSocket: 'mid-response' });
    expect((await send(ok)).status).toBe(503);
    await expect(send(ok)).rejects.toThrow();
    expect(tw.messages).toHaveLength(0);
    await expect(send(ok)).rejects.toThrow();
    expect(tw.messages).toHaveLength(1);
    expect(tw.received).toBe(3);
  });

  it("mode 'live': the account and the message list answer like a live account; afterRecord records, then fails", async () => {
    const live = twilioHandlers({ mode: 'live', baseUrl: 'https://live.twilio.test' });
    server.use(...live);
    try {
      const auth = { authorization: basic(live.accountSid, live.authToken) };
      const base = `https://live.twilio.test/2010-04-01/Accounts/${live.accountSid}`;
      expect((await fetch(`${base}.json`, { headers: auth })).status).toBe(200);
      live.inject({ status: 500, afterRecord: true });
      const created = await fetch(`${base}/Messages.json`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...ok, From: '+14155550100' }).toString(),
      });
      expect(created.status).toBe(500);
      const list = (await (
        await fetch(`${base}/Messages.json?To=%2B14155552671`, { headers: auth })
      ).json()) as {
        messages: { from: string }[];
      };
      expect(list.messages.map((x) => x.from)).toEqual(['+14155550100']);
    } finally {
      server.resetHandlers();
    }
  });

  it('records into a caller-supplied array', async () => {
    const messages: typeof tw.messages = [];
    const own = twilioHandlers({ baseUrl: 'https://twilio.test', messages });
    server.use(...own);
    const res = await fetch(`https://twilio.test/2010-04-01/Accounts/${own.accountSid}/Messages.json`, {
      method: 'POST',
      headers: { authorization: basic(own.accountSid, own.authToken) },
      body: new URLSearchParams(ok),
    });
    expect(res.status).toBe(201);
    expect(messages).toHaveLength(1);
    server.resetHandlers();
  });
});

describe('msg91Handlers', () => {
  const flow = (body: unknown, key: string = m.authKey) =>
    fetch('https://msg91.test/api/v5/flow', {
      method: 'POST',
      headers: { authkey: key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('success and errors as the server answers them', async () => {
    const ok91 = { template_id: m.templateId, recipients: [{ mobiles: '919876543210', body: 'x' }] };
    expect(await (await flow(ok91)).json()).toEqual({
      type: 'success',
      message: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
    expect(await (await flow(ok91)).json()).toMatchObject({ type: 'error', code: '311' });
    expect(await (await flow(ok91, 'bad')).json()).toMatchObject({ type: 'error', code: '201' });
    expect(m.messages).toHaveLength(1);
  });

  it('balance', async () => {
    expect(await (await fetch(`https://msg91.test/api/balance.php?authkey=${m.authKey}&type=4`)).text()).toBe(
      '1000',
    );
    expect(await (await fetch('https://msg91.test/api/balance.php?authkey=x&type=4')).text()).toContain(
      'Invalid authkey',
    );
  });

  it('HTML 502 fault', async () => {
    m.inject({ status: 502, text: '<html>502</html>', headers: { 'content-type': 'text/html' } });
    const res = await fetch(`https://msg91.test/api/balance.php?authkey=${m.authKey}`);
    expect([res.status, res.headers.get('content-type')]).toEqual([502, 'text/html']);
  });
});
