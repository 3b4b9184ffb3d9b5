import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startTwilioEmulator } from '../twilio-emulator.js';
import { startSmsInbox } from './inbox.js';
import { hostGuard, isLoopbackHost } from './loopback-host.js';

/** GETs /api/messages from `url`'s server with the given Host header; resolves with the status. */
function getWithHost(url: string, host: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: '/api/messages', headers: { host } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    '::1',
    '[::1]',
    'localhost',
    'LOCALHOST',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (h) => expect(isLoopbackHost(h)).toBe(true));
  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.evil.example', 'localhost.evil.example', ''])(
    '%s is not loopback',
    (h) => expect(isLoopbackHost(h)).toBe(false),
  );
});

describe('hostGuard', () => {
  it.each(['127.0.0.2', '::1', 'localhost'])(
    'bound to %s: refuses a foreign Host, accepts loopback ones',
    (bind) => {
      const allowed = hostGuard(bind, () => 4012);
      expect(allowed('evil.example:4012')).toBe(false);
      expect(allowed('127.0.0.1.nip.io:4012')).toBe(false);
      expect(allowed(undefined)).toBe(false);
      expect(allowed('127.0.0.2:4013')).toBe(false);
      expect(allowed('127.0.0.2:4012')).toBe(true);
      expect(allowed('[::1]:4012')).toBe(true);
      expect(allowed('localhost:4012')).toBe(true);
    },
  );
  it('bound beyond loopback on purpose: any Host', () => {
    expect(hostGuard('0.0.0.0', () => 4012)('evil.example')).toBe(true);
  });
});

describe('the inbox refuses a foreign Host on every loopback bind address', () => {
  it.each(['127.0.0.2', '::1', 'localhost'])('bound to %s', async (host) => {
    const tw = await startTwilioEmulator();
    const inbox = await startSmsInbox({ twilio: tw, host, port: 0 });
    try {
      const port = new URL(inbox.url).port;
      expect(await getWithHost(inbox.url, `evil.example:${port}`)).toBe(421);
      expect(await getWithHost(inbox.url, `localhost:${port}`)).toBe(200);
    } finally {
      await inbox.close();
      await tw.close();
    }
  });
});
