import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeTwilioSignature,
  safeEqual,
  twilioSignatureUrlCandidates,
  validateTwilioSignature,
} from './twilio-signature.js';

type Params = Record<string, string | string[]>;
type ValidateRequest = (token: string, header: string, url: string, params: Params) => boolean;
type GetExpected = (token: string, url: string, params: Params) => string;

const sdk = async () => {
  const twilio = (await import('twilio')).default as unknown as {
    validateRequest: ValidateRequest;
    getExpectedTwilioSignature: GetExpected;
  };
  return twilio;
};

const TOKEN = '12345';
// The vector of twilio-node's own webhook tests: this exact URL, params and signature.
const DOC_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOC_PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const DOC_SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

const STATUS_PARAMS = {
  AccountSid: `AC${'a'.repeat(32)}`,
  ApiVersion: '2010-04-01',
  From: '+15005550006',
  MessageSid: `SM${'b'.repeat(32)}`,
  MessageStatus: 'delivered',
  SmsSid: `SM${'b'.repeat(32)}`,
  SmsStatus: 'delivered',
  To: '+14155552671',
};

describe('computeTwilioSignature', () => {
  it("reproduces twilio-node's test vector", () => {
    expect(computeTwilioSignature(TOKEN, DOC_URL, DOC_PARAMS)).toBe(DOC_SIGNATURE);
    expect(validateTwilioSignature(TOKEN, DOC_SIGNATURE, DOC_URL, DOC_PARAMS)).toBe(true);
  });

  it('is base64(HMAC-SHA1(token, url + sorted key+value))', () => {
    const expected = createHmac('sha1', 'tok')
      .update('https://h/x?q=1' + 'A1' + 'B2' + 'a3')
      .digest('base64');
    expect(computeTwilioSignature('tok', 'https://h/x?q=1', { a: '3', B: '2', A: '1' })).toBe(expected);
  });

  it('accepts URLSearchParams (repeated keys) like a record with arrays', () => {
    const form = new URLSearchParams([
      ['k', 'b'],
      ['k', 'a'],
      ['k', 'b'],
      ['z', '1'],
    ]);
    expect(computeTwilioSignature(TOKEN, DOC_URL, form)).toBe(
      computeTwilioSignature(TOKEN, DOC_URL, { k: ['b', 'a', 'b'], z: '1' }),
    );
  });

  it('signs a form without repeated keys as the same record (keys in code-unit order, non-ASCII too)', () => {
    const pairs: [string, string][] = [
      ['b', '2'],
      ['\u{1F600}', 'smile'],
      ['\uFFFF', 'last BMP'],
      ['B', '1'],
      ['é', 'accent'],
      ['a', ''],
      ['Ab', '3'],
    ];
    expect(computeTwilioSignature(TOKEN, DOC_URL, new URLSearchParams(pairs))).toBe(
      computeTwilioSignature(TOKEN, DOC_URL, Object.fromEntries(pairs)),
    );
    const sorted = [...pairs].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([k, v]) => k + v);
    expect(computeTwilioSignature(TOKEN, DOC_URL, new URLSearchParams(pairs))).toBe(
      createHmac('sha1', TOKEN)
        .update(DOC_URL + sorted.join(''))
        .digest('base64'),
    );
  });

  it('gives the same signature as the SDK for many vectors', async () => {
    const twilio = await sdk();
    const vectors: [string, Params][] = [
      [DOC_URL, DOC_PARAMS],
      ['https://example.com/hooks/sms/twilio/tenant-1', STATUS_PARAMS],
      ['http://127.0.0.1:8080/twilio/t?x=%20y', STATUS_PARAMS],
      ['https://example.com/', {}],
      ['https://example.com/p', { Body: 'héllo wörld ✓ 👍', 'Key With Space': 'a&b=c' }],
      ['https://example.com/p', { Multi: ['z', 'a', 'z', 'm'], Single: 'x' }],
      ['https://example.com/p', { Empty: '', Multi: [] }],
    ];
    for (const [url, params] of vectors) {
      expect(computeTwilioSignature(TOKEN, url, params)).toBe(
        twilio.getExpectedTwilioSignature(TOKEN, url, params),
      );
    }
  });

  it('agrees with the SDK on arbitrary params (property)', async () => {
    const twilio = await sdk();
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 4 }))),
        (token, params) => {
          const url = 'https://example.com/a?b=c';
          return (
            computeTwilioSignature(token, url, params) ===
            twilio.getExpectedTwilioSignature(token, url, params)
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('validateTwilioSignature', () => {
  const url = 'https://hooks.example.com/sms/twilio/tenant-1?region=in';
  const sig = computeTwilioSignature(TOKEN, url, STATUS_PARAMS);

  it('accepts a valid signature', () => {
    expect(validateTwilioSignature(TOKEN, sig, url, STATUS_PARAMS)).toBe(true);
  });

  it('rejects a wrong token, a changed param, an added param, a changed URL, a missing header', () => {
    expect(validateTwilioSignature('54321', sig, url, STATUS_PARAMS)).toBe(false);
    expect(validateTwilioSignature(TOKEN, sig, url, { ...STATUS_PARAMS, MessageStatus: 'failed' })).toBe(
      false,
    );
    expect(validateTwilioSignature(TOKEN, sig, url, { ...STATUS_PARAMS, ErrorCode: '30003' })).toBe(false);
    expect(validateTwilioSignature(TOKEN, sig, url.replace('tenant-1', 'tenant-2'), STATUS_PARAMS)).toBe(
      false,
    );
    expect(validateTwilioSignature(TOKEN, sig, url.replace('region=in', 'region=us'), STATUS_PARAMS)).toBe(
      false,
    );
    expect(
      validateTwilioSignature(TOKEN, sig, 'https://hooks.example.com/sms/twilio/tenant-1', STATUS_PARAMS),
    ).toBe(false);
    expect(validateTwilioSignature(TOKEN, undefined, url, STATUS_PARAMS)).toBe(false);
    expect(validateTwilioSignature(TOKEN, null, url, STATUS_PARAMS)).toBe(false);
    expect(validateTwilioSignature(TOKEN, '', url, STATUS_PARAMS)).toBe(false);
    expect(validateTwilioSignature(TOKEN, `${sig}x`, url, STATUS_PARAMS)).toBe(false);
    expect(validateTwilioSignature('', sig, url, STATUS_PARAMS)).toBe(false);
  });

  it('agrees with the SDK validateRequest, incl. port with/without and URL normalization', async () => {
    const twilio = await sdk();
    const signedUrls = [
      'https://example.com/hook',
      'https://example.com:443/hook',
      'http://example.com/hook?x=1',
      'http://example.com:80/hook?x=1',
      'http://localhost:3000/hook',
      'https://user:pw@example.com/hook',
      "https://example.com/hook?name=O'Brien&x=a b",
      'https://example.com/hook?name=O%27Brien',
      'https://[::1]:8443/hook',
      'https://EXAMPLE.com/Hook',
    ];
    const receivedUrls = [
      ...signedUrls,
      'https://example.com:8443/hook',
      'http://example.com/hook',
      "https://example.com/hook?name=O'Brien",
      'https://example.com/hook?x=a%20b',
      'https://example.com/hook?name=O%27Brien&x=a%20b',
      'https://[::1]/hook',
      'https://example.com/hook/',
    ];
    const tokens = [TOKEN, 'other-token'];
    let agreements = 0;
    for (const signed of signedUrls) {
      const header = computeTwilioSignature(TOKEN, signed, STATUS_PARAMS);
      for (const received of receivedUrls) {
        for (const token of tokens) {
          for (const params of [STATUS_PARAMS, { ...STATUS_PARAMS, To: '+14155550000' }]) {
            const ours = validateTwilioSignature(token, header, received, params);
            const theirs = twilio.validateRequest(token, header, received, params);
            expect({ signed, received, token, ours }).toEqual({ signed, received, token, ours: theirs });
            agreements++;
          }
        }
      }
    }
    expect(agreements).toBe(signedUrls.length * receivedUrls.length * 4);
    // Spot checks of what the SDK accepts: the port is optional either way.
    const h = computeTwilioSignature(TOKEN, 'https://example.com/hook', STATUS_PARAMS);
    expect(validateTwilioSignature(TOKEN, h, 'https://example.com:443/hook', STATUS_PARAMS)).toBe(true);
    const h2 = computeTwilioSignature(TOKEN, 'https://example.com:443/hook', STATUS_PARAMS);
    expect(validateTwilioSignature(TOKEN, h2, 'https://example.com/hook', STATUS_PARAMS)).toBe(true);
  });

  it('agrees with the SDK on a repeated key', async () => {
    const twilio = await sdk();
    const params = { ...STATUS_PARAMS, MediaUrl: ['https://b', 'https://a'] };
    const header = twilio.getExpectedTwilioSignature(TOKEN, DOC_URL, params);
    const form = new URLSearchParams(STATUS_PARAMS);
    form.append('MediaUrl', 'https://a');
    form.append('MediaUrl', 'https://b');
    expect(validateTwilioSignature(TOKEN, header, DOC_URL, form)).toBe(true);
    expect(twilio.validateRequest(TOKEN, header, DOC_URL, params)).toBe(true);
  });

  it('does not throw on a URL without a scheme', () => {
    expect(validateTwilioSignature(TOKEN, 'x', 'not a url', {})).toBe(false);
    expect(twilioSignatureUrlCandidates('not a url')).toEqual(['not a url']);
  });
});

describe('safeEqual', () => {
  it('compares without throwing on different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
