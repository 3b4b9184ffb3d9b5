// Every object the public entry returns that holds a secret redacts itself: neither JSON.stringify nor
// util.inspect (depth Infinity, showHidden) shows a secret it was built with. (The emulator handles of
// /testing are left out on purpose: they exist to hand their test credentials out.)
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const KEY_B64 = Buffer.from('k'.repeat(32)).toString('base64');
const KEY_BYTES_TEXT = Buffer.from('k'.repeat(32)).toString('latin1');
const AUTH_TOKEN = 'twilio-token-Zq81secret';
const ACCOUNT_SID = `AC${'5'.repeat(32)}`;
const MSG91_KEY = 'msg91-key-Pp42secret';
const WEBHOOK_SECRET = 'msg91-hook-Ww77secret';
const DB_PASSWORD = 'db-pass-Yy93secret';
const SECRETS = [KEY_B64, KEY_BYTES_TEXT, AUTH_TOKEN, MSG91_KEY, WEBHOOK_SECRET, DB_PASSWORD];
// The raw key bytes as JSON.stringify prints a Buffer ("data":[107,107,…]) or inspect prints one (6b 6b …).
const KEY_BYTES_JSON = Array(32).fill(107).join(',');
const KEY_BYTES_HEX = Array(16).fill('6b').join(' ');

const toClose: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of toClose.reverse()) await close().catch(() => undefined);
});

function expectRedacted(name: string, value: unknown): void {
  const views = [
    JSON.stringify(value) ?? '',
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    inspect(value, { depth: Number.POSITIVE_INFINITY }),
  ];
  for (const view of views) {
    for (const secret of [...SECRETS, KEY_BYTES_JSON, KEY_BYTES_HEX]) {
      expect(view.includes(secret), `${name} shows ${secret.slice(0, 12)}…: ${view.slice(0, 300)}`).toBe(
        false,
      );
    }
  }
}

/** A database URL with a password: the real server (trust auth ignores it) when DATABASE_URL is set. */
const databaseUrlWithPassword = (): string | undefined => {
  const url = process.env.DATABASE_URL;
  if (!url) return undefined;
  const u = new URL(url);
  u.password = DB_PASSWORD;
  return u.toString();
};

describe('secret-holding objects redact themselves (JSON.stringify, util.inspect)', () => {
  it('every public factory result', async () => {
    const keyRing = api.parseKeyRing(`k1:${KEY_B64}`);
    expectRedacted('parseKeyRing()', keyRing);
    const cipher = api.createConfigCipher(keyRing);
    expectRedacted('createConfigCipher()', cipher);

    const pglite = await api.openDatabase();
    toClose.push(() => pglite.close());
    expectRedacted('openDatabase() [pglite]', pglite);
    await api.migrate(pglite.db);
    const store = api.createPostgresConfigStore(pglite.db);
    expectRedacted('createPostgresConfigStore()', store);

    const twilio = new api.TwilioProvider({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      fromNumber: '+15005550006',
    });
    expectRedacted('TwilioProvider', twilio);
    const msg91 = new api.Msg91Provider({ authKey: MSG91_KEY, templateId: 'tmpl-1' });
    expectRedacted('Msg91Provider', msg91);
    const platformDefault = api.createPlatformDefaultFromEnv({
      MSG91_AUTH_KEY: MSG91_KEY,
      MSG91_TEMPLATE_ID: 'tmpl-1',
    });
    expectRedacted('createPlatformDefaultFromEnv()', platformDefault);

    const resolver = api.createSmsProviderResolver({ store, cipher, platformDefault });
    expectRedacted('createSmsProviderResolver()', resolver);
    const service = api.createSmsConfigService({ store, cipher, resolver });
    expectRedacted('createSmsConfigService()', service);
    const sender = api.createSmsSender({ resolver, platformDefault });
    expectRedacted('createSmsSender()', sender);
    const handler = api.createStatusWebhookHandler({
      onEvent: () => undefined,
      store,
      cipher,
      msg91Secret: WEBHOOK_SECRET,
      loadTwilioAuth: async () => ({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
    });
    expectRedacted('createStatusWebhookHandler()', handler);
    expectRedacted('toNodeListener()', api.toNodeListener(handler));
    const listener = await api.listenForChanges(pglite.db, resolver);
    toClose.push(() => listener.close());
    expectRedacted('listenForChanges()', listener);

    const url = databaseUrlWithPassword();
    if (url) {
      const postgres = await api.openDatabase({ databaseUrl: url });
      toClose.push(() => postgres.close());
      // A pooled connection holds its parameters (the password among them): check one exists.
      await postgres.db.query('SELECT 1');
      expectRedacted('openDatabase() [postgres]', postgres);
      const listen = await postgres.openListenConnection();
      toClose.push(() => listen.close());
      expectRedacted('openListenConnection() [postgres]', listen);
    }
  }, 60_000);
});
