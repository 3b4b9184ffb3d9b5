// Issue 13, items 11–15: each attack on the status webhooks reproduced, then refused.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../types.js';
import {
  createStatusWebhookHandler,
  type StatusWebhookHandlerOptions,
  type TwilioWebhookAuth,
  toNodeListener,
} from './handler.js';
import type { SmsStatusEvent } from './status.js';
import { computeTwilioSignature } from './twilio-signature.js';

const BASE = 'https://hooks.example.com/sms';
const A: TwilioWebhookAuth = { accountSid: `AC${'a'.repeat(32)}`, authToken: 'tenant-a-auth-token-0001' };
const B: TwilioWebhookAuth = { accountSid: `AC${'b'.repeat(32)}`, authToken: 'tenant-b-auth-token-0002' };
const SID_B = `SM${'b'.repeat(32)}`;
const WELL_FORMED_BAD_SIGNATURE = `${'A'.repeat(27)}=`;

function form(auth: TwilioWebhookAuth, fields: Record<string, string>) {
  return new URLSearchParams({
    AccountSid: auth.accountSid,
    MessageSid: SID_B,
    MessageStatus: 'sent',
    To: '+14155552671',
    ...fields,
  });
}

function callback(
  tenant: string,
  auth: TwilioWebhookAuth,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Request {
  const url = `${BASE}/twilio/${tenant}`;
  const body = form(auth, fields);
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': computeTwilioSignature(auth.authToken, url, body),
      ...headers,
    },
    body: body.toString(),
  });
}

function setup(over: Partial<StatusWebhookHandlerOptions> = {}) {
  const events: SmsStatusEvent[] = [];
  const lines: { level: string; msg?: string }[] = [];
  const rec = (level: string) => (_f: Record<string, unknown>, msg?: string) => lines.push({ level, msg });
  const logger: Logger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
  const tenants: Record<string, TwilioWebhookAuth> = { A, B };
  const loadTwilioAuth = vi.fn(async (t: string) => tenants[t]);
  const handler = createStatusWebhookHandler({
    onEvent: (e) => {
      events.push(e);
    },
    loadTwilioAuth,
    logger,
    ...over,
  });
  return { handler, events, lines, loadTwilioAuth, tenants };
}

describe('item 11: one tenant cannot silence another', () => {
  it("a 'read' for B's message, signed by A on A's route, does not drop B's genuine callbacks", async () => {
    const isDuplicate = vi.fn(async () => false);
    const { handler, events } = setup({ isDuplicate });
    expect((await handler(callback('A', A, { MessageStatus: 'read' }))).status).toBe(200);
    expect((await handler(callback('B', B, { MessageStatus: 'delivered' }))).status).toBe(200);
    expect(events.map((e) => [e.tenantId, e.status])).toEqual([
      ['A', 'read'],
      ['B', 'delivered'],
    ]);
    // The shared dedupe store is asked within the tenant too.
    expect(isDuplicate.mock.calls.map((c) => (c as unknown[])[0])).toEqual([
      `twilio:A:${SID_B}:+14155552671:read`,
      `twilio:B:${SID_B}:+14155552671:delivered`,
    ]);
  });
});

