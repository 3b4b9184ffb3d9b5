// End to end: TwilioProvider → Twilio emulator → signed status callback → node:http server running
// createStatusWebhookHandler (tenant config from the Postgres store, decrypted with the cipher) → onEvent.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConfigCipher } from '../../src/config/cipher.js';
import { type OpenDatabase, openDatabase } from '../../src/config/database.js';
import { createPostgresConfigStore, type SmsConfigStore } from '../../src/config/store.js';
import { migrate } from '../../src/migrate.js';
import { TwilioProvider } from '../../src/providers/twilio.js';
import {
  createTwilioTestAccount,
  startTwilioEmulator,
  type TwilioEmulator,
} from '../../src/testing/index.js';
import { createStatusWebhookHandler, toNodeListener } from '../../src/webhooks/handler.js';
import type { SmsStatusEvent } from '../../src/webhooks/status.js';
import { computeTwilioSignature } from '../../src/webhooks/twilio-signature.js';

const SCHEMA = `webhooks_it_${process.pid}`;
const MSG91_SECRET = randomBytes(16).toString('hex');
const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const otherAccount = createTwilioTestAccount();

let database: OpenDatabase;
let store: SmsConfigStore;
let emulator: TwilioEmulator;
let server: Server;
let hooks: string; // public base of the handler, e.g. http://127.0.0.1:PORT/hooks/sms
const events: SmsStatusEvent[] = [];

async function saveTwilioConfig(tenantId: string, accountSid: string, authToken: string) {
  const envelope = cipher.encrypt(JSON.stringify({ accountSid, authToken, fromNumber: '+15005550006' }), {
    tenantId,
    channel: 'sms',
    provider: 'twilio',
  });
  await store.upsert({ tenantId, provider: 'twilio' }, envelope);
}

// What the resolver builds from statusCallbackBaseUrl = `${hooks}/twilio`.
const callbackUrl = (tenantId: string) => `${hooks}/twilio/${encodeURIComponent(tenantId)}`;

const provider = (
  tenantId: string,
  account = { accountSid: emulator.accountSid, authToken: emulator.authToken },
) =>
  new TwilioProvider(
    { ...account, fromNumber: '+15005550006' },
    { apiBaseUrl: emulator.url, statusCallbackUrl: callbackUrl(tenantId), timeoutMs: 5_000 },
  );

/** A Twilio-like firer for callbacks the emulator does not send (error codes): signed with our own function. */
async function fire(url: string, authToken: string, params: Record<string, string>) {
  const form = new URLSearchParams(params);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature(authToken, url, form),
    },
    body: form.toString(),
  });
}

