import { describe, expect, it } from 'vitest';
import { isSmsError } from '../errors.js';
import { Msg91Provider } from '../providers/msg91.js';
import { createPlatformDefaultFromEnv } from './platform-default.js';

const KEY = '412345ABCDEFabcdef0123456789';
const env = { MSG91_AUTH_KEY: KEY, MSG91_TEMPLATE_ID: '65f1c0ffee', MSG91_SENDER_ID: 'LDMTRX' };

const errorOf = (e: Record<string, string | undefined>) => {
  try {
    createPlatformDefaultFromEnv(e);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
};

describe('createPlatformDefaultFromEnv', () => {
  it('builds the MSG91 provider from the environment', () => {
    const p = createPlatformDefaultFromEnv({ ...env, MSG91_API_BASE_URL: 'http://127.0.0.1:9' });
    expect(p).toBeInstanceOf(Msg91Provider);
    expect(p.name).toBe('msg91');
    expect(
      createPlatformDefaultFromEnv({ MSG91_AUTH_KEY: KEY, MSG91_TEMPLATE_ID: 't1', MSG91_SENDER_ID: '' })
        .name,
    ).toBe('msg91');
  });

  it('names each missing variable', () => {
    const e = errorOf({});
    expect(isSmsError(e) && e.code).toBe('invalid_config');
    expect(e.message).toMatch(/MSG91_AUTH_KEY is required/);
    expect(e.message).toMatch(/MSG91_TEMPLATE_ID is required/);
    expect(errorOf({ ...env, MSG91_AUTH_KEY: '   ' }).message).toMatch(/MSG91_AUTH_KEY is required/);
    expect(errorOf({ ...env, MSG91_TEMPLATE_ID: undefined }).message).not.toMatch(/MSG91_AUTH_KEY/);
  });

  it('rejects bad values without ever printing the key', () => {
    for (const bad of [
      { ...env, MSG91_SENDER_ID: 'TOOLONG1' },
      { ...env, MSG91_API_BASE_URL: 'ftp://x' },
      { ...env, MSG91_BODY_VARIABLE: 'no spaces allowed' },
    ]) {
      const e = errorOf(bad);
      expect(isSmsError(e) && e.code).toBe('invalid_config');
      expect(e.message).toMatch(/MSG91_(SENDER_ID|API_BASE_URL|BODY_VARIABLE)/);
      expect(e.message).not.toContain(KEY);
      expect(JSON.stringify(e)).not.toContain(KEY);
    }
  });
});
