// The Twilio emulator's live mode: account GET, message fetch and list as Twilio answers them, also through
// the real twilio SDK over our http client (as twilio.sdk-instance.test.ts does).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwilioProvider } from '../providers/twilio.js';
import { startTwilioEmulator, type TwilioEmulator } from './twilio-emulator.js';
import { validateTwilioMessage } from './twilio-schema-test-helpers.js';
import { twilioSdkClientFor } from './twilio-sdk-test-client.js';

interface ListedMessage {
  sid: string;
  to: string;
  from: string;
  dateSent: Date | null;
}
interface Client {
  messages: { list(params?: Record<string, unknown>): Promise<ListedMessage[]> };
}

const FROM = '+14155550100';
const OTHER_FROM = '+14155550199';
const TO = '+14155552671';
const OTHER_TO = '+14155552672';

let tw: TwilioEmulator;
let client: Client;

const basic = () => `Basic ${Buffer.from(`${tw.accountSid}:${tw.authToken}`).toString('base64')}`;
const get = async (path: string) => {
  const res = await fetch(`${tw.url}/2010-04-01/Accounts/${tw.accountSid}${path}`, {
    headers: { authorization: basic() },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const provider = (fromNumber = FROM) =>
  new TwilioProvider(
    { accountSid: tw.accountSid, authToken: tw.authToken, fromNumber },
    { apiBaseUrl: tw.url, timeoutMs: 5_000 },
  );
const send = async (body: string, to = TO, from = FROM) =>
  (await provider(from).send({ to, body })).messageId;

beforeAll(async () => {
  tw = await startTwilioEmulator({ mode: 'live' });
  client = await twilioSdkClientFor<Client>(tw);
});
afterAll(() => tw.close());
afterEach(async () => {
  await tw.settled();
  tw.reset();
});

describe('Twilio emulator live mode: account and message fetch', () => {
  it('GET the account → 200 in Twilio’s account shape (no auth token); verify() resolves', async () => {
    const { status, body } = await get('.json');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      sid: tw.accountSid,
      status: 'active',
      type: 'Full',
      uri: `/2010-04-01/Accounts/${tw.accountSid}.json`,
    });
    expect(JSON.stringify(body)).not.toContain(tw.authToken);
    await expect(provider().verify()).resolves.toBeUndefined();
    expect(tw.mode).toBe('live');
  });

  it('a live account sends from any number (not only +15005550006); magic failing From numbers still fail', async () => {
    await expect(send('hi')).resolves.toMatch(/^SM/);
    await expect(send('hi', TO, '+15005550007')).rejects.toMatchObject({ providerCode: 21606 });
  });

  it('GET a message → the resource, schema-valid; date_sent null until it is sent, then set', async () => {
    const quiet = await startTwilioEmulator({ mode: 'live', statusCallbacks: false });
    try {
      const sid = (
        await new TwilioProvider(
          { accountSid: quiet.accountSid, authToken: quiet.authToken, fromNumber: FROM },
          { apiBaseUrl: quiet.url },
        ).send({ to: TO, body: 'hello' })
      ).messageId;
      const res = await fetch(`${quiet.url}/2010-04-01/Accounts/${quiet.accountSid}/Messages/${sid}.json`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${quiet.accountSid}:${quiet.authToken}`).toString('base64')}`,
        },
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(200);
      expect(validateTwilioMessage(body), JSON.stringify(validateTwilioMessage.errors)).toBe(true);
      expect(body).toMatchObject({
        sid,
        status: 'queued',
        date_sent: null,
        to: TO,
        from: FROM,
        body: 'hello',
      });
    } finally {
      await quiet.close();
    }
    const sid = await send('hello');
    await tw.settled();
    const { status, body } = await get(`/Messages/${sid}.json`);
    expect(status).toBe(200);
    expect(validateTwilioMessage(body), JSON.stringify(validateTwilioMessage.errors)).toBe(true);
    expect(body).toMatchObject({ sid, status: 'delivered', date_sent: expect.stringMatching(/\+0000$/) });
  });

  it('GET an unknown message → 404 / 20404; other account resources → 404 / 20404', async () => {
    const missing = await get(`/Messages/SM${'0'.repeat(32)}.json`);
    expect(missing).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(await get('/Calls.json')).toMatchObject({ status: 404, body: { code: 20404 } });
  });

  it('the default mode still answers these reads 403 / 20008 (test credentials)', async () => {
    const test = await startTwilioEmulator();
    try {
      const auth = `Basic ${Buffer.from(`${test.accountSid}:${test.authToken}`).toString('base64')}`;
      for (const path of ['.json', '/Messages.json', `/Messages/SM${'0'.repeat(32)}.json`]) {
        const res = await fetch(`${test.url}/2010-04-01/Accounts/${test.accountSid}${path}`, {
          headers: { authorization: auth },
        });
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: 20008 });
      }
      expect(test.mode).toBe('test');
    } finally {
      await test.close();
    }
  });
});

