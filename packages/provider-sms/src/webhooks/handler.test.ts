import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import type { SmsConfigStore, StoredProviderConfig } from '../config/store.js';
import type { Logger } from '../types.js';
import {
  createStatusWebhookHandler,
  type StatusWebhookHandlerOptions,
  type TwilioWebhookAuth,
  toNodeListener,
} from './handler.js';
import type { SmsStatusEvent } from './status.js';
import { computeTwilioSignature } from './twilio-signature.js';

const TOKEN = 'tenant-one-auth-token-9f8e7d6c5b4a';
const ACCOUNT = `AC${'1'.repeat(32)}`;
const SID = `SM${'a'.repeat(32)}`;
const BASE = 'https://hooks.example.com/sms';
const MSG91_SECRET = 'msg91-path-secret-4711';
const tenants: Record<string, TwilioWebhookAuth> = { 'tenant-1': { accountSid: ACCOUNT, authToken: TOKEN } };

function twilioCallback(
  fields: Record<string, string>,
  opts: { tenant?: string; token?: string; url?: string; signUrl?: string; sign?: boolean } = {},
): Request {
  const url = opts.url ?? `${BASE}/twilio/${opts.tenant ?? 'tenant-1'}`;
  const form = new URLSearchParams({
    AccountSid: ACCOUNT,
    MessageSid: SID,
    MessageStatus: 'sent',
    To: '+14155552671',
    From: '+15005550006',
    ...fields,
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (opts.sign !== false)
    headers['x-twilio-signature'] = computeTwilioSignature(opts.token ?? TOKEN, opts.signUrl ?? url, form);
  return new Request(url, { method: 'POST', headers, body: form.toString() });
}

const msg91Report = (reports: Record<string, string>[], url = `${BASE}/msg91/${MSG91_SECRET}`) =>
  new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      data: JSON.stringify([{ requestId: 'req-1', senderId: 'LDMTRX', report: reports }]),
    }).toString(),
  });
const dlr = (number: string, status: string) => ({
  date: '2024-05-22 10:06:20',
  number,
  status,
  CRQID: `ref-${number}`,
});

function logger() {
  const lines: unknown[] = [];
  const rec = (level: string) => (fields: Record<string, unknown>, msg?: string) =>
    lines.push({ level, fields, msg });
  const log: Logger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
  return { log, lines };
}

function setup(over: Partial<StatusWebhookHandlerOptions> = {}) {
  const events: SmsStatusEvent[] = [];
  const { log, lines } = logger();
  const onEvent = vi.fn(async (e: SmsStatusEvent) => {
    events.push(e);
  });
  const handler = createStatusWebhookHandler({
    onEvent,
    loadTwilioAuth: async (t) => tenants[t],
    msg91Secret: MSG91_SECRET,
    logger: log,
    ...over,
  });
  return { handler, events, onEvent, lines };
}

