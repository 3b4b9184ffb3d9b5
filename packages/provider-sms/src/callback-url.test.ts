import { describe, expect, it } from 'vitest';
import { checkCallbackUrl } from './callback-url.js';
import { isSmsError } from './errors.js';

const check = (value: unknown, base = false) =>
  checkCallbackUrl(value, { option: 'options.statusCallbackUrl', base });

function refusal(value: unknown, base = false) {
  try {
    check(value, base);
  } catch (e) {
    expect(isSmsError(e)).toBe(true);
    return e as { code: string; message: string };
  }
  throw new Error(`expected ${String(value)} to be refused`);
}

describe('checkCallbackUrl', () => {
  it.each([
    ['https://hooks.example.com/cb', 'https://hooks.example.com/cb'],
    ['https://hooks.example.com/cb/', 'https://hooks.example.com/cb/'],
    ['https://HOOKS.Example.COM/cb', 'https://hooks.example.com/cb'],
    ['https://hooks.example.com:443/cb', 'https://hooks.example.com/cb'],
    ['http://127.0.0.1:8080/cb', 'http://127.0.0.1:8080/cb'],
    ['HTTPS://hooks.example.com', 'https://hooks.example.com/'],
    ['https://hooks.example.com/caf%C3%A9?x=1', 'https://hooks.example.com/caf%C3%A9?x=1'],
  ])('accepts %s and returns what will be sent: %s', (input, sent) => {
    expect(check(input)).toBe(sent);
  });

  it.each([
    'hooks.example.com/cb',
    '/webhooks/status',
    'ftp://hooks.example.com/cb',
    'https://hooks.example.com/a b',
    ' https://hooks.example.com/cb',
    'https://hooks.example.com/café',
    'https://exämple.com/cb',
    'https://hooks.example.com/cb\n',
    'http:/hooks.example.com/cb',
    'http:hooks.example.com/cb',
    'https:\\\\hooks.example.com\\cb',
    'https://',
    'javascript:alert(1)',
    '',
    42,
    null,
  ])('refuses %j as invalid_config naming the option, without echoing it', (value) => {
    const err = refusal(value);
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain('options.statusCallbackUrl');
    if (typeof value === 'string' && value.length > 8) expect(err.message).not.toContain(value.trim());
  });

  it('a base URL also refuses a query, a fragment or credentials (a plain URL may have them)', () => {
    for (const value of [
      'https://hooks.example.com/cb?x=1',
      'https://hooks.example.com/cb?',
      'https://hooks.example.com/cb#frag',
      'https://user:secret-pass@hooks.example.com/cb',
    ]) {
      const err = refusal(value, true);
      expect(err.code).toBe('invalid_config');
      expect(err.message).not.toContain('secret-pass');
      expect(check(value)).toBe(new URL(value).href);
    }
  });
});