describe('item 12: tenant lookups cost no store read for junk, no enumeration, no 500 for bad ids', () => {
  it('refuses a malformed X-Twilio-Signature without reading the store', async () => {
    const { handler, loadTwilioAuth } = setup();
    for (const signature of ['x', 'not base64 at all!!', `${'A'.repeat(40)}=`]) {
      const req = new Request(`${BASE}/twilio/A`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: form(A, {}).toString(),
      });
      expect((await handler(req)).status).toBe(403);
    }
    expect(loadTwilioAuth).not.toHaveBeenCalled();
  });

  it('reads an unknown tenant once for 500 requests; invalidate() forgets it at once', async () => {
    const { handler, loadTwilioAuth, tenants, events } = setup({ unknownTenantCacheTtlMs: 600_000 });
    const C: TwilioWebhookAuth = { accountSid: `AC${'c'.repeat(32)}`, authToken: 'tenant-c-auth-token-0003' };
    for (let i = 0; i < 500; i++) expect((await handler(callback('C', C))).status).toBe(403);
    expect(loadTwilioAuth).toHaveBeenCalledTimes(1);
    tenants.C = C; // the tenant saves a config; the change notification reaches the handler
    handler.invalidate('C');
    expect((await handler(callback('C', C))).status).toBe(200);
    expect(loadTwilioAuth).toHaveBeenCalledTimes(2);
    expect(events).toHaveLength(1);
  });

  it('answers an unknown tenant exactly as a known tenant with a bad signature', async () => {
    const { handler } = setup();
    const unknown = await handler(callback('nobody', A));
    const badSignature = await handler(callback('B', A));
    expect([unknown.status, await unknown.text()]).toEqual([403, 'forbidden']);
    expect([badSignature.status, await badSignature.text()]).toEqual([403, 'forbidden']);
  });

  it.each([
    ['a NUL', '%00'],
    ['a 300-character id', 'x'.repeat(300)],
    ['a control character', 'a%1Bb'],
    ['a lone surrogate', '%ED%A0%80'],
    ['a lone surrogate (escaped)', 'tenant-%uD800'],
  ])('answers 400 for %s as tenant id, without a store read or an error log', async (_n, segment) => {
    // The store rejects such ids with an error (→ 500 and an error log before).
    const loadTwilioAuth = vi.fn(async (): Promise<TwilioWebhookAuth | undefined> => {
      throw new Error('tenantId must be a non-empty string');
    });
    const { handler, lines } = setup({ loadTwilioAuth });
    const res = await handler(callback(segment, A));
    expect(res.status).toBe(400);
    expect(loadTwilioAuth).not.toHaveBeenCalled();
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('item 15: replays', () => {
  it("de-duplicates on Twilio's I-Twilio-Idempotency-Token, then on the signed content, within the tenant", async () => {
    const seen = new Set<string>();
    const isDuplicate = vi.fn(async (key: string) => seen.has(key) || !seen.add(key));
    const { handler, events } = setup({ isDuplicate });
    const token = { 'i-twilio-idempotency-token': 'a5f3e1b2-idem-0001' };
    expect((await handler(callback('B', B, { MessageStatus: 'delivered' }, token))).status).toBe(200);
    expect(isDuplicate.mock.calls.map((c) => (c as unknown[])[0])).toEqual([
      'twilio:B:idempotency:a5f3e1b2-idem-0001',
      `twilio:B:${SID_B}:+14155552671:delivered`,
    ]);
    // Another replica (or this one after a restart) sharing the persistent store drops Twilio's retry…
    const other = setup({ isDuplicate });
    expect((await other.handler(callback('B', B, { MessageStatus: 'delivered' }, token))).status).toBe(200);
    // …and a replay whose (unsigned) token was changed: the signed content still matches.
    const third = setup({ isDuplicate });
    const changed = { 'i-twilio-idempotency-token': 'forged-0002' };
    expect((await third.handler(callback('B', B, { MessageStatus: 'delivered' }, changed))).status).toBe(200);
    expect([other.events, third.events]).toEqual([[], []]);
    expect(events).toHaveLength(1);
  });
});

describe('toNodeListener (items 13, 14)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function listen(listener: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
    server = createServer(listener);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return (server.address() as AddressInfo).port;
  }

  function post(port: number, path: string, headers: Record<string, string>, body: string) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it("routes on the request path: a Host header carrying a path cannot send A's request to B", async () => {
    const { handler, events } = setup();
    const port = await listen(toNodeListener(handler));
    const host = 'evil.example/hooks/twilio/B?x=';
    // What the old listener would have built and routed (B's route) — signed with B's token.
    const url = `http://${host}/hooks/twilio/A`;
    const body = form(B, { MessageStatus: 'delivered' });
    const res = await post(
      port,
      '/hooks/twilio/A',
      {
        host,
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': computeTwilioSignature(B.authToken, url, body),
      },
      body.toString(),
    );
    expect(res.status).toBe(400);
    expect(events).toEqual([]);
  });

  it("behind a proxy takes the signed URL's origin from publicBaseUrl, whatever the Host header says", async () => {
    const { handler, events } = setup({ publicBaseUrl: 'https://hooks.example.com/sms/' });
    const port = await listen(toNodeListener(handler));
    const body = form(A, { MessageStatus: 'delivered' });
    const signature = computeTwilioSignature(A.authToken, `${BASE}/twilio/A`, body);
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature };
    const res = await post(
      port,
      '/internal/prefix/twilio/A',
      { ...headers, host: 'backend:8080' },
      body.toString(),
    );
    expect(res.status).toBe(200);
    expect(events.map((e) => e.tenantId)).toEqual(['A']);
  });

  it('refuses a publicBaseUrl that cannot be an origin for signed URLs, naming it', () => {
    for (const bad of [
      'hooks.example.com/sms',
      '/sms',
      'ftp://h/sms',
      'https://h/sms?x=1',
      'https://u:p@h/sms',
      '',
    ]) {
      expect(() => setup({ publicBaseUrl: bad }), bad).toThrow(/publicBaseUrl/);
    }
  });

  it('answers at once, naming the cause, when mounted after a body parser', async () => {
    const { handler, lines } = setup();
    const listener = toNodeListener(handler, {
      logger: { debug() {}, info() {}, warn() {}, error: (_f, m) => lines.push({ level: 'error', msg: m }) },
    });
    // A body parser: reads the stream, leaves an object on req.body.
    const port = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        Object.assign(req, {
          body: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())),
        });
        listener(req, res);
      });
    });
    const body = form(A, {});
    const res = await post(
      port,
      '/hooks/twilio/A',
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': WELL_FORMED_BAD_SIGNATURE,
      },
      body.toString(),
    );
    expect(res.status).toBe(500);
    expect(res.body).toContain('body parser');
    expect(lines.some((l) => l.level === 'error' && l.msg?.includes('body parser'))).toBe(true);
  });

  it('still reads the stream when a body parser skipped the request (req.body = {})', async () => {
    const { handler, events } = setup();
    const listener = toNodeListener(handler);
    const port = await listen((req, res) => {
      Object.assign(req, { body: {} });
      listener(req, res);
    });
    const host = `127.0.0.1:${port}`;
    const body = form(A, {});
    const signature = computeTwilioSignature(A.authToken, `http://${host}/hooks/twilio/A`, body);
    const res = await post(
      port,
      '/hooks/twilio/A',
      { host, 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body.toString(),
    );
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
  });
});
