// Issue 13, items 17–18 (secrets and the console): the original reproductions, re-run against the BUILT entries.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import {
  createConfigCipher,
  createPlatformDefaultFromEnv,
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsProviderResolver,
  createSmsSender,
  createStatusWebhookHandler,
  Msg91Provider,
  openDatabase,
  parseKeyRing,
  TwilioProvider,
} from '@leadmetrics/provider-sms';
import { startSmsInbox, startTwilioEmulator } from '@leadmetrics/provider-sms/testing';
import { describe, expect, it } from 'vitest';

const KEY = randomBytes(32);
const KEY_B64 = KEY.toString('base64');
const TWILIO_TOKEN = `tok${randomBytes(15).toString('hex')}`;
const MSG91_KEY = `m91${randomBytes(12).toString('hex')}`;
const DB_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const MSG91_SECRET = `hook-${randomBytes(8).toString('hex')}`;
const SERVER = Boolean(process.env.DATABASE_URL);
const urlWithPassword = () => {
  const u = new URL(process.env.DATABASE_URL ?? '');
  u.password = DB_PASSWORD;
  return u.toString();
};
// The key bytes as a Buffer prints them: JSON (a number array) and util.inspect (spaced hex).
const KEY_JSON = [...KEY.subarray(0, 8)].join(',');
const KEY_SPACED_HEX = [...KEY.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const SECRETS = [
  KEY_B64,
  KEY.toString('hex'),
  KEY_JSON,
  KEY_SPACED_HEX,
  TWILIO_TOKEN,
  MSG91_KEY,
  DB_PASSWORD,
  MSG91_SECRET,
];

/** Every way a user prints an object: JSON.stringify and util.inspect (deep, hidden fields too). */
function printed(value: unknown): string {
  let json = '';
  try {
    json = JSON.stringify(value) ?? '';
  } catch (e) {
    json = String(e);
  }
  return [
    json,
    inspect(value, { depth: 8, showHidden: true, getters: false }),
    inspect(value, { depth: 8 }),
    String(value),
  ].join('\n');
}

const expectNoSecret = (name: string, value: unknown) => {
  const out = printed(value);
  for (const s of SECRETS) expect(out.includes(s), `${name} prints a secret`).toBe(false);
};

describe('secrets', () => {
  it('item 17: JSON.stringify(parseKeyRing(…)) and inspect of the cipher hold no key bytes', () => {
    const ring = parseKeyRing(`k1:${KEY_B64}`);
    expect(JSON.stringify(ring)).toContain('k1');
    expectNoSecret('parseKeyRing', ring);
    // the check itself sees raw key bytes however they are printed
    expect(() => expectNoSecret('a raw ring', { keys: { k1: KEY } })).toThrow();
    expect(() => expectNoSecret('raw base64', { k: KEY_B64 })).toThrow();
    expectNoSecret('createConfigCipher', createConfigCipher(ring));
  });

  // A pg pool connects at open: this reproduction needs the real server (trust auth ignores the password).
  it.runIf(SERVER)(
    'item 17: util.inspect(openDatabase(DATABASE_URL with a password)) shows no password',
    async () => {
      const database = await openDatabase({ databaseUrl: urlWithPassword() });
      try {
        expectNoSecret('openDatabase', database);
        expect(inspect(database)).not.toContain(DB_PASSWORD);
      } finally {
        await database.close();
      }
    },
  );

  it('item 17: every public factory’s result redacts itself in toJSON and util.inspect', async () => {
    const cipher = createConfigCipher(parseKeyRing(`k1:${KEY_B64}`));
    const database = await openDatabase({ databaseUrl: SERVER ? urlWithPassword() : undefined });
    try {
      if (SERVER) expectNoSecret('openDatabase', database);
      const store = createPostgresConfigStore(database.db);
      const twilio = new TwilioProvider({
        accountSid: `AC${'1'.repeat(32)}`,
        authToken: TWILIO_TOKEN,
        fromNumber: '+15005550006',
      });
      const msg91 = new Msg91Provider({ authKey: MSG91_KEY, templateId: 'tpl-1' });
      const fromEnv = createPlatformDefaultFromEnv({ MSG91_AUTH_KEY: MSG91_KEY, MSG91_TEMPLATE_ID: 'tpl-1' });
      const resolver = createSmsProviderResolver({ store, cipher, platformDefault: msg91 });
      const results: Record<string, unknown> = {
        store,
        twilio,
        msg91,
        fromEnv,
        resolver,
        service: createSmsConfigService({ store, cipher, resolver }),
        sender: createSmsSender({ resolver, platformDefault: msg91, failover: 'platform-default' }),
        webhooks: createStatusWebhookHandler({
          store,
          cipher,
          msg91Secret: MSG91_SECRET,
          onEvent: () => undefined,
        }),
      };
      for (const [name, value] of Object.entries(results)) expectNoSecret(name, value);
    } finally {
      await database.close();
    }
  });
});

/** Whether this machine can bind `host` (e.g. ::1 without IPv6). */
async function canBind(host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

function get(host: string, port: number, hostHeader: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: '/', headers: { host: hostHeader } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the inbox console', () => {
  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])(
    'item 18: the DNS-rebinding guard holds when the inbox binds %s',
    async (host) => {
      if (!(await canBind(host === 'localhost' ? '127.0.0.1' : host))) return; // no IPv6 here
      const twilio = await startTwilioEmulator({ statusCallbacks: false });
      const inbox = await startSmsInbox({ twilio, host, port: 0 });
      try {
        const url = new URL(inbox.url);
        const connectTo = url.hostname.replace(/^\[|\]$/g, '');
        const port = Number(url.port);
        expect(await get(connectTo, port, 'evil.example')).toBeGreaterThanOrEqual(400);
        expect(await get(connectTo, port, `evil.example:${port}`)).toBeGreaterThanOrEqual(400);
        expect(await get(connectTo, port, url.host)).toBe(200);
      } finally {
        await inbox.close();
        await twilio.close();
      }
    },
  );
});
