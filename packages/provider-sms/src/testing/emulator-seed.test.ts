import { describe, expect, it } from 'vitest';
import { msg91ConfigSchema, parseConfig, twilioConfigSchema } from '../config/schemas.js';
import { startMsg91Emulator } from './msg91-emulator.js';
import { createTwilioTestAccount, startTwilioEmulator } from './twilio-emulator.js';

/** The credentials of a Twilio and a MSG91 emulator started (then closed) with `seed`. */
async function credentials(seed?: string) {
  const tw = await startTwilioEmulator(seed === undefined ? {} : { seed });
  const m = await startMsg91Emulator(seed === undefined ? {} : { seed });
  await Promise.all([tw.close(), m.close()]);
  return { accountSid: tw.accountSid, authToken: tw.authToken, authKey: m.authKey, templateId: m.templateId };
}

describe('emulator seed', () => {
  it('the same seed gives the same credentials across restarts', async () => {
    const first = await credentials('dev-seed');
    expect(await credentials('dev-seed')).toEqual(first);
    expect(first.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(first.authToken).toMatch(/^[0-9a-f]{32}$/);
    expect(first.templateId).toMatch(/^[0-9a-f]{24}$/);
    // They pass the config schemas, so a config saved against one run keeps working on the next.
    expect(() =>
      parseConfig(
        twilioConfigSchema,
        { accountSid: first.accountSid, authToken: first.authToken, fromNumber: '+15005550006' },
        'twilio',
        'twilio',
      ),
    ).not.toThrow();
    expect(() =>
      parseConfig(
        msg91ConfigSchema,
        { authKey: first.authKey, templateId: first.templateId },
        'msg91',
        'msg91',
      ),
    ).not.toThrow();
  });

  it('another seed, or none, gives other credentials', async () => {
    const a = await credentials('dev-seed');
    const b = await credentials('other-seed');
    const none = await credentials();
    for (const k of ['accountSid', 'authToken', 'authKey', 'templateId'] as const) {
      expect(b[k]).not.toBe(a[k]);
      expect(none[k]).not.toBe(a[k]);
    }
    expect(createTwilioTestAccount('x')).toEqual(createTwilioTestAccount('x'));
  });

  it('refuses an empty seed and a seed together with explicit accounts', async () => {
    await expect(startTwilioEmulator({ seed: '' })).rejects.toThrow(/seed/);
    await expect(startTwilioEmulator({ seed: 's', accounts: [createTwilioTestAccount()] })).rejects.toThrow(
      /accounts or seed/,
    );
  });
});
