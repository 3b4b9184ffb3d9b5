// Issue 15: validityPeriodSec → ValidityPeriod; sendAt → ScheduleType=fixed + SendAt through a Messaging
// Service only, 15 min – 35 days ahead, else invalid_message and nothing sent. Against the Twilio emulator
// (loopback, port 0); the clock is Date faked by vitest (the in-process emulator reads the same clock).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import { startTwilioEmulator, TWILIO_VALID_FROM, type TwilioEmulator } from '../testing/twilio-emulator.js';
import type { SmsMessage } from '../types.js';
import { TwilioProvider } from './twilio.js';

const MG = `MG${'c'.repeat(32)}`;
const NOW = Date.parse('2026-12-01T09:00:00.000Z');
const MIN = 60_000;
const DAY = 86_400_000;
const message = (fields: Partial<SmsMessage> = {}): SmsMessage => ({
  to: '+14155552671',
  body: 'Your appointment is tomorrow',
  ...fields,
});

let tw: TwilioEmulator;
const provider = (fromNumber: string) =>
  new TwilioProvider(
    { accountSid: tw.accountSid, authToken: tw.authToken, fromNumber },
    { apiBaseUrl: tw.url, timeoutMs: 5_000 },
  );

async function refusal(p: Promise<unknown>): Promise<SmsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isSmsError(e)) throw new Error(`expected an SmsError, got ${String(e)}`);
  return e;
}

beforeAll(async () => {
  delete process.env.TWILIO_ACCOUNT_SID;
  delete process.env.TWILIO_AUTH_TOKEN;
  tw = await startTwilioEmulator({ statusCallbacks: false });
});
afterAll(async () => {
  await tw?.close();
});
beforeEach(() => {
  tw.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TwilioProvider: validityPeriodSec and sendAt', () => {
  it('sends validityPeriodSec as ValidityPeriod (a number on the emulated message)', async () => {
    const r = await provider(TWILIO_VALID_FROM).send(message({ validityPeriodSec: 300 }));
    expect(r.status).toBe('queued');
    expect(tw.messages.map((m) => [m.validityPeriod, m.sendAt])).toEqual([[300, undefined]]);
  });

  it('schedules through a Messaging Service: status scheduled, SendAt recorded (rounded up to the second)', async () => {
    const sendAt = new Date(NOW + 60 * MIN + 250);
    const r = await provider(MG).send(message({ sendAt, validityPeriodSec: 600 }));
    expect(r.status).toBe('scheduled');
    expect(tw.messages).toHaveLength(1);
    expect(tw.messages[0]).toMatchObject({
      status: 'scheduled',
      messagingServiceSid: MG,
      validityPeriod: 600,
      sendAt: new Date(NOW + 60 * MIN + 1_000),
    });
  });

  it('accepts the edges of the window: exactly 15 minutes and exactly 35 days ahead', async () => {
    for (const ahead of [15 * MIN, 35 * DAY]) {
      const r = await provider(MG).send(message({ sendAt: new Date(NOW + ahead) }));
      expect(r.status).toBe('scheduled');
    }
    expect(tw.messages.map((m) => m.sendAt?.getTime())).toEqual([NOW + 15 * MIN, NOW + 35 * DAY]);
  });

  it('refuses a schedule from a phone number or an alphanumeric sender: invalid_message, nothing sent', async () => {
    for (const from of [TWILIO_VALID_FROM, 'LEADMTRX']) {
      const e = await refusal(provider(from).send(message({ sendAt: new Date(NOW + 60 * MIN) })));
      expect(e).toMatchObject({ code: 'invalid_message', outcome: 'not_sent', provider: 'twilio' });
      expect(e.message).toMatch(
        /^message\.sendAt needs a Messaging Service sender \(config\.fromNumber MG…\)/,
      );
    }
    expect([tw.received, tw.messages.length, tw.rejected.length]).toEqual([0, 0, 0]);
  });

  it('refuses a sendAt outside 15 minutes – 35 days ahead: invalid_message naming it, nothing sent', async () => {
    for (const ahead of [15 * MIN - 1_000, 0, -MIN, 35 * DAY + 1_000]) {
      const e = await refusal(provider(MG).send(message({ sendAt: new Date(NOW + ahead) })));
      expect(e).toMatchObject({ code: 'invalid_message', outcome: 'not_sent', retryable: false });
      expect(e.message).toMatch(/^message\.sendAt must be 15 minutes to 35 days ahead; it is \d+ s /);
    }
    expect(tw.received).toBe(0);
  });
});