describe('Twilio emulator live mode: message list', () => {
  it('filters by To and From, newest first, in Twilio’s list envelope with schema-valid messages', async () => {
    const a = await send('one');
    await send('other to', OTHER_TO);
    await send('other from', TO, OTHER_FROM);
    const b = await send('two');
    const { status, body } = await get(`/Messages.json?${new URLSearchParams({ To: TO, From: FROM })}`);
    expect(status).toBe(200);
    const messages = body.messages as Record<string, unknown>[];
    expect(messages.map((x) => x.sid)).toEqual([b, a]);
    for (const x of messages) expect(validateTwilioMessage(x)).toBe(true);
    const uri = `/2010-04-01/Accounts/${tw.accountSid}/Messages.json?To=%2B14155552671&From=%2B14155550100&PageSize=50&Page=0`;
    expect(body).toEqual({
      messages: expect.any(Array),
      end: 1,
      first_page_uri: uri,
      next_page_uri: null,
      page: 0,
      page_size: 50,
      previous_page_uri: null,
      start: 0,
      uri,
    });
  });

  it('DateSent (also DateSent< / DateSent>) filters by day and hides messages not sent yet', async () => {
    const quiet = await startTwilioEmulator({ mode: 'live', statusCallbacks: false });
    try {
      const p = new TwilioProvider(
        { accountSid: quiet.accountSid, authToken: quiet.authToken, fromNumber: FROM },
        { apiBaseUrl: quiet.url },
      );
      const queued = (await p.send({ to: TO, body: 'queued' })).messageId;
      const sent = (await p.send({ to: TO, body: 'sent' })).messageId;
      const day = new Date().toISOString().slice(0, 10);
      // Yesterday's message, sent yesterday.
      const old = (await p.send({ to: TO, body: 'old' })).messageId;
      const yesterday = new Date(Date.now() - 86_400_000);
      Object.assign(quiet.messages.find((m) => m.sid === old)!, {
        createdAt: yesterday,
        sentAt: yesterday,
        status: 'sent',
      });
      Object.assign(quiet.messages.find((m) => m.sid === sent)!, { sentAt: new Date(), status: 'sent' });
      const list = async (q: Record<string, string>) => {
        const res = await fetch(
          `${quiet.url}/2010-04-01/Accounts/${quiet.accountSid}/Messages.json?${new URLSearchParams(q)}`,
          {
            headers: {
              authorization: `Basic ${Buffer.from(`${quiet.accountSid}:${quiet.authToken}`).toString('base64')}`,
            },
          },
        );
        return ((await res.json()) as { messages: { sid: string }[] }).messages.map((m) => m.sid);
      };
      const yday = yesterday.toISOString().slice(0, 10);
      expect(await list({ To: TO })).toEqual([sent, queued, old]);
      expect(await list({ To: TO, DateSent: day })).toEqual([sent]);
      expect(await list({ To: TO, 'DateSent<': yday })).toEqual([old]);
      expect(await list({ To: TO, 'DateSent>': day })).toEqual([sent]);
      expect(await list({ To: TO, 'DateSent>': yday })).toEqual([sent, old]);
    } finally {
      await quiet.close();
    }
  });

  it('pages with PageSize: next_page_uri / previous_page_uri / start / end chain through every message once', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push(await send(`m${i}`));
    const newestFirst = [...sids].reverse();
    const seen: string[] = [];
    let next: string | null =
      `/2010-04-01/Accounts/${tw.accountSid}/Messages.json?To=${encodeURIComponent(TO)}&PageSize=2`;
    const pages: Record<string, unknown>[] = [];
    while (next) {
      const res = await fetch(`${tw.url}${next}`, { headers: { authorization: basic() } });
      const body = (await res.json()) as Record<string, unknown>;
      pages.push(body);
      seen.push(...(body.messages as { sid: string }[]).map((m) => m.sid));
      next = body.next_page_uri as string | null;
    }
    expect(seen).toEqual(newestFirst);
    expect(pages.map((p) => [p.page, p.start, p.end, p.page_size])).toEqual([
      [0, 0, 1, 2],
      [1, 2, 3, 2],
      [2, 4, 4, 2],
    ]);
    expect(pages[0]!.previous_page_uri).toBeNull();
    const back = await fetch(`${tw.url}${pages[2]!.previous_page_uri as string}`, {
      headers: { authorization: basic() },
    });
    expect(((await back.json()) as { messages: { sid: string }[] }).messages.map((m) => m.sid)).toEqual(
      newestFirst.slice(2, 4),
    );
    expect((await get('/Messages.json?PageSize=0')).status).toBe(400);
    expect((await get('/Messages.json?DateSent=yesterday')).status).toBe(400);
  });

  it('the real twilio SDK lists through it: messages.list({ to, from }), with paging and a limit', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 5; i++) sids.push(await send(`m${i}`));
    await send('elsewhere', OTHER_TO);
    const all = await client.messages.list({ to: TO, from: FROM });
    expect(all.map((m) => m.sid)).toEqual([...sids].reverse());
    const paged = await client.messages.list({ to: TO, pageSize: 2 });
    expect(paged.map((m) => m.sid)).toEqual([...sids].reverse());
    const limited = await client.messages.list({ to: TO, pageSize: 2, limit: 3 });
    expect(limited).toHaveLength(3);
    await tw.settled();
    const [newest] = await client.messages.list({ to: TO, limit: 1 });
    expect(newest?.dateSent).toBeInstanceOf(Date);
  });
});
