import { describe, expect, it } from 'vitest';
import { isSmsError } from './errors.js';
import { cachedRecipientCount, checkMessage, MAX_CACHED_RECIPIENTS, normalizeRecipient } from './message.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: unknown) => (isSmsError(e) ? e.code : 'not an SmsError'),
  );
}

// normalizeRecipient remembers recipients that passed (the check is pure); these pin what the memo may not change.
describe('remembered recipient checks', () => {
  it('a remembered recipient gives the same E.164 form; a bad number is still rejected every time', async () => {
    expect(await normalizeRecipient(' +1 (415) 555-2671 ')).toBe('+14155552671');
    expect(await normalizeRecipient(' +1 (415) 555-2671 ')).toBe('+14155552671');
    expect((await checkMessage({ to: ' +1 (415) 555-2671 ', body: 'hi' })).to).toBe('+14155552671');
    for (let i = 0; i < 3; i++) {
      // +12 fails the library's possible-number test, 12345 has no "+": neither may ever be remembered.
      expect(await codeOf(normalizeRecipient('+12'))).toBe('invalid_recipient');
      expect(await codeOf(checkMessage({ to: '+12', body: 'hi' }))).toBe('invalid_recipient');
      expect(await codeOf(normalizeRecipient('12345'))).toBe('invalid_recipient');
    }
    // A near miss of a remembered number is checked on its own.
    expect(await codeOf(normalizeRecipient('+14155552672'))).toBe('ok');
    expect(await codeOf(normalizeRecipient('+1 (415) 555-2671x'))).toBe('invalid_recipient');
  });

  it('a remembered recipient still names the provider of the failure that follows it (body checks still run)', async () => {
    await normalizeRecipient('+14155552671');
    const err = await checkMessage({ to: '+14155552671', body: '' }, 'twilio').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSmsError(err) && [err.code, err.provider]).toEqual(['invalid_message', 'twilio']);
    expect(await codeOf(checkMessage({ to: '+14155552671', body: 'a\uD800b' }))).toBe('invalid_message');
  });

  it('is bounded: never more than MAX_CACHED_RECIPIENTS entries, the oldest dropped first', async () => {
    for (let i = 0; i < MAX_CACHED_RECIPIENTS + 50; i++) {
      await normalizeRecipient(`+1415${String(10_000_000 + i).slice(1)}`);
    }
    expect(cachedRecipientCount()).toBe(MAX_CACHED_RECIPIENTS);
    // Dropped ones are checked again (and pass again).
    expect(await normalizeRecipient('+14150000000')).toBe('+14150000000');
    expect(cachedRecipientCount()).toBe(MAX_CACHED_RECIPIENTS);
  });
});
