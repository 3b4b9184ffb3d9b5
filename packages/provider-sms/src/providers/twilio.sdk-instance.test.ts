// The real twilio SDK (no mock) against the Twilio emulator: instance methods of a message returned by
// messages.create() and by list() reach the API. twilio 6.2.0 threw "Parameter 'sid' is not valid" from
// every one of them before any request (fixed in 6.3.1, the pinned version).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioEmulator, TWILIO_VALID_FROM, type TwilioEmulator } from '../testing/twilio-emulator.js';
import { twilioSdkClientFor } from '../testing/twilio-sdk-test-client.js';

interface MessageInstance {
  sid: string;
  fetch(): Promise<unknown>;
  update(params: Record<string, unknown>): Promise<unknown>;
  remove(): Promise<boolean>;
}
interface Client {
  messages: {
    create(params: Record<string, unknown>): Promise<MessageInstance>;
    list(params?: Record<string, unknown>): Promise<MessageInstance[]>;
  };
  api: { v2010: { accounts(sid: string): { fetch(): Promise<unknown> } } };
}

let tw: TwilioEmulator;
let client: Client;

beforeAll(async () => {
  tw = await startTwilioEmulator({ statusCallbacks: false });
  client = await twilioSdkClientFor<Client>(tw);
});
afterAll(() => tw.close());

/** What an instance method settles with: the emulator's Twilio error (test credentials: 403/20008), or a local one. */
async function outcome(
  p: () => Promise<unknown>,
): Promise<{ status?: number; code?: number; message: string }> {
  try {
    await p();
    return { message: 'resolved' };
  } catch (err) {
    const e = err as { status?: number; code?: number; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
}

async function expectReachedApi(message: MessageInstance) {
  const before = tw.requests.length;
  for (const call of [() => message.fetch(), () => message.update({ body: '' }), () => message.remove()]) {
    const r = await outcome(call);
    expect(r.message).not.toMatch(/Parameter 'sid' is not valid/);
    expect(r).toMatchObject({ status: 403, code: 20008 });
  }
  const paths = tw.requests.slice(before).map((q) => `${q.method} ${q.path}`);
  const uri = `/2010-04-01/Accounts/${tw.accountSid}/Messages/${message.sid}.json`;
  expect(paths).toEqual([`GET ${uri}`, `POST ${uri}`, `DELETE ${uri}`]);
}

describe('twilio SDK message instances (real SDK, emulator)', () => {
  it('the real client has the shape twilio.test.ts mocks: messages.create, api.v2010.accounts(sid).fetch', async () => {
    expect(typeof client.messages.create).toBe('function');
    expect(typeof client.api.v2010.accounts).toBe('function');
    const before = tw.requests.length;
    expect(await outcome(() => client.api.v2010.accounts(tw.accountSid).fetch())).toMatchObject({
      status: 403,
      code: 20008,
    });
    expect(tw.requests.slice(before)).toEqual([
      { method: 'GET', path: `/2010-04-01/Accounts/${tw.accountSid}.json` },
    ]);
  });

  it('a message from messages.create() can call fetch/update/remove', async () => {
    const message = await client.messages.create({ from: TWILIO_VALID_FROM, to: '+14155552671', body: 'hi' });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    await expectReachedApi(message);
  });

  it('a message from list() can call fetch/update/remove', async () => {
    await client.messages.create({ from: TWILIO_VALID_FROM, to: '+14155552671', body: 'listed' });
    const resource = JSON.parse(
      JSON.stringify({ ...tw.messages.at(-1), account_sid: tw.accountSid, api_version: '2010-04-01' }),
    ) as Record<string, unknown>;
    // Test credentials cannot list (403/20008): the emulator answers this one list page by a fault.
    const uri = `/2010-04-01/Accounts/${tw.accountSid}/Messages.json?PageSize=50&Page=0`;
    tw.inject({
      status: 200,
      json: {
        messages: [resource],
        page: 0,
        page_size: 50,
        first_page_uri: uri,
        next_page_uri: null,
        previous_page_uri: null,
        uri,
        start: 0,
        end: 0,
      },
    });
    const listed = await client.messages.list({ limit: 1 });
    expect(listed).toHaveLength(1);
    expect(listed[0]!.sid).toBe(tw.messages.at(-1)!.sid);
    await expectReachedApi(listed[0]!);
  });
});
