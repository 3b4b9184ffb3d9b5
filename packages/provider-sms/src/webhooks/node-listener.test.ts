// toNodeListener serves a createStatusWebhookHandler natively (no Fetch Request/Response): the same requests must get
// the same answers, and pass the same events on, as through the Fetch adapter (the handler wrapped in a plain function).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatusWebhookHandler, type TwilioWebhookAuth, toNodeListener } from './handler.js';
import type { SmsStatusEvent } from './status.js';
import { computeTwilioSignature } from './twilio-signature.js';

const TOKEN = 'tenant-one-auth-token-9f8e7d6c5b4a';
const OLD_TOKEN = 'tenant-two-previous-token-0a1b2c3d';
const ACCOUNT = `AC${'1'.repeat(32)}`;
const BASE = 'https://hooks.example.com/sms';
const SECRET = 'msg91-path-secret-4711';
const FORM = 'application/x-www-form-urlencoded';
const sid = (n: number) => `SM${n.toString(16).padStart(32, '0')}`;
const auths: Record<string, TwilioWebhookAuth> = {
  'tenant-1': { accountSid: ACCOUNT, authToken: TOKEN },
  'tenant-2': {
    accountSid: ACCOUNT,
    authToken: 'tenant-two-new-token-4e5f6a7b8c9d',
    previousAuthToken: OLD_TOKEN,
    previousAuthTokenExpiresAt: new Date('2100-01-01T00:00:00Z'),
  },
};

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer;
}

/** A Twilio callback for `path` (under /hooks/sms), its form signed for BASE + path with `token` (undefined: unsigned). */
function callback(
  name: string,
  path: string,
  fields: Record<string, string>,
  opts: { token?: string | null; prefix?: Buffer; headers?: Record<string, string | string[]> } = {},
): Case {
  const form = new URLSearchParams({
    AccountSid: ACCOUNT,
    MessageSid: sid(1),
    MessageStatus: 'sent',
    To: '+14155552671',
    ...fields,
  });
  const headers: Record<string, string | string[]> = { 'content-type': FORM };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers['x-twilio-signature'] = computeTwilioSignature(token, BASE + path, form);
  return {
    name,
    path: `/hooks/sms${path}`,
    headers: { ...headers, ...opts.headers },
    body: Buffer.concat([opts.prefix ?? Buffer.alloc(0), Buffer.from(form.toString())]),
  };
}

const msg91 = (name: string, path: string, status: string): Case => ({
  name,
  path: `/hooks/sms${path}`,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(
    JSON.stringify({
      requestId: 'req-1',
      report: [{ number: '919876543210', status, date: '2024-05-22 10:06:20' }],
    }),
  ),
});

// Run in order against each handler (state matters: replays and stale statuses).
const CASES: Case[] = [
  callback('a valid callback', '/twilio/tenant-1', { MessageSid: sid(1) }),
  callback('its replay', '/twilio/tenant-1', { MessageSid: sid(1) }),
  callback('a stale status of it', '/twilio/tenant-1', { MessageSid: sid(1), MessageStatus: 'queued' }),
  callback('a later status with an attempt id', '/twilio/tenant-1?sms_attempt=AAAAAAAAAAAAAAAAAAAAAA', {
    MessageSid: sid(1),
    MessageStatus: 'delivered',
    RawDlrDoneDate: '2612011124',
  }),
  callback('an undelivered with an error code', '/twilio/tenant-1', {
    MessageSid: sid(2),
    MessageStatus: 'undelivered',
    ErrorCode: '30003',
  }),
  callback(
    'an idempotency token',
    '/twilio/tenant-1',
    { MessageSid: sid(3) },
    {
      headers: { 'i-twilio-idempotency-token': 'tok-1' },
    },
  ),
  callback(
    'a new event under a seen token',
    '/twilio/tenant-1',
    { MessageSid: sid(4) },
    {
      headers: { 'i-twilio-idempotency-token': 'tok-1' },
    },
  ),
  callback(
    'signed by the previous token (rotation)',
    '/twilio/tenant-2',
    { MessageSid: sid(5) },
    {
      token: OLD_TOKEN,
    },
  ),
  callback('a bad signature', '/twilio/tenant-1', { MessageSid: sid(6) }, { token: 'not-the-token' }),
  callback('no signature', '/twilio/tenant-1', { MessageSid: sid(7) }, { token: null }),
  callback(
    'a malformed signature',
    '/twilio/tenant-1',
    { MessageSid: sid(8) },
    {
      headers: { 'x-twilio-signature': 'short' },
    },
  ),
  callback(
    'two signature headers',
    '/twilio/tenant-1',
    { MessageSid: sid(9) },
    {
      headers: { 'x-twilio-signature': [`${'a'.repeat(27)}=`, `${'b'.repeat(27)}=`] },
    },
  ),
  callback('an unknown tenant', '/twilio/tenant-9', { MessageSid: sid(10) }),
  callback('a tenant id that cannot be one', '/twilio/%ZZ', { MessageSid: sid(11) }),
  callback('a tenant whose config cannot be read', '/twilio/broken', { MessageSid: sid(12) }),
  callback('another account', '/twilio/tenant-1', { MessageSid: sid(13), AccountSid: `AC${'2'.repeat(32)}` }),
  callback('an invalid MessageSid', '/twilio/tenant-1', { MessageSid: 'SM123' }),
  callback('an unknown status', '/twilio/tenant-1', { MessageSid: sid(14), MessageStatus: 'lost' }),
  callback('no To', '/twilio/tenant-1', { MessageSid: sid(15), To: '' }),
  callback('onEvent throws', '/twilio/tenant-1', { MessageSid: sid(16), To: '+14155550000' }),
  callback(
    'a body with a UTF-8 BOM',
    '/twilio/tenant-1',
    { MessageSid: sid(17) },
    {
      prefix: Buffer.from([0xef, 0xbb, 0xbf]),
    },
  ),
  {
    ...callback('invalid UTF-8 in the body', '/twilio/tenant-1', { MessageSid: sid(18) }),
    body: Buffer.concat([Buffer.from(`MessageSid=${sid(18)}&To=%2B1415&From=`), Buffer.from([0xff, 0xc3])]),
  },
  callback(
    'a JSON body',
    '/twilio/tenant-1',
    { MessageSid: sid(19) },
    {
      headers: { 'content-type': 'application/json' },
    },
  ),
  callback('a trailing slash', '/twilio/tenant-1/', { MessageSid: sid(20) }),
  { ...callback('a GET', '/twilio/tenant-1', {}), method: 'GET', body: undefined },
  { ...callback('a PUT', '/twilio/tenant-1', { MessageSid: sid(21) }), method: 'PUT' },
  { name: 'an unknown route', path: '/hooks/sms/other', method: 'POST', body: Buffer.from('x=1') },
  { name: 'a DELETE of an unknown route', path: '/nothing', method: 'DELETE' },
  msg91('an MSG91 report', `/msg91/${SECRET}`, '1'),
  msg91('an MSG91 report with the secret in the query', `/msg91?secret=${SECRET}`, '2'),
  msg91('an MSG91 report with a wrong secret', '/msg91/wrong', '1'),
  { name: 'a body past maxBodyBytes', path: '/hooks/sms/twilio/tenant-1', body: Buffer.alloc(5000, 0x61) },
];

