import { describe, expect, it } from 'vitest';
import { isSmsError } from '../errors.js';
import { Msg91Provider } from '../providers/msg91.js';
import { TwilioProvider } from '../providers/twilio.js';
import type { EmulatorFault } from './emulator-fault.js';
import { startMsg91Emulator } from './msg91-emulator.js';
import { twilioHandlers } from './msw-handlers.js';
import { startTwilioEmulator, TWILIO_VALID_FROM } from './twilio-emulator.js';

describe('inject(fault): unknown shapes throw instead of being ignored', () => {
  it.each([
    [{ resetSocket: true }, /resetSocket must be 'before-response' or 'mid-response'/],
    [{ bogus: 1 }, /unknown key "bogus"/],
    [{ status: 42 }, /status must be an integer HTTP status/],
    [{ status: 500, json: {}, text: 'x' }, /json or text, not both/],
    [{ delayMs: -1 }, /delayMs must be/],
    [{ delayMs: 2 ** 31 }, /delayMs must be/],
    [{ times: 0 }, /times must be a positive integer/],
    [{ headers: { 'retry-after': 1 } }, /headers must map header names to strings/],
    [{ resetSocket: 'before-response', status: 503 }, /sends no response/],
    [{ afterRecord: true }, /afterRecord needs status, json or text/],
    [{ afterRecord: 'yes', status: 500 }, /afterRecord must be a boolean/],
    [{ hang: 1 }, /hang must be true/],
    [{ hang: true, status: 500 }, /hang sends no response/],
    [null, /fault must be an object/],
  ])('%j → TypeError', async (fault, message) => {
    const tw = await startTwilioEmulator();
    try {
      expect(() => tw.inject(fault as never)).toThrow(message);
      expect(() => twilioHandlers().inject(fault as never)).toThrow(message);
    } finally {
      await tw.close();
    }
  });

  it('the documented shapes are accepted', async () => {
    const tw = await startTwilioEmulator();
    try {
      const faults: EmulatorFault[] = [
        { status: 503, json: { message: 'down' } },
        { status: 502, text: '<html>', headers: { 'Retry-After': '2' } },
        { delayMs: 10, times: 2 },
        { resetSocket: 'before-response' },
        { resetSocket: 'mid-response', delayMs: 5 },
        { headers: { 'x-extra': '1' } },
        { status: 500, afterRecord: true },
        { status: 503, json: { message: 'down' }, afterRecord: true, resetSocket: 'mid-response' },
        { hang: true, times: 2 },
      ];
      for (const fault of faults) {
        expect(() => tw.inject(fault)).not.toThrow();
      }
    } finally {
      await tw.close();
    }
  });
});

/** The `SmsError` a send rejects with. */
async function sendError(send: () => Promise<unknown>) {
  const err = await send().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSmsError(err)) throw new Error(`expected an SmsError, got ${String(err)}`);
  return err;
}

describe('record-then-fail faults: the message exists, the response fails (outcome unknown)', () => {
  it.each([
    [{ status: 500, afterRecord: true }, 'provider_unavailable'],
    [{ status: 503, text: 'upstream', afterRecord: true }, 'provider_unavailable'],
    [{ hang: true }, 'timeout'],
    [{ resetSocket: 'mid-response' }, 'network'],
  ] as const)('Twilio %j → %s, message recorded', async (fault, code) => {
    const tw = await startTwilioEmulator({ mode: 'live', statusCallbacks: false });
    try {
      const provider = new TwilioProvider(
        { accountSid: tw.accountSid, authToken: tw.authToken, fromNumber: TWILIO_VALID_FROM },
        { apiBaseUrl: tw.url, timeoutMs: 300 },
      );
      tw.inject(fault as EmulatorFault);
      const err = await sendError(() => provider.send({ to: '+14155552671', body: 'hi' }));
      expect(err).toMatchObject({ code, outcome: 'unknown' });
      expect(tw.messages).toHaveLength(1);
    } finally {
      await tw.close();
    }
  });

  it.each([
    [{ status: 500, afterRecord: true }, 'provider_unavailable'],
    [{ hang: true }, 'timeout'],
  ] as const)('MSG91 %j → %s, message recorded', async (fault, code) => {
    const m = await startMsg91Emulator({ mode: 'live' });
    try {
      const provider = new Msg91Provider(
        { authKey: m.authKey, templateId: m.templateId },
        { apiBaseUrl: m.url, timeoutMs: 300 },
      );
      m.inject(fault as EmulatorFault);
      const err = await sendError(() => provider.send({ to: '+919876543210', body: 'hi' }));
      expect(err).toMatchObject({ code, outcome: 'unknown' });
      expect(m.messages).toHaveLength(1);
    } finally {
      await m.close();
    }
  });

  it('without afterRecord a replacement records nothing (unchanged)', async () => {
    const tw = await startTwilioEmulator();
    try {
      tw.inject({ status: 500 });
      const res = await fetch(`${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${tw.accountSid}:${tw.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ To: '+14155552671', From: TWILIO_VALID_FROM, Body: 'hi' }).toString(),
      });
      expect(res.status).toBe(500);
      expect(tw.messages).toHaveLength(0);
    } finally {
      await tw.close();
    }
  });
});
