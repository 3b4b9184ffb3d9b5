import { describe, expect, it } from 'vitest';
import type { EmulatorFault } from './emulator-fault.js';
import { twilioHandlers } from './msw-handlers.js';
import { startTwilioEmulator } from './twilio-emulator.js';

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
      ];
      for (const fault of faults) {
        expect(() => tw.inject(fault)).not.toThrow();
      }
    } finally {
      await tw.close();
    }
  });
});