describe('createStatusWebhookHandler: Twilio', () => {
  it('verifies, normalizes and passes the event with its tenant', async () => {
    const { handler, events } = setup();
    const res = await handler(twilioCallback({ MessageStatus: 'delivered' }));
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      provider: 'twilio',
      messageId: SID,
      status: 'delivered',
      tenantId: 'tenant-1',
    });
  });

  it('answers 403 for no signature, a wrong token, another tenant URL or another account', async () => {
    const { handler, onEvent } = setup({
      loadTwilioAuth: async (t) =>
        t === 'tenant-2'
          ? { accountSid: `AC${'2'.repeat(32)}`, authToken: 'tenant-two-token-xyz' }
          : tenants[t],
    });
    expect((await handler(twilioCallback({}, { sign: false }))).status).toBe(403);
    expect((await handler(twilioCallback({}, { token: 'wrong-token-123456' }))).status).toBe(403);
    // Signed for tenant-1 but replayed at tenant-2's URL.
    expect(
      (
        await handler(
          twilioCallback({}, { url: `${BASE}/twilio/tenant-2`, signUrl: `${BASE}/twilio/tenant-1` }),
        )
      ).status,
    ).toBe(403);
    // tenant-2's token, but tenant-1's AccountSid in the payload.
    expect(
      (await handler(twilioCallback({}, { tenant: 'tenant-2', token: 'tenant-two-token-xyz' }))).status,
    ).toBe(403);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it('answers 403 for an unknown tenant (as for a known one), 404 for an unknown route and without any auth source', async () => {
    const { handler, onEvent } = setup();
    expect((await handler(twilioCallback({}, { tenant: 'nobody' }))).status).toBe(403);
    expect((await handler(new Request(`${BASE}/elsewhere`, { method: 'POST' }))).status).toBe(404);
    expect((await handler(new Request(`${BASE}/twilio`, { method: 'POST' }))).status).toBe(404);
    const bare = createStatusWebhookHandler({ onEvent });
    expect((await bare(twilioCallback({}))).status).toBe(404);
    expect((await bare(msg91Report([dlr('919876543210', '1')]))).status).toBe(404);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it('answers 405 to a GET', async () => {
    const { handler } = setup();
    const res = await handler(new Request(`${BASE}/twilio/tenant-1`));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it.each<[string, () => Request]>([
    ['no MessageSid', () => twilioCallback({ MessageSid: '' })],
    ['an unknown status', () => twilioCallback({ MessageStatus: 'exploded' })],
    ['no To', () => twilioCallback({ To: '' })],
    [
      'a JSON body',
      () =>
        new Request(`${BASE}/twilio/tenant-1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-twilio-signature': `${'A'.repeat(27)}=` },
          body: '{"MessageSid":"x"}',
        }),
    ],
  ])('answers 400 for %s, with nothing passed on', async (_n, make) => {
    const { handler, onEvent } = setup();
    expect((await handler(make())).status).toBe(400);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it('verifies against publicBaseUrl behind a proxy', async () => {
    const { handler, events } = setup({ publicBaseUrl: `${BASE}/` });
    const req = twilioCallback(
      {},
      { url: 'http://10.0.0.7:3000/internal/twilio/tenant-1?a=1', signUrl: `${BASE}/twilio/tenant-1?a=1` },
    );
    expect((await handler(req)).status).toBe(200);
    expect(events).toHaveLength(1);
    // Without it, the internal URL is what is checked: 403.
    const plain = setup();
    const again = twilioCallback(
      {},
      { url: 'http://10.0.0.7:3000/internal/twilio/tenant-1?a=1', signUrl: `${BASE}/twilio/tenant-1?a=1` },
    );
    expect((await plain.handler(again)).status).toBe(403);
  });

  it('handles tenant ids that need URL encoding', async () => {
    const id = 'acme corp/eu';
    const { handler, events } = setup({
      loadTwilioAuth: async (t) => (t === id ? tenants['tenant-1'] : undefined),
    });
    const res = await handler(twilioCallback({}, { tenant: encodeURIComponent(id) }));
    expect(res.status).toBe(200);
    expect(events[0]!.tenantId).toBe(id);
  });

  it('answers 500 when the tenant config cannot be loaded', async () => {
    const { handler, onEvent } = setup({
      loadTwilioAuth: async () => {
        throw new Error('database down');
      },
    });
    expect((await handler(twilioCallback({}))).status).toBe(500);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it('re-reads a cached tenant token once when the signature does not match (rotated token)', async () => {
    let token = TOKEN;
    const load = vi.fn(async () => ({ accountSid: ACCOUNT, authToken: token }));
    const { handler, events } = setup({ loadTwilioAuth: load });
    expect((await handler(twilioCallback({ MessageStatus: 'queued' }))).status).toBe(200);
    token = 'rotated-token-abcdefgh';
    expect((await handler(twilioCallback({ MessageStatus: 'sent' }, { token }))).status).toBe(200);
    expect(events.map((e) => e.status)).toEqual(['queued', 'sent']);
    expect(load).toHaveBeenCalledTimes(2);
    // A forged signature costs at most one extra read, and is still refused.
    expect(
      (await handler(twilioCallback({ MessageStatus: 'delivered' }, { token: 'forged-token-123456' })))
        .status,
    ).toBe(403);
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('forged signatures force at most one re-read per tenant per authRefreshIntervalMs', async () => {
    let t = 1_000_000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => t);
    try {
      const load = vi.fn(async () => ({ accountSid: ACCOUNT, authToken: TOKEN }));
      const { handler, onEvent } = setup({ loadTwilioAuth: load });
      expect((await handler(twilioCallback({ MessageStatus: 'queued' }))).status).toBe(200);
      expect(load).toHaveBeenCalledTimes(1);
      const forged = () =>
        handler(twilioCallback({ MessageStatus: 'sent' }, { token: 'forged-token-123456' }));
      for (let i = 0; i < 10; i++) expect((await forged()).status).toBe(403);
      expect(load).toHaveBeenCalledTimes(2); // one forced re-read for ten forged requests
      const burst = await Promise.all(Array.from({ length: 10 }, forged));
      expect(burst.map((r) => r.status)).toEqual(Array(10).fill(403));
      expect(load).toHaveBeenCalledTimes(2);
      t += 4_999;
      expect((await forged()).status).toBe(403);
      expect(load).toHaveBeenCalledTimes(2);
      t += 1; // default interval 5 000 ms
      expect((await forged()).status).toBe(403);
      expect(load).toHaveBeenCalledTimes(3);
      expect(onEvent).toHaveBeenCalledTimes(1);
    } finally {
      clock.mockRestore();
    }
  });

  it('forged signatures on a cold cache read the store once, also concurrently', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const load = vi.fn(async () => {
      await gate;
      return { accountSid: ACCOUNT, authToken: TOKEN };
    });
    const { handler, onEvent } = setup({ loadTwilioAuth: load, authRefreshIntervalMs: 60_000 });
    const forged = () => handler(twilioCallback({ MessageStatus: 'sent' }, { token: 'forged-token-123456' }));
    const burst = Promise.all(Array.from({ length: 10 }, forged));
    await new Promise((r) => setTimeout(r, 5));
    release();
    expect((await burst).map((r) => r.status)).toEqual(Array(10).fill(403));
    expect(load).toHaveBeenCalledTimes(1);
    expect(onEvent).not.toHaveBeenCalled();
  });
});

describe('createStatusWebhookHandler: idempotency and ordering', () => {
  it('passes the same (messageId, status) once', async () => {
    const { handler, onEvent } = setup();
    for (let i = 0; i < 3; i++)
      expect((await handler(twilioCallback({ MessageStatus: 'sent' }))).status).toBe(200);
    expect(onEvent).toHaveBeenCalledTimes(1);
  });

  it('passes concurrent duplicates once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const onEvent = vi.fn(async () => gate);
    const { handler } = setup({ onEvent });
    const all = Promise.all([1, 2, 3].map(() => handler(twilioCallback({ MessageStatus: 'sent' }))));
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect((await all).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(onEvent).toHaveBeenCalledTimes(1);
  });

  it('is monotonic: a late sent after delivered is not passed on; a correction to delivered is', async () => {
    const { handler, events } = setup();
    const statuses = ['queued', 'delivered', 'sent', 'sending', 'undelivered', 'read'];
    for (const s of statuses) expect((await handler(twilioCallback({ MessageStatus: s }))).status).toBe(200);
    expect(events.map((e) => e.status)).toEqual(['queued', 'delivered', 'read']);
    const other = `SM${'c'.repeat(32)}`;
    for (const s of ['sent', 'undelivered', 'failed', 'delivered']) {
      await handler(
        twilioCallback({
          MessageSid: other,
          MessageStatus: s,
          ...(s === 'undelivered' ? { ErrorCode: '30003' } : {}),
        }),
      );
    }
    expect(events.slice(3).map((e) => [e.status, e.code])).toEqual([
      ['sent', undefined],
      ['undelivered', 'recipient_unreachable'],
      ['delivered', undefined],
    ]);
  });

  it('answers 500 when onEvent throws and does not mark the event seen', async () => {
    let fail = true;
    const onEvent = vi.fn(async () => {
      if (fail) throw new Error('queue unavailable');
    });
    const { handler } = setup({ onEvent });
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(500);
    fail = false;
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(200);
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(200);
    expect(onEvent).toHaveBeenCalledTimes(2);
  });

  it('a failed higher status does not block a lower one that arrives next', async () => {
    let fail = true;
    const seen: string[] = [];
    const onEvent = vi.fn(async (e: SmsStatusEvent) => {
      if (fail && e.status === 'delivered') throw new Error('nope');
      seen.push(e.status);
    });
    const { handler } = setup({ onEvent });
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(500);
    expect((await handler(twilioCallback({ MessageStatus: 'sent' }))).status).toBe(200);
    fail = false;
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(200);
    expect(seen).toEqual(['sent', 'delivered']);
  });

  it('asks isDuplicate after the in-memory miss, and calls forgetKey when onEvent fails', async () => {
    const shared = new Set<string>(['twilio:SMdup:+14155552671:sent']);
    const isDuplicate = vi.fn(async (key: string) => {
      if (shared.has(key)) return true;
      shared.add(key);
      return false;
    });
    const forgetKey = vi.fn((key: string) => {
      shared.delete(key);
    });
    let fail = false;
    const onEvent = vi.fn(async () => {
      if (fail) throw new Error('x');
    });
    const { handler } = setup({ isDuplicate, forgetKey, onEvent });
    const sid = `SM${'d'.repeat(32)}`;
    expect((await handler(twilioCallback({ MessageSid: sid }))).status).toBe(200);
    expect(isDuplicate).toHaveBeenLastCalledWith(`twilio:tenant-1:${sid}:+14155552671:sent`);
    expect((await handler(twilioCallback({ MessageSid: sid }))).status).toBe(200);
    expect(isDuplicate).toHaveBeenCalledTimes(1); // the second one was answered from memory
    expect(onEvent).toHaveBeenCalledTimes(1);

    // Seen by another replica: dropped.
    shared.add(`twilio:tenant-1:${SID}:+14155552671:delivered`);
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(200);
    expect(onEvent).toHaveBeenCalledTimes(1);

    fail = true;
    expect((await handler(twilioCallback({ MessageSid: `SM${'e'.repeat(32)}` }))).status).toBe(500);
    expect(forgetKey).toHaveBeenCalledWith(`twilio:tenant-1:SM${'e'.repeat(32)}:+14155552671:sent`);
    fail = false;
    expect((await handler(twilioCallback({ MessageSid: `SM${'e'.repeat(32)}` }))).status).toBe(200);
  });

  it('stays monotonic when a slow shared isDuplicate lets a late sent finish after delivered', async () => {
    const sid = `SM${'f'.repeat(32)}`;
    // The shared store answers 'sent' later than 'delivered', so both pass the first monotonic check.
    const isDuplicate = vi.fn(
      (key: string) =>
        new Promise<boolean>((r) => setTimeout(() => r(false), key.endsWith(':sent') ? 40 : 5)),
    );
    const forgetKey = vi.fn();
    const { handler, events } = setup({ isDuplicate, forgetKey });
    const responses = await Promise.all([
      handler(twilioCallback({ MessageSid: sid, MessageStatus: 'sent' })),
      handler(twilioCallback({ MessageSid: sid, MessageStatus: 'delivered' })),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect(isDuplicate).toHaveBeenCalledTimes(2);
    expect(events.map((e) => e.status)).toEqual(['delivered']);
    expect(forgetKey).not.toHaveBeenCalled();
    // The last status stayed at delivered: undelivered (ranked between sent and delivered) is stale.
    expect((await handler(twilioCallback({ MessageSid: sid, MessageStatus: 'undelivered' }))).status).toBe(
      200,
    );
    expect(events.map((e) => e.status)).toEqual(['delivered']);
    expect((await handler(twilioCallback({ MessageSid: sid, MessageStatus: 'read' }))).status).toBe(200);
    expect(events.map((e) => e.status)).toEqual(['delivered', 'read']);
  });

  it('rolls back to the status seen after the shared check when onEvent fails, and calls forgetKey', async () => {
    const sid = `SM${'9'.repeat(32)}`;
    const isDuplicate = vi.fn(
      (key: string) =>
        new Promise<boolean>((r) => setTimeout(() => r(false), key.endsWith(':sent') ? 5 : 40)),
    );
    const forgetKey = vi.fn();
    let fail = true;
    const passed: string[] = [];
    const onEvent = vi.fn(async (e: SmsStatusEvent) => {
      if (fail && e.status === 'delivered') throw new Error('queue down');
      passed.push(e.status);
    });
    const { handler } = setup({ isDuplicate, forgetKey, onEvent });
    const responses = await Promise.all([
      handler(twilioCallback({ MessageSid: sid, MessageStatus: 'sent' })),
      handler(twilioCallback({ MessageSid: sid, MessageStatus: 'delivered' })),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 500]);
    expect(forgetKey).toHaveBeenCalledWith(`twilio:tenant-1:${sid}:+14155552671:delivered`);
    expect(passed).toEqual(['sent']);
    // Rolled back to sent (not to nothing): a late queued stays stale, the retried delivered passes.
    expect((await handler(twilioCallback({ MessageSid: sid, MessageStatus: 'queued' }))).status).toBe(200);
    fail = false;
    expect((await handler(twilioCallback({ MessageSid: sid, MessageStatus: 'delivered' }))).status).toBe(200);
    expect(passed).toEqual(['sent', 'delivered']);
  });

  it('keeps a bounded memory (seenCapacity)', async () => {
    const { handler, onEvent } = setup({ seenCapacity: 2 });
    const sids = ['1', '2', '3'].map((c) => `SM${c.repeat(32)}`);
    for (const sid of sids) await handler(twilioCallback({ MessageSid: sid, MessageStatus: 'sent' }));
    expect(onEvent).toHaveBeenCalledTimes(3);
    await handler(twilioCallback({ MessageSid: sids[2]!, MessageStatus: 'sent' })); // still remembered
    expect(onEvent).toHaveBeenCalledTimes(3);
    await handler(twilioCallback({ MessageSid: sids[0]!, MessageStatus: 'sent' })); // evicted: passed again
    expect(onEvent).toHaveBeenCalledTimes(4);
  });
});

describe('createStatusWebhookHandler: MSG91', () => {
  it('passes each report of a batch', async () => {
    const { handler, events } = setup();
    const res = await handler(msg91Report([dlr('919876543210', '1'), dlr('919876543211', '16')]));
    expect(res.status).toBe(200);
    expect(events.map((e) => [e.messageId, e.to, e.status, e.code, e.reference])).toEqual([
      ['req-1', '+919876543210', 'delivered', undefined, 'ref-919876543210'],
      ['req-1', '+919876543211', 'failed', 'carrier_rejected', 'ref-919876543211'],
    ]);
  });

  it('accepts the secret as ?secret=', async () => {
    const { handler, events } = setup();
    const res = await handler(
      msg91Report([dlr('919876543210', '1')], `${BASE}/msg91?secret=${MSG91_SECRET}`),
    );
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it('answers 403 for a wrong or missing secret and logs neither secret nor URL', async () => {
    const { handler, onEvent, lines } = setup();
    expect((await handler(msg91Report([dlr('919876543210', '1')], `${BASE}/msg91/wrong`))).status).toBe(403);
    expect((await handler(msg91Report([dlr('919876543210', '1')], `${BASE}/msg91`))).status).toBe(403);
    expect(onEvent).not.toHaveBeenCalled();
    await handler(msg91Report([dlr('919876543210', '1')], `${BASE}/msg91/${MSG91_SECRET}x`));
    expect(JSON.stringify(lines)).not.toContain(MSG91_SECRET);
  });

  it('answers 400 for a malformed batch and passes nothing, not even its good reports', async () => {
    const { handler, onEvent } = setup();
    expect((await handler(msg91Report([dlr('919876543210', '1'), dlr('', '1')]))).status).toBe(400);
    const junk = new Request(`${BASE}/msg91/${MSG91_SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"oops"',
    });
    expect((await handler(junk)).status).toBe(400);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it('on a partial failure answers 500 and, on retry, passes only what failed', async () => {
    let failFor: string | undefined = '+919876543211';
    const passed: string[] = [];
    const onEvent = vi.fn(async (e: SmsStatusEvent) => {
      if (e.to === failFor) throw new Error('x');
      passed.push(e.to);
    });
    const { handler } = setup({ onEvent });
    const reports = [dlr('919876543210', '1'), dlr('919876543211', '1'), dlr('919876543212', '2')];
    expect((await handler(msg91Report(reports))).status).toBe(500);
    failFor = undefined;
    expect((await handler(msg91Report(reports))).status).toBe(200);
    expect(passed).toEqual(['+919876543210', '+919876543212', '+919876543211']);
  });
});

describe('createStatusWebhookHandler with store + cipher', () => {
  const key = randomBytes(32);
  const cipher = createConfigCipher({ keys: { k1: key }, activeKeyId: 'k1' });
  const row = (tenantId: string, config: string): StoredProviderConfig => ({
    id: 'id',
    tenantId,
    channel: 'sms',
    provider: 'twilio',
    config,
    enabled: true,
    verifiedAt: new Date(),
    verificationError: null,
    configVersion: 1,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const encrypt = (tenantId: string) =>
    cipher.encrypt(JSON.stringify({ accountSid: ACCOUNT, authToken: TOKEN, fromNumber: '+15005550006' }), {
      tenantId,
      channel: 'sms',
      provider: 'twilio',
    });
  const rows: Record<string, StoredProviderConfig> = {
    'tenant-1': row('tenant-1', encrypt('tenant-1')),
    // A row copied from tenant-1: its AAD does not match, so it does not decrypt.
    'tenant-copy': row('tenant-copy', encrypt('tenant-1')),
    // Decrypts, but to broken JSON that holds the token: JSON.parse would quote it.
    'tenant-broken': row(
      'tenant-broken',
      cipher.encrypt(`{"accountSid":"${ACCOUNT}","authToken":"${TOKEN}"`, {
        tenantId: 'tenant-broken',
        channel: 'sms',
        provider: 'twilio',
      }),
    ),
  };
  const store = {
    get: vi.fn(async (k: { tenantId: string; provider: string }) =>
      k.provider === 'twilio' ? rows[k.tenantId] : undefined,
    ),
  } as unknown as SmsConfigStore;

  it('loads and decrypts the tenant config', async () => {
    const { handler, events, lines } = setup({ loadTwilioAuth: undefined, store, cipher });
    expect((await handler(twilioCallback({ MessageStatus: 'delivered' }))).status).toBe(200);
    expect(events[0]!.tenantId).toBe('tenant-1');
    expect((await handler(twilioCallback({}, { tenant: 'missing' }))).status).toBe(403);
    expect((await handler(twilioCallback({}, { tenant: 'tenant-copy' }))).status).toBe(500);
    expect((await handler(twilioCallback({}, { tenant: 'tenant-broken' }))).status).toBe(500);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});

describe('toNodeListener', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function listen(handler: (req: Request) => Promise<Response>, maxBodyBytes?: number) {
    server = createServer(toNodeListener(handler, maxBodyBytes ? { maxBodyBytes } : {}));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  it('runs the handler behind node:http with the request URL as signed', async () => {
    const { handler, events } = setup();
    const base = await listen(handler);
    const url = `${base}/hooks/twilio/tenant-1?x=1`;
    const form = new URLSearchParams({
      AccountSid: ACCOUNT,
      MessageSid: SID,
      MessageStatus: 'sent',
      To: '+14155552671',
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': computeTwilioSignature(TOKEN, url, form),
      },
      body: form.toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect(events).toHaveLength(1);
  });

  it('answers 413 beyond maxBodyBytes and passes a pre-read body (Express raw)', async () => {
    const seen: string[] = [];
    const base = await listen(async (req) => {
      seen.push(await req.text());
      return new Response('ok');
    }, 16);
    const big = await fetch(`${base}/x`, { method: 'POST', body: 'a'.repeat(1000) });
    expect(big.status).toBe(413);
    expect(seen).toEqual([]);

    const listener = toNodeListener(async (req) => new Response(await req.text()));
    const preRead = createServer((req, res) => {
      (req as typeof req & { body?: Buffer }).body = Buffer.from('already read');
      req.resume();
      listener(req, res);
    });
    await new Promise<void>((r) => preRead.listen(0, '127.0.0.1', () => r()));
    try {
      const res = await fetch(`http://127.0.0.1:${(preRead.address() as AddressInfo).port}/x`, {
        method: 'POST',
        body: 'ignored',
      });
      expect(await res.text()).toBe('already read');
    } finally {
      await new Promise<void>((r) => preRead.close(() => r()));
    }
  });
});

describe('duration options are checked at construction', () => {
  it.each(['authCacheTtlMs', 'authRefreshIntervalMs'] as const)(
    '%s past setTimeout’s limit (2^31 − 1) or negative → invalid_config naming it',
    (option) => {
      for (const value of [2 ** 31, -1, Number.NaN]) {
        expect(() => setup({ [option]: value })).toThrow(
          expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(option) }),
        );
      }
      expect(() => setup({ [option]: 0 })).not.toThrow();
    },
  );
});
