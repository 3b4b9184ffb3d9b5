// TwilioProvider against Twilio with TEST credentials: the local emulator by default, or the real
// https://api.twilio.com when TWILIO_TEST_ACCOUNT_SID and TWILIO_TEST_AUTH_TOKEN are set (CI secrets).
// No msw in this file: the emulator is a real HTTP server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError, type SmsErrorCode } from '../../src/errors.js';
import { TwilioProvider } from '../../src/providers/twilio.js';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/testing/index.js';
import type { ProviderOptions } from '../../src/types.js';

const REAL_SID = process.env.TWILIO_TEST_ACCOUNT_SID ?? '';
const REAL_TOKEN = process.env.TWILIO_TEST_AUTH_TOKEN ?? '';
const REAL = REAL_SID !== '' && REAL_TOKEN !== '';

// The SDK reads these from the environment: never let a developer's live credentials leak into the suite.
delete process.env.TWILIO_ACCOUNT_SID;
delete process.env.TWILIO_AUTH_TOKEN;

const VALID_FROM = '+15005550006';
const REGULAR_TO = '+14155552671';

let emulator: TwilioEmulator | undefined;
let target: { accountSid: string; authToken: string; options: ProviderOptions };

beforeAll(async () => {
  if (REAL) {
    console.info('Twilio integration suite: running against https://api.twilio.com with test credentials');
    target = { accountSid: REAL_SID, authToken: REAL_TOKEN, options: { timeoutMs: 15_000 } };
  } else {
    emulator = await startTwilioEmulator({ statusCallbacks: false });
    target = {
      accountSid: emulator.accountSid,
      authToken: emulator.authToken,
      options: { apiBaseUrl: emulator.url, timeoutMs: 5_000 },
    };
  }
});
afterAll(() => emulator?.close());

const provider = (fromNumber = VALID_FROM, authToken = target.authToken) =>
  new TwilioProvider({ accountSid: target.accountSid, authToken, fromNumber }, target.options);

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to reject');
}

describe(`Twilio test credentials (${REAL ? 'api.twilio.com' : 'emulator'})`, () => {
  it('sends From +15005550006 to a regular number → queued, SID returned', async () => {
    const before = emulator?.messages.length ?? 0;
    const result = await provider().send({ to: REGULAR_TO, body: 'Your code is 4821' });
    expect(result).toEqual({
      messageId: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      provider: 'twilio',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    });
    if (emulator) {
      expect(emulator.messages.slice(before)).toEqual([
        expect.objectContaining({
          sid: result.messageId,
          from: VALID_FROM,
          to: REGULAR_TO,
          body: 'Your code is 4821',
        }),
      ]);
    }
  });

  it('counts segments of a long UCS-2 body', async () => {
    const result = await provider().send({ to: REGULAR_TO, body: 'नमस्ते '.repeat(20) });
    expect(result).toMatchObject({ encoding: 'UCS-2', segments: 3 });
  });

  it('invalid To +15005550001 → invalid_recipient, providerCode 21211', async () => {
    const err = await rejection(provider().send({ to: '+15005550001', body: 'hi' }));
    expect(err).toMatchObject({
      code: 'invalid_recipient',
      providerCode: 21211,
      httpStatus: 400,
      provider: 'twilio',
      outcome: 'not_sent',
      retryable: false,
    });
  });

  const toRows: [string, number, SmsErrorCode][] = [
    ['+15005550002', 21612, 'recipient_unreachable'],
    ['+15005550003', 21408, 'permission_denied'],
    ['+15005550004', 21610, 'recipient_opted_out'],
    ['+15005550009', 21614, 'invalid_recipient'],
  ];
  it.each(toRows)('To %s → providerCode %i → %s', async (to, providerCode, code) => {
    const err = await rejection(provider().send({ to, body: 'hi' }));
    expect(err).toMatchObject({ code, providerCode, httpStatus: 400, outcome: 'not_sent' });
  });

  const fromRows: [string, number, SmsErrorCode, boolean][] = [
    ['+15005550001', 21212, 'invalid_sender', false],
    ['+15005550007', 21606, 'invalid_sender', false],
    ['+15005550008', 21611, 'sender_queue_full', true],
    ['+14155550100', 21606, 'invalid_sender', false], // any other From: not owned by the test account
  ];
  it.each(fromRows)('From %s → providerCode %i → %s', async (from, providerCode, code, retryable) => {
    const err = await rejection(provider(from).send({ to: REGULAR_TO, body: 'hi' }));
    expect(err).toMatchObject({ code, providerCode, httpStatus: 400, outcome: 'not_sent', retryable });
  });

  it('verify() resolves with the test credentials (Twilio answers 403 / 20008)', async () => {
    await expect(provider().verify()).resolves.toBeUndefined();
  });

  it('verify() rejects authentication_failed with a wrong token (401 / 20003)', async () => {
    const err = await rejection(provider(VALID_FROM, 'f'.repeat(32)).verify());
    expect(err).toMatchObject({ code: 'authentication_failed', providerCode: 20003, httpStatus: 401 });
    expect(JSON.stringify(err)).not.toContain('f'.repeat(32));
  });

  it('send() with a wrong token → authentication_failed, nothing sent', async () => {
    const before = emulator?.messages.length ?? 0;
    const err = await rejection(provider(VALID_FROM, 'f'.repeat(32)).send({ to: REGULAR_TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'authentication_failed', providerCode: 20003, outcome: 'not_sent' });
    if (emulator) expect(emulator.messages).toHaveLength(before);
  });

  // Real test credentials reject MessagingServiceSid; only a live account (emulated here) accepts it.
  it.skipIf(REAL)(
    'MessagingServiceSid as fromNumber → accepted (emulator only: test credentials reject it)',
    async () => {
      const mg = `MG${'0123456789abcdef'.repeat(2)}`;
      const result = await provider(mg).send({ to: REGULAR_TO, body: 'via a messaging service' });
      expect(result).toMatchObject({
        status: 'accepted',
        segments: 1,
        messageId: expect.stringMatching(/^SM/),
      });
      expect(emulator?.messages.at(-1)).toMatchObject({
        from: null,
        messagingServiceSid: mg,
        status: 'accepted',
      });
    },
  );
});
