import { describe, expect, it } from 'vitest';
import { isSmsError } from './errors.js';
import { checkMessage, countSegments, normalizeRecipient } from './message.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isSmsError(e) ? `${e.code}: ${e.message}` : 'not an SmsError';
  }
}

describe('normalizeRecipient', () => {
  it('strips spaces, dashes, dots and parentheses', async () => {
    expect(await normalizeRecipient(' +1 (415) 555-2671 ')).toBe('+14155552671');
    expect(await normalizeRecipient('+91.98765.43210')).toBe('+919876543210');
  });

  it('rejects numbers without a leading + (no region is guessed), junk and impossible numbers', async () => {
    expect(await codeOf(normalizeRecipient('9876543210'))).toMatch(
      /^invalid_recipient: message\.to must start/,
    );
    expect(await codeOf(normalizeRecipient('+1abc'))).toMatch(/^invalid_recipient/);
    expect(await codeOf(normalizeRecipient('+12'))).toMatch(/^invalid_recipient/);
    expect(await codeOf(normalizeRecipient(42))).toMatch(/^invalid_recipient: message\.to must be a string/);
  });
});

describe('countSegments', () => {
  it('follows GSM-7 and UCS-2 concatenation limits', async () => {
    expect(await countSegments('a'.repeat(160))).toEqual({ segments: 1, encoding: 'GSM-7' });
    expect(await countSegments('a'.repeat(161))).toEqual({ segments: 2, encoding: 'GSM-7' });
    expect(await countSegments('a'.repeat(306))).toEqual({ segments: 2, encoding: 'GSM-7' });
    expect(await countSegments('a'.repeat(307))).toEqual({ segments: 3, encoding: 'GSM-7' });
    expect(await countSegments('€'.repeat(80))).toEqual({ segments: 1, encoding: 'GSM-7' });
    expect(await countSegments('€'.repeat(81))).toEqual({ segments: 2, encoding: 'GSM-7' });
    expect(await countSegments('ж'.repeat(70))).toEqual({ segments: 1, encoding: 'UCS-2' });
    expect(await countSegments('ж'.repeat(71))).toEqual({ segments: 2, encoding: 'UCS-2' });
    expect(await countSegments('😀'.repeat(35))).toEqual({ segments: 1, encoding: 'UCS-2' });
  });
});

describe('checkMessage', () => {
  it('accepts a valid message and reports segments and encoding', async () => {
    expect(await checkMessage({ to: '+14155552671', body: 'Your code is 4821' })).toEqual({
      to: '+14155552671',
      body: 'Your code is 4821',
      segments: 1,
      encoding: 'GSM-7',
    });
  });

  it('rejects empty and over-long bodies and bad templates, naming the field', async () => {
    expect(await codeOf(checkMessage({ to: '+14155552671', body: '' }))).toBe(
      'invalid_message: message.body is empty',
    );
    expect(await codeOf(checkMessage({ to: '+14155552671', body: '   ' }))).toMatch(/^invalid_message/);
    expect(await codeOf(checkMessage({ to: '+14155552671', body: 'x'.repeat(1600) }))).toBe('ok');
    expect(await codeOf(checkMessage({ to: '+14155552671', body: 'x'.repeat(1601) }))).toMatch(
      /^invalid_message: message\.body is 1601 characters/,
    );
    const bad = { to: '+14155552671', body: 'x', template: { variables: { otp: 5 } } } as never;
    expect(await codeOf(checkMessage(bad))).toBe(
      'invalid_message: message.template.variables.otp must be a string',
    );
    expect(await codeOf(checkMessage(null as never))).toMatch(/^invalid_message/);
  });
});

describe('countSegments fast path', () => {
  it('agrees with the segment calculator for every length and character of its alphabet', async () => {
    const { SegmentedMessage } = await import('sms-segments-calculator');
    const alphabet =
      '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
    for (let len = 0; len <= 1600; len += len < 320 ? 1 : 17) {
      let body = '';
      for (let i = 0; i < len; i++) body += alphabet[(i * 7 + len) % alphabet.length];
      const lib = new SegmentedMessage(body, 'auto');
      expect(await countSegments(body), `length ${len}`).toEqual({
        segments: Math.max(1, lib.segmentsCount),
        encoding: lib.encodingName,
      });
    }
  });
});
