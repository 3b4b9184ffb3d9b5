// SmsCallOptions.attemptId through both providers and back through the webhook handler, against the emulators.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptIdFromUrl, isAttemptId, newAttemptId, withAttemptQuery } from './attempt-id.js';
import { isSmsError } from './errors.js';
import { Msg91Provider } from './providers/msg91.js';
import { TwilioProvider } from './providers/twilio.js';
import { type Msg91Emulator, startMsg91Emulator } from './testing/msg91-emulator.js';
import { startTwilioEmulator, TWILIO_VALID_FROM, type TwilioEmulator } from './testing/twilio-emulator.js';
import { createStatusWebhookHandler, toNodeListener } from './webhooks/handler.js';
import type { SmsStatusEvent } from './webhooks/status.js';
import { computeTwilioSignature } from './webhooks/twilio-signature.js';

const ATTEMPT = 'q3Zx9_aB-cD4eF5gH6iJ7k';
const TO = '+14155552671';
const MSG91_SECRET = 'msg91-path-secret-4711';

let tw: TwilioEmulator;
let m: Msg91Emulator;
let hooks: Server;
let hooksUrl: string;
const events: SmsStatusEvent[] = [];

beforeAll(async () => {
  tw = await startTwilioEmulator();
  const handler = createStatusWebhookHandler({
    onEvent: (e) => {
      events.push(e);
    },
    loadTwilioAuth: async (t) =>
      t === 'tenant-1' ? { accountSid: tw.accountSid, authToken: tw.authToken } : undefined,
    msg91Secret: MSG91_SECRET,
  });
  hooks = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  m = await startMsg91Emulator({ dlrUrl: `${hooksUrl}/msg91/${MSG91_SECRET}` });
});
afterAll(async () => {
  await Promise.all([tw.close(), m.close()]);
  await new Promise((resolve) => hooks.close(resolve));
});

const twilio = (statusCallbackUrl = `${hooksUrl}/twilio/tenant-1`) =>
  new TwilioProvider(
    { accountSid: tw.accountSid, authToken: tw.authToken, fromNumber: TWILIO_VALID_FROM },
    { apiBaseUrl: tw.url, statusCallbackUrl, timeoutMs: 5_000 },
  );
const msg91 = () =>
  new Msg91Provider(
    { authKey: m.authKey, templateId: m.templateId },
    { apiBaseUrl: m.url, timeoutMs: 5_000 },
  );

async function rejection(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSmsError(err)) throw new Error(`expected an SmsError, got ${String(err)}`);
  return err;
}

describe('withAttemptQuery / attemptIdFromUrl', () => {
  it('appends with ? or &, URL-encoded, before a fragment; reads the last one back', () => {
    expect(withAttemptQuery('https://h.example/t/a', ATTEMPT)).toBe(
      `https://h.example/t/a?sms_attempt=${ATTEMPT}`,
    );
    expect(withAttemptQuery('https://h.example/t/a?x=1', ATTEMPT)).toBe(
      `https://h.example/t/a?x=1&sms_attempt=${ATTEMPT}`,
    );
    expect(withAttemptQuery('https://h.example/t?x=1#f', ATTEMPT)).toBe(
      `https://h.example/t?x=1&sms_attempt=${ATTEMPT}#f`,
    );
    expect(attemptIdFromUrl(`https://h.example/t?sms_attempt=forged&sms_attempt=${ATTEMPT}`)).toBe(ATTEMPT);
    expect(attemptIdFromUrl('https://h.example/t?sms_attempt=short')).toBeUndefined();
  });
});

