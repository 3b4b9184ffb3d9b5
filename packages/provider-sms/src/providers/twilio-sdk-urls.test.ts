// rememberSdkUrls on the real twilio SDK: every wrapped method answers what the SDK's own method answers,
// whatever the order of calls, and the URL a send goes to is unchanged.
import { describe, expect, it } from 'vitest';
import { rememberSdkUrls } from './twilio-sdk-urls.js';

type Fn = (...args: unknown[]) => string;
interface RealClient {
  getHostname: Fn;
  edge?: string;
  region?: string;
  api: { absoluteUrl: Fn; v2010: { relativeUrl: Fn; absoluteUrl: Fn; _version: string } };
}

async function realClient(opts: Record<string, unknown> = {}): Promise<RealClient> {
  const m = (await import('twilio/lib/rest/Twilio.js')) as { default?: unknown };
  const Twilio = (m.default ?? m) as new (
    sid: string,
    token: string,
    o: Record<string, unknown>,
  ) => RealClient;
  return new Twilio(`AC${'a'.repeat(32)}`, 'token', { lazyLoading: true, ...opts });
}

describe('rememberSdkUrls (real SDK)', () => {
  it('wraps getHostname, relativeUrl and absoluteUrl on the client objects, not on the prototypes', async () => {
    const client = await realClient();
    const proto = Object.getPrototypeOf(client.api.v2010).relativeUrl;
    expect(rememberSdkUrls(client)).toBe(true);
    expect(Object.hasOwn(client, 'getHostname')).toBe(true);
    expect(Object.hasOwn(client.api, 'absoluteUrl')).toBe(true);
    expect(Object.hasOwn(client.api.v2010, 'relativeUrl')).toBe(true);
    expect(Object.getPrototypeOf(client.api.v2010).relativeUrl).toBe(proto);
    const other = await realClient();
    expect(Object.hasOwn(other, 'getHostname')).toBe(false);
  });

  it('answers like the SDK for repeated, alternating and changed arguments', async () => {
    const plain = await realClient();
    const remembered = await realClient();
    rememberSdkUrls(remembered);
    const uris = [
      '/Accounts/AC1/Messages.json',
      '/Accounts/AC1/Messages.json',
      '//x//',
      '',
      'a',
      'a',
      '/Accounts/AC1/Messages.json',
    ];
    for (const uri of uris) {
      expect(remembered.api.v2010.relativeUrl(uri)).toBe(plain.api.v2010.relativeUrl(uri));
      expect(remembered.api.v2010.absoluteUrl(uri)).toBe(plain.api.v2010.absoluteUrl(uri));
      expect(remembered.api.absoluteUrl(uri)).toBe(plain.api.absoluteUrl(uri));
    }
    const hosts: [string, string?, string?][] = [
      ['api.twilio.com'],
      ['api.twilio.com'],
      ['api.twilio.com', 'sydney'],
      ['api.twilio.com', 'sydney', 'au1'],
      ['api.twilio.com'],
      ['127.0.0.1'],
      ['api.dublin.ie1.twilio.com'],
    ];
    for (const h of hosts) expect(remembered.getHostname(...h)).toBe(plain.getHostname(...h));
  });

  it('a field changed after the first call is read again (no stale answer)', async () => {
    const client = await realClient();
    rememberSdkUrls(client);
    const before = client.api.v2010.relativeUrl('/x.json');
    client.api.v2010._version = '2099-01-01';
    expect(client.api.v2010.relativeUrl('/x.json')).toBe('2099-01-01/x.json');
    expect(before).toBe('2010-04-01/x.json');
  });

  it('clients share the memo (one wrapper per SDK method, no closure per client), each still gets its own answer', async () => {
    const a = await realClient();
    const b = await realClient();
    rememberSdkUrls(a);
    rememberSdkUrls(b);
    expect(a.api.v2010.relativeUrl).toBe(b.api.v2010.relativeUrl);
    expect(a.getHostname).toBe(b.getHostname);
    b.api.v2010._version = '2099-01-01';
    expect(a.api.v2010.relativeUrl('/y.json')).toBe('2010-04-01/y.json');
    expect(b.api.v2010.relativeUrl('/y.json')).toBe('2099-01-01/y.json');
    expect(a.api.v2010.relativeUrl('/y.json')).toBe('2010-04-01/y.json');
  });

  it('leaves an object without the methods alone (a mocked client)', () => {
    const mocked = { messages: {}, api: { v2010: {} } };
    expect(rememberSdkUrls(mocked)).toBe(false);
    expect(mocked).toEqual({ messages: {}, api: { v2010: {} } });
    expect(rememberSdkUrls(undefined)).toBe(false);
  });
});
