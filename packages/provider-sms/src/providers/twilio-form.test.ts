import { expect, it } from 'vitest';
import { encodeTwilioForm } from './twilio-http-client.js';

// The encoder must give byte for byte what it gave when it was built on URLSearchParams (kept here as the reference).
const reference = (values: Record<string, unknown>) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) out.append(k, String(v));
  return out.toString().replace(/\+/g, '%20');
};

it('encodeTwilioForm equals URLSearchParams with %20 for every BMP code unit, lone surrogates and astral text', () => {
  for (let start = 0; start < 0x10000; start += 512) {
    let text = '';
    for (let c = start; c < start + 512; c++) text += String.fromCharCode(c);
    expect(encodeTwilioForm({ Body: text, [text.slice(0, 40)]: 'k' })).toBe(
      reference({ Body: text, [text.slice(0, 40)]: 'k' }),
    );
  }
  const samples = [
    "!'()~*-._ +&=%#?/",
    'a\uD800b',
    '\uDC00',
    '😀 ж €',
    '',
    '+14155552671',
    'Your code is 4821',
    'a_b-c.d*e+f g',
    'MG0123456789abcdef',
  ];
  for (const s of samples) expect(encodeTwilioForm({ To: s, Body: s })).toBe(reference({ To: s, Body: s }));
});

it('encodeTwilioForm equals URLSearchParams for text of letters, digits, "*-._", "+" and " " (none of the five extra characters)', () => {
  const alphabet = 'aZ09_*.-+ ';
  for (let n = 0; n < 2000; n++) {
    let text = '';
    for (let i = 0, len = n % 23; i < len; i++) text += alphabet[(n * 7 + i * 13) % alphabet.length];
    expect(encodeTwilioForm({ [text]: text })).toBe(reference({ [text]: text }));
  }
});

it('encodeTwilioForm: repeated keys for arrays, Dates as ISO, objects as JSON, undefined skipped, null empty', () => {
  const at = new Date(Date.UTC(2026, 11, 24, 9));
  expect(encodeTwilioForm({ A: ['x', 'y'], B: at, C: { k: 1 }, D: undefined, E: null })).toBe(
    'A=x&A=y&B=2026-12-24T09%3A00%3A00.000Z&C=%7B%22k%22%3A1%7D&E=',
  );
  expect(encodeTwilioForm(undefined)).toBe('');
});