describe('attemptId through Twilio', () => {
  it('is appended to the StatusCallback as sms_attempt (after an existing query with &)', async () => {
    tw.reset();
    await twilio().send({ to: TO, body: 'hi' }, { attemptId: ATTEMPT });
    await twilio(`${hooksUrl}/twilio/tenant-1?region=eu`).send(
      { to: TO, body: 'hi' },
      { attemptId: ATTEMPT },
    );
    await twilio().send({ to: TO, body: 'no attempt' });
    expect(tw.messages.map((x) => x.statusCallback)).toEqual([
      `${hooksUrl}/twilio/tenant-1?sms_attempt=${ATTEMPT}`,
      `${hooksUrl}/twilio/tenant-1?region=eu&sms_attempt=${ATTEMPT}`,
      `${hooksUrl}/twilio/tenant-1`,
    ]);
    await tw.settled();
  });

  it.each([
    ['too short', 'abc'],
    ['not base64url', `${'a'.repeat(15)}/`],
    ['too long', 'a'.repeat(65)],
    ['not a string', 42],
  ])('a bad attemptId (%s) → invalid_config naming options.attemptId, nothing sent', async (_, bad) => {
    tw.reset();
    const err = await rejection(twilio().send({ to: TO, body: 'hi' }, { attemptId: bad as string }));
    expect(err).toMatchObject({ code: 'invalid_config', outcome: 'not_sent', provider: 'twilio' });
    expect(err.message).toContain('options.attemptId');
    expect(tw.received).toBe(0);
  });

  it("the emulator's status callbacks verify at the handler and the events carry the attempt id", async () => {
    tw.reset();
    events.length = 0;
    const { messageId } = await twilio().send({ to: TO, body: 'hi' }, { attemptId: ATTEMPT });
    await tw.settled();
    expect(tw.callbacks.map((c) => c.responseStatus)).toEqual([200, 200]);
    expect(events.map((e) => [e.messageId, e.status, e.attemptId, e.tenantId])).toEqual([
      [messageId, 'sent', ATTEMPT, 'tenant-1'],
      [messageId, 'delivered', ATTEMPT, 'tenant-1'],
    ]);
  });

  it('the query is part of the signed URL: a signature over the URL without sms_attempt is refused', async () => {
    tw.reset();
    events.length = 0;
    await twilio().send({ to: TO, body: 'hi' });
    const sid = tw.messages[0]!.sid;
    await tw.settled();
    events.length = 0;
    // Signed for `…/tenant-1`, delivered to `…/tenant-1?sms_attempt=…` (someone added the query).
    const delivery = await tw.fireStatusCallback(sid, { status: 'delivered' });
    expect(delivery.responseStatus).toBe(200);
    const forged = await fetch(`${hooksUrl}/twilio/tenant-1?sms_attempt=${ATTEMPT}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': delivery.signature,
      },
      body: new URLSearchParams(delivery.params).toString(),
    });
    expect(forged.status).toBe(403);
    expect(events.filter((e) => e.attemptId !== undefined)).toEqual([]);
  });
});

describe('attemptId behind a proxy (publicBaseUrl)', () => {
  it('the signed public URL keeps the query: verified, and the event carries the attempt id', async () => {
    const seen: SmsStatusEvent[] = [];
    const handler = createStatusWebhookHandler({
      publicBaseUrl: 'https://hooks.example.com/sms',
      onEvent: (e) => {
        seen.push(e);
      },
      loadTwilioAuth: async () => ({ accountSid: tw.accountSid, authToken: tw.authToken }),
    });
    const form = new URLSearchParams({
      AccountSid: tw.accountSid,
      MessageSid: `SM${'b'.repeat(32)}`,
      MessageStatus: 'delivered',
      To: TO,
    });
    const path = `/twilio/tenant-1?sms_attempt=${ATTEMPT}`;
    const post = (signedUrl: string) =>
      handler(
        new Request(`http://10.0.0.7:8080/internal${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': computeTwilioSignature(tw.authToken, signedUrl, form),
          },
          body: form.toString(),
        }),
      );
    expect((await post('https://hooks.example.com/sms/twilio/tenant-1')).status).toBe(403);
    expect((await post(`https://hooks.example.com/sms${path}`)).status).toBe(200);
    expect(seen.map((e) => e.attemptId)).toEqual([ATTEMPT]);
  });
});

describe('attemptId through MSG91', () => {
  it('is sent as CRQID (winning over message.reference) and the delivery report event carries it', async () => {
    m.reset();
    events.length = 0;
    const { messageId } = await msg91().send(
      { to: '+919876543210', body: 'hi', reference: 'order-77' },
      { attemptId: ATTEMPT },
    );
    expect(m.messages.map((x) => x.crqid)).toEqual([ATTEMPT]);
    await m.fireDeliveryReport(messageId, { status: 'delivered' });
    expect(events.map((e) => [e.messageId, e.status, e.attemptId, e.reference])).toEqual([
      [messageId, 'delivered', ATTEMPT, ATTEMPT],
    ]);
  });

  it('without an attempt id CRQID stays the reference; a short reference is no attempt id', async () => {
    m.reset();
    events.length = 0;
    const { messageId } = await msg91().send({ to: '+919876543210', body: 'hi', reference: 'order-77' });
    expect(m.messages.map((x) => x.crqid)).toEqual(['order-77']);
    await m.fireDeliveryReport(messageId, { status: 'delivered' });
    expect(events[0]).toMatchObject({ reference: 'order-77' });
    expect(events[0]?.attemptId).toBeUndefined();
  });

  it('a bad attemptId → invalid_config naming options.attemptId, nothing sent', async () => {
    m.reset();
    const err = await rejection(msg91().send({ to: '+919876543210', body: 'hi' }, { attemptId: 'bad id' }));
    expect(err).toMatchObject({ code: 'invalid_config', outcome: 'not_sent', provider: 'msg91' });
    expect(err.message).toContain('options.attemptId');
    expect(m.requests).toHaveLength(0);
  });
});

it('newAttemptId: 128 random bits as 22 base64url characters, the shape every provider accepts', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newAttemptId()));
  expect(ids.size).toBe(1000);
  for (const id of ids) {
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(isAttemptId(id)).toBe(true);
  }
});
