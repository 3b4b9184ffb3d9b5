// Issue 13, items 11–16 (webhooks): the original attacks, re-run over loopback HTTP against the BUILT entry,
// with a real config store (PGlite, or DATABASE_URL) and the handler mounted with toNodeListener.
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  computeTwilioSignature,
  createSmsConfigService,
  createStatusWebhookHandler,
  type Logger,
  type SmsConfigStore,
  type SmsStatusEvent,
  type StatusWebhookHandlerOptions,
  toNodeListener,
} from '@leadmetrics/provider-sms';
import { createTwilioTestAccount } from '@leadmetrics/provider-sms/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tenantId, useWorld } from './world.js';

const ACC_A = createTwilioTestAccount('regress-a');
const ACC_B = createTwilioTestAccount('regress-b');
const ACC_A_NEW = {
  accountSid: ACC_A.accountSid,
  authToken: createTwilioTestAccount('regress-a2').authToken,
};
const PUBLIC = 'https://hooks.example.com/sms';

const world = useWorld({ statusCallbacks: false, accounts: [ACC_A, ACC_B, ACC_A_NEW] });
let A: string;
let B: string;
beforeAll(async () => {
  A = tenantId('A');
  B = tenantId('B');
  await world().addTenant(A, ACC_A);
  await world().addTenant(B, ACC_B);
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface Mounted {
  port: number;
  events: SmsStatusEvent[];
  errors: string[];
  reads: () => number;
  handler: ReturnType<typeof createStatusWebhookHandler>;
}

/** The handler over a store that counts its reads, served by node:http on 127.0.0.1:0. */
async function mount(
  over: Partial<StatusWebhookHandlerOptions> = {},
  before?: (req: IncomingMessage & { body?: unknown }) => Promise<void>,
): Promise<Mounted> {
  let reads = 0;
  const store = new Proxy(world().store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key === 'get' && typeof value === 'function') {
        return (...args: unknown[]) => {
          reads++;
          return value.apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SmsConfigStore;
  const events: SmsStatusEvent[] = [];
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (_f, msg) => errors.push(String(msg)),
  };
  const handler = createStatusWebhookHandler({
    store,
    cipher: world().cipher,
    logger,
    publicBaseUrl: PUBLIC,
    onEvent: (e) => {
      events.push(e);
    },
    ...over,
  });
  const listener = toNodeListener(handler);
  const server = createServer(async (req, res) => {
    if (before) await before(req);
    listener(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, events, errors, reads: () => reads, handler };
}

interface Sent {
  status: number;
  body: string;
}

/** POSTs a form to the server at `path` (with optional headers), as Twilio would. */
function post(
  port: number,
  path: string,
  form: URLSearchParams,
  headers: Record<string, string> = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const body = form.toString();
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.end(body);
  });
}

const sid = () => `SM${randomBytes(16).toString('hex')}`;
const form = (account: { accountSid: string }, messageSid: string, status: string) =>
  new URLSearchParams({
    AccountSid: account.accountSid,
    MessageSid: messageSid,
    MessageStatus: status,
    To: '+14155552671',
  });

/** A callback for `tenant` signed with `token` over the public URL of `tenant`'s route. */
function signed(tenant: string, token: string, f: URLSearchParams) {
  const url = `${PUBLIC}/twilio/${tenant}`;
  return { path: `/sms/twilio/${tenant}`, form: f, signature: computeTwilioSignature(token, url, f) };
}

const send = (m: Mounted, s: ReturnType<typeof signed>, headers: Record<string, string> = {}) =>
  post(m.port, s.path, s.form, { 'x-twilio-signature': s.signature, ...headers });

describe('webhooks', () => {
  it("item 11: a 'read' callback for B's SID signed with A's token on A's route does not silence B", async () => {
    const m = await mount();
    const sidB = sid();
    expect((await send(m, signed(A, ACC_A.authToken, form(ACC_A, sidB, 'read')))).status).toBe(200);
    expect((await send(m, signed(B, ACC_B.authToken, form(ACC_B, sidB, 'sent')))).status).toBe(200);
    expect((await send(m, signed(B, ACC_B.authToken, form(ACC_B, sidB, 'delivered')))).status).toBe(200);
    expect(m.events.filter((e) => e.tenantId === B).map((e) => e.status)).toEqual(['sent', 'delivered']);
  });

  it('item 12: 500 requests for an unknown tenant cost at most a couple of store reads, all 403', async () => {
    const m = await mount();
    const nobody = tenantId('nobody');
    const statuses = new Set<number>();
    for (let i = 0; i < 500; i++)
      statuses.add((await send(m, signed(nobody, ACC_A.authToken, form(ACC_A, sid(), 'sent')))).status);
    expect([...statuses]).toEqual([403]);
    expect(m.reads()).toBeLessThanOrEqual(2);
  });

  it('item 12: a malformed X-Twilio-Signature is refused without a store read', async () => {
    const m = await mount();
    for (const sig of ['x', 'not base64 at all!!', `${'A'.repeat(40)}=`]) {
      const s = signed(A, ACC_A.authToken, form(ACC_A, sid(), 'sent'));
      expect((await post(m.port, s.path, s.form, { 'x-twilio-signature': sig })).status).toBe(403);
    }
    expect(m.reads()).toBe(0);
  });

  it('item 12: unknown and known tenants (bad signature) answer the same 403', async () => {
    const m = await mount();
    const unknown = await send(m, signed(tenantId('nobody'), ACC_A.authToken, form(ACC_A, sid(), 'sent')));
    const badSig = await send(m, signed(B, ACC_A.authToken, form(ACC_B, sid(), 'sent')));
    expect(unknown).toEqual({ status: 403, body: badSig.body });
    expect(badSig.status).toBe(403);
  });

  it('item 12: a config saved for a cached unknown tenant is seen at once (invalidate)', async () => {
    const m = await mount({ unknownTenantCacheTtlMs: 600_000 });
    const late = tenantId('late');
    expect((await send(m, signed(late, ACC_A.authToken, form(ACC_A, sid(), 'sent')))).status).toBe(403);
    await createSmsConfigService({
      store: world().store,
      cipher: world().cipher,
      twilioOptions: world().twilioOptions,
      resolver: m.handler,
    }).saveTwilioConfig(late, { ...ACC_A, fromNumber: '+15005550006' });
    expect((await send(m, signed(late, ACC_A.authToken, form(ACC_A, sid(), 'sent')))).status).toBe(200);
  });

  it.each([
    ['%00', '%00'],
    ['a 300-character id', 'x'.repeat(300)],
  ])('item 12: %s as tenant id → 4xx, no store read, no error log', async (_n, segment) => {
    const m = await mount();
    const f = form(ACC_A, sid(), 'sent');
    const res = await post(m.port, `/sms/twilio/${segment}`, f, {
      'x-twilio-signature': computeTwilioSignature(ACC_A.authToken, `${PUBLIC}/twilio/${segment}`, f),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(m.reads()).toBe(0);
    expect(m.errors).toEqual([]);
  });

  it.each([
    ['with publicBaseUrl', PUBLIC],
    ['without publicBaseUrl', undefined],
  ])(
    "item 13 (%s): Host: evil.example/hooks/twilio/B?x= on A's path never reaches B (refused 4xx)",
    async (_n, publicBaseUrl) => {
      const m = await mount({ publicBaseUrl });
      const host = `evil.example/hooks/twilio/${B}?x=`;
      // The attacker signs with B's token over the URL the Host trick made of A's path.
      const f = form(ACC_B, sid(), 'delivered');
      const forged = computeTwilioSignature(ACC_B.authToken, `http://${host}/sms/twilio/${A}`, f);
      const res = await post(m.port, `/sms/twilio/${A}`, f, { host, 'x-twilio-signature': forged });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(m.events).toEqual([]);
      expect(m.reads()).toBe(0);
    },
  );

  it("item 13: with publicBaseUrl the signed URL's origin is the public one, whatever the (bare) Host says", async () => {
    const m = await mount();
    const genuine = signed(A, ACC_A.authToken, form(ACC_A, sid(), 'sent'));
    expect((await send(m, genuine, { host: 'evil.example' })).status).toBe(200);
    expect(m.events.map((e) => e.tenantId)).toEqual([A]);
  });

  it('item 14: mounted after a body parser (req.body already an object) it answers at once, naming the cause', async () => {
    const m = await mount({}, async (req) => {
      for await (const _ of req) {
        // a body parser consumed the stream
      }
      req.body = { MessageSid: 'SMx' };
    });
    const res = await send(m, signed(A, ACC_A.authToken, form(ACC_A, sid(), 'sent')));
    expect(res.status).toBe(500);
    expect(res.body).toMatch(/body/i);
  });

  it('item 15: a replay with the same I-Twilio-Idempotency-Token is delivered once', async () => {
    const m = await mount();
    const s = signed(A, ACC_A.authToken, form(ACC_A, sid(), 'sent'));
    const token = `idem-${randomBytes(6).toString('hex')}`;
    for (let i = 0; i < 3; i++)
      expect((await send(m, s, { 'i-twilio-idempotency-token': token })).status).toBe(200);
    expect(m.events).toHaveLength(1);
  });

  it('item 16: during a token rotation callbacks signed with either token are accepted; the old one until the new validates', async () => {
    const tenant = tenantId('rot');
    await world().addTenant(tenant, ACC_A);
    await world().addTenant(tenant, ACC_A_NEW); // the tenant rotates its Twilio token
    const m = await mount();
    expect((await send(m, signed(tenant, ACC_A.authToken, form(ACC_A, sid(), 'sent')))).status).toBe(200);
    expect((await send(m, signed(tenant, ACC_A_NEW.authToken, form(ACC_A, sid(), 'sent')))).status).toBe(200);
    // once a callback validated with the new token, the previous one is dropped
    expect((await send(m, signed(tenant, ACC_A.authToken, form(ACC_A, sid(), 'delivered')))).status).toBe(
      403,
    );
  });
  it('item 16: the rotation window is configurable: authTokenRotationWindowMs: 0 drops the previous token at once', async () => {
    const tenant = tenantId('rot0');
    const service = createSmsConfigService({
      store: world().store,
      cipher: world().cipher,
      twilioOptions: world().twilioOptions,
      authTokenRotationWindowMs: 0,
    });
    await service.saveTwilioConfig(tenant, { ...ACC_A, fromNumber: '+15005550006' });
    await service.saveTwilioConfig(tenant, { ...ACC_A_NEW, fromNumber: '+15005550006' });
    const m = await mount();
    expect((await send(m, signed(tenant, ACC_A.authToken, form(ACC_A, sid(), 'sent')))).status).toBe(403);
    expect((await send(m, signed(tenant, ACC_A_NEW.authToken, form(ACC_A, sid(), 'sent')))).status).toBe(200);
  });
});