beforeAll(async () => {
  database = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
  await migrate(database.db, { schema: SCHEMA });
  store = createPostgresConfigStore(database.db, { schema: SCHEMA });
  emulator = await startTwilioEmulator({ accounts: [createTwilioTestAccount(), otherAccount] });
  const handler = createStatusWebhookHandler({
    store,
    cipher,
    msg91Secret: MSG91_SECRET,
    onEvent: (e) => {
      events.push(e);
    },
  });
  server = createServer(toNodeListener(handler));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  hooks = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sms`;
  await saveTwilioConfig('tenant-a', emulator.accountSid, emulator.authToken);
  await saveTwilioConfig('tenant b/ü', otherAccount.accountSid, otherAccount.authToken);
});

afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await emulator?.close();
  if (database?.kind === 'postgres') await database.db.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await database?.close();
});

beforeEach(() => {
  events.length = 0;
  emulator.reset();
});

describe('status callbacks end to end', () => {
  it('send → emulator fires signed sent/delivered callbacks → onEvent gets them for the tenant', async () => {
    const result = await provider('tenant-a').send({ to: '+14155552671', body: 'Your code is 4821' });
    expect(result.status).toBe('queued');
    expect(emulator.messages[0]!.statusCallback).toBe(callbackUrl('tenant-a'));
    await emulator.settled();
    expect(emulator.callbacks.map((c) => c.responseStatus)).toEqual([200, 200]);
    expect(events.map((e) => [e.provider, e.messageId, e.status, e.tenantId, e.to])).toEqual([
      ['twilio', result.messageId, 'sent', 'tenant-a', '+14155552671'],
      ['twilio', result.messageId, 'delivered', 'tenant-a', '+14155552671'],
    ]);

    // Twilio re-delivering the same callbacks: acknowledged, not passed on again; a late `sent` stays behind.
    for (const c of emulator.callbacks) {
      const res = await fetch(c.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': c.signature },
        body: new URLSearchParams(c.params).toString(),
      });
      expect(res.status).toBe(200);
    }
    expect(events).toHaveLength(2);

    // A replay with other params (tampered) is refused.
    const delivered = emulator.callbacks[1]!;
    const tampered = await fetch(delivered.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': delivered.signature,
      },
      body: new URLSearchParams({
        ...delivered.params,
        MessageStatus: 'failed',
        ErrorCode: '30007',
      }).toString(),
    });
    expect(tampered.status).toBe(403);
    expect(events).toHaveLength(2);
  });

  it('works for a tenant id that needs URL encoding, with its own account', async () => {
    const result = await provider('tenant b/ü', otherAccount).send({ to: '+14155552671', body: 'hi' });
    await emulator.settled();
    expect(events.map((e) => [e.messageId, e.status, e.tenantId])).toEqual([
      [result.messageId, 'sent', 'tenant b/ü'],
      [result.messageId, 'delivered', 'tenant b/ü'],
    ]);
  });

  it("refuses callbacks signed by another tenant's account and for unknown tenants alike (403)", async () => {
    // Account of tenant-a, but the callback URL of tenant b: signed with the wrong token for that URL.
    const wrong = new TwilioProvider(
      { accountSid: emulator.accountSid, authToken: emulator.authToken, fromNumber: '+15005550006' },
      { apiBaseUrl: emulator.url, statusCallbackUrl: callbackUrl('tenant b/ü'), timeoutMs: 5_000 },
    );
    await wrong.send({ to: '+14155552671', body: 'hi' });
    const ghost = new TwilioProvider(
      { accountSid: emulator.accountSid, authToken: emulator.authToken, fromNumber: '+15005550006' },
      { apiBaseUrl: emulator.url, statusCallbackUrl: callbackUrl('no-such-tenant'), timeoutMs: 5_000 },
    );
    await ghost.send({ to: '+14155552671', body: 'hi' });
    await emulator.settled();
    expect(emulator.callbacks.map((c) => c.responseStatus).sort()).toEqual([403, 403, 403, 403]);
    expect(events).toEqual([]);
  });

  it('maps delivery failures fired by a Twilio-like firer (emulator without error callbacks)', async () => {
    const quiet = await startTwilioEmulator({
      statusCallbacks: false,
      accounts: [{ accountSid: emulator.accountSid, authToken: emulator.authToken }],
    });
    try {
      const p = new TwilioProvider(
        { accountSid: emulator.accountSid, authToken: emulator.authToken, fromNumber: '+15005550006' },
        { apiBaseUrl: quiet.url, statusCallbackUrl: callbackUrl('tenant-a'), timeoutMs: 5_000 },
      );
      const result = await p.send({ to: '+14155552671', body: 'hi' });
      const base = {
        AccountSid: emulator.accountSid,
        MessageSid: result.messageId,
        To: '+14155552671',
        From: '+15005550006',
      };
      const url = quiet.messages[0]!.statusCallback!;
      expect((await fire(url, emulator.authToken, { ...base, MessageStatus: 'sent' })).status).toBe(200);
      expect(
        (await fire(url, emulator.authToken, { ...base, MessageStatus: 'undelivered', ErrorCode: '30007' }))
          .status,
      ).toBe(200);
      expect(
        (await fire(url, 'not-the-token-00000000', { ...base, MessageStatus: 'delivered' })).status,
      ).toBe(403);
      expect(events.map((e) => [e.status, e.errorCode, e.code])).toEqual([
        ['sent', undefined, undefined],
        ['undelivered', 30007, 'carrier_rejected'],
      ]);
    } finally {
      await quiet.close();
    }
  });

  it('takes MSG91 delivery reports on the same server', async () => {
    const body = new URLSearchParams({
      data: JSON.stringify([
        {
          requestId: '3763646c3058373530393831',
          senderId: 'LDMTRX',
          report: [{ date: '2024-05-22 10:06:20', number: '919876543210', status: '9', CRQID: 'notif-42' }],
        },
      ]),
    }).toString();
    const post = (path: string) =>
      fetch(`${hooks}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect((await post('/msg91/wrong-secret')).status).toBe(403);
    expect((await post(`/msg91/${MSG91_SECRET}`)).status).toBe(200);
    expect((await post(`/msg91?secret=${MSG91_SECRET}`)).status).toBe(200); // duplicate: acknowledged only
    expect(events.map((e) => [e.provider, e.status, e.code, e.to, e.reference])).toEqual([
      ['msg91', 'failed', 'recipient_opted_out', '+919876543210', 'notif-42'],
    ]);
  });
});