function makeHandler(events: SmsStatusEvent[]) {
  return createStatusWebhookHandler({
    onEvent: (e) => {
      if (e.to === '+14155550000') throw new Error('downstream down');
      events.push(e);
    },
    loadTwilioAuth: async (t) => {
      if (t === 'broken') throw new Error('store down');
      return auths[t];
    },
    msg91Secret: SECRET,
    publicBaseUrl: BASE,
    now: () => new Date('2026-12-01T00:00:00Z'),
  });
}

interface Answer {
  status: number;
  body: string;
  type: string | undefined;
  allow: string | undefined;
}

function send(port: number, c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: c.method ?? 'POST', path: c.path, headers: c.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            type: res.headers['content-type'],
            allow: res.headers.allow,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

async function serve(listener: ReturnType<typeof toNodeListener>): Promise<Server> {
  const server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const port = (s: Server) => (s.address() as AddressInfo).port;

describe('toNodeListener: the native path answers as the Fetch path', () => {
  const nativeEvents: SmsStatusEvent[] = [];
  const fetchEvents: SmsStatusEvent[] = [];
  const nativeHandler = makeHandler(nativeEvents);
  const fetchHandler = makeHandler(fetchEvents);
  let native: Server;
  let viaFetch: Server;
  const answers: { name: string; native: Answer; fetch: Answer }[] = [];

  beforeAll(async () => {
    native = await serve(toNodeListener(nativeHandler, { maxBodyBytes: 4096 }));
    // A plain function around the handler hides its native core: toNodeListener builds Fetch objects for it.
    viaFetch = await serve(toNodeListener((r) => fetchHandler(r), { maxBodyBytes: 4096 }));
    for (const c of CASES) {
      answers.push({
        name: c.name,
        native: await send(port(native), c),
        fetch: await send(port(viaFetch), c),
      });
    }
  });
  afterAll(async () => {
    await Promise.all([native, viaFetch].map((s) => new Promise((r) => s?.close(r))));
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const a = answers[i]!;
    expect(a.native).toEqual(a.fetch);
  });

  it('covers every answer the handler gives, and passes on the same events', () => {
    const statuses = new Set(answers.map((a) => a.native.status));
    expect([...statuses].sort()).toEqual([200, 400, 403, 404, 405, 413, 500]);
    expect(answers.find((a) => a.name === 'a valid callback')?.native.body).toBe('OK');
    expect(nativeEvents.length).toBeGreaterThan(5);
    expect(nativeEvents).toEqual(fetchEvents);
  });
});

describe('toNodeListener: native path details', () => {
  it('answers a TRACE on a webhook route 405 (the Fetch adapter cannot even build such a Request: 500)', async () => {
    const c: Case = { name: 'trace', method: 'TRACE', path: '/hooks/sms/twilio/tenant-1' };
    const native = await serve(toNodeListener(makeHandler([])));
    const viaFetch = await serve(toNodeListener((r) => makeHandler([])(r)));
    try {
      expect(await send(port(native), c)).toMatchObject({ status: 405, allow: 'POST' });
      expect((await send(port(viaFetch), c)).status).toBe(500);
    } finally {
      await Promise.all([native, viaFetch].map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('sends a Content-Length (no chunked encoding) on its answers', async () => {
    const server = createServer(toNodeListener(makeHandler([])));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${port(server)}/hooks/sms/other`, { method: 'POST' });
      expect(res.headers.get('content-length')).toBe('9');
      expect(res.headers.get('transfer-encoding')).toBeNull();
      expect(await res.text()).toBe('not found');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
