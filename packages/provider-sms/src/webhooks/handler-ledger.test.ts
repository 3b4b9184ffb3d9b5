// createStatusWebhookHandler({ ledger }) end to end: the real emulators fire signed callbacks / post reports to the
// handler on a node:http server (port 0); the ledger on PGlite and (with DATABASE_URL) PostgreSQL.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import type { Queryable } from '../config/database.js';
import { describeWithDatabases } from '../config/test-databases.js';
import { createSmsDispatcher } from '../ledger/dispatcher.js';
import { createSmsLedger } from '../ledger/ledger.js';
import { Msg91Provider } from '../providers/msg91.js';
import { TwilioProvider } from '../providers/twilio.js';
import { createSmsSender } from '../sender.js';
import {
  createTwilioTestAccount,
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '../testing/index.js';
import type { Logger, SmsProvider } from '../types.js';
import { createStatusWebhookHandler, type StatusWebhookHandler, toNodeListener } from './handler.js';
import type { SmsStatusEvent } from './status.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const account = createTwilioTestAccount();
const SECRET = 'msg91-dlr-secret-5150';
const TW_TO = '+14155550171';
const IN_TO = '+919876543210';
let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
let server: Server;
let hooks: string;
// The handler behind the server: a test swaps it to simulate a restart.
let current: StatusWebhookHandler = async () => new Response('not ready', { status: 503 });

beforeAll(async () => {
  server = createServer((req, res) => toNodeListener(current)(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hooks = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  twilio = await startTwilioEmulator({ accounts: [account], statusCallbacks: true });
  msg91 = await startMsg91Emulator({
    mode: 'live',
    duplicateWindowMs: 0,
    dlrUrl: `${hooks}/msg91/${SECRET}`,
  });
});
afterAll(async () => {
  await twilio?.close();
  await msg91?.close();
  await new Promise((r) => server?.close(r));
});
beforeEach(() => {
  twilio.reset();
  msg91.reset();
});

const nid = () => `n-${randomBytes(6).toString('hex')}`;

/** A logger recording every call (all levels), to check what reaches the log. */
const recordingLogger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() });

/** A handler with `ledger` over `db`, installed behind the server; both tenants share the emulator's account. */
function install(ledger: ReturnType<typeof createSmsLedger>, log?: Logger) {
  const events: SmsStatusEvent[] = [];
  const onEvent = vi.fn(async (e: SmsStatusEvent) => {
    events.push(e);
  });
  current = createStatusWebhookHandler({
    onEvent,
    ledger,
    loadTwilioAuth: async () => ({ accountSid: account.accountSid, authToken: account.authToken }),
    msg91Secret: SECRET,
    ...(log ? { logger: log } : {}),
  });
  return { events, onEvent };
}

const twilioProvider = (tenantId: string | undefined) =>
  new TwilioProvider(
    { accountSid: account.accountSid, authToken: account.authToken, fromNumber: TWILIO_VALID_FROM },
    {
      apiBaseUrl: twilio.url,
      timeoutMs: 5_000,
      ...(tenantId ? { statusCallbackUrl: `${hooks}/twilio/${tenantId}` } : {}),
    },
  );
const msg91Provider = () =>
  new Msg91Provider({ authKey: msg91.authKey, templateId: msg91.templateId }, { apiBaseUrl: msg91.url });

/** The provider whose answer reaches the dispatcher only after the emulator's callbacks/reports were handled. */
const callbacksFirst = (p: SmsProvider, settled: () => Promise<void>): SmsProvider =>
  new Proxy(p, {
    get(target, key) {
      if (key === 'send')
        return async (...args: Parameters<SmsProvider['send']>) => {
          const r = await target.send(...args);
          await settled();
          return r;
        };
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });

describeWithDatabases('createStatusWebhookHandler({ ledger })', (get) => {
  const makeLedger = (db: Queryable = get().db) => createSmsLedger({ db, cipher, schema: get().schema });
  const dispatcherFor = (ledger: ReturnType<typeof createSmsLedger>, provider: SmsProvider) => {
    const resolver = { resolve: async () => ({ provider, source: 'tenant' as const }) };
    const sender = createSmsSender({ resolver, retry: { maxAttempts: 1 }, circuitBreaker: false });
    return createSmsDispatcher({ sender, ledger, resolver, settleMs: 60_000 });
  };

  it("callback before the dispatcher's write: the callback naming the attempt accepts the claimed row, the dispatcher's accept is a no-op", async () => {
    const ledger = makeLedger();
    const { events } = install(ledger);
    const provider = callbacksFirst(twilioProvider('t-a'), () => twilio.settled());
    const seen: string[] = [];
    const unsubscribe = twilio.subscribe((e) => {
      if (e.type === 'status') seen.push(e.delivery.params.MessageStatus ?? '');
    });
    const notificationId = nid();
    const out = await dispatcherFor(ledger, provider).dispatch({
      tenantId: 't-a',
      notificationId,
      message: { to: TW_TO, body: 'Your code is 424242' },
    });
    unsubscribe();
    expect(seen).toEqual(['sent', 'delivered']);
    expect(twilio.callbacks.map((c) => c.responseStatus)).toEqual([200, 200]);
    const row = await ledger.get('t-a', notificationId);
    expect(out).toMatchObject({ state: 'accepted', deduplicated: false });
    // The dispatcher's own 'queued' did not overwrite the callbacks' 'delivered'.
    expect(row).toMatchObject({ state: 'accepted', messageId: out.result.messageId, status: 'delivered' });
    expect(events.map((e) => [e.status, e.attemptId])).toEqual([
      ['sent', row?.attempts[0]?.id],
      ['delivered', row?.attempts[0]?.id],
    ]);
    // A later dispatch of the id gets the stored result.
    const again = await dispatcherFor(ledger, provider).dispatch({
      tenantId: 't-a',
      notificationId,
      message: { to: TW_TO, body: 'Your code is 424242' },
    });
    expect(again).toMatchObject({ deduplicated: true, result: { messageId: out.result.messageId } });
  });

  it('delivered, then a late sent → stays delivered; a replay after a restart (new handler, same ledger) → 200, onEvent not called again', async () => {
    const ledger = makeLedger();
    const first = install(ledger);
    const notificationId = nid();
    const out = await dispatcherFor(ledger, twilioProvider('t-a')).dispatch({
      tenantId: 't-a',
      notificationId,
      message: { to: TW_TO, body: 'hello' },
    });
    await twilio.settled();
    expect(first.events.map((e) => e.status)).toEqual(['sent', 'delivered']);
    const sid = out.result.messageId;

    const late = await twilio.fireStatusCallback(sid, { status: 'sent' });
    expect(late.responseStatus).toBe(200);
    expect((await ledger.get('t-a', notificationId))?.status).toBe('delivered');

    const restarted = install(ledger); // a new process: empty in-memory dedupe
    expect((await twilio.fireStatusCallback(sid, { status: 'delivered' })).responseStatus).toBe(200);
    expect((await twilio.fireStatusCallback(sid, { status: 'sent' })).responseStatus).toBe(200);
    expect(restarted.onEvent).not.toHaveBeenCalled();
    expect(first.events).toHaveLength(2);
    expect(await ledger.get('t-a', notificationId)).toMatchObject({ state: 'accepted', status: 'delivered' });
  });

  it("a callback signed on tenant A's route naming tenant B's message (by SID or by B's attempt id) changes nothing of B's", async () => {
    const ledger = makeLedger();
    const { events } = install(ledger);
    const notificationId = nid();
    // B's message has no StatusCallback of its own: only the forged ones below reach the handler.
    const out = await dispatcherFor(ledger, twilioProvider(undefined)).dispatch({
      tenantId: 't-b',
      notificationId,
      message: { to: TW_TO, body: 'for B' },
    });
    const before = await ledger.get('t-b', notificationId);
    expect(before).toMatchObject({ state: 'accepted', status: 'queued' });
    const bAttempt = before!.attempts[0]!.id;
    const sid = out.result.messageId;
    const bySid = await twilio.fireStatusCallback(sid, { status: 'sent', url: `${hooks}/twilio/t-a` });
    const byAttempt = await twilio.fireStatusCallback(sid, {
      status: 'undelivered',
      errorCode: 30005,
      url: `${hooks}/twilio/t-a?sms_attempt=${bAttempt}`,
    });
    // Validly signed for A, so answered (and passed on as A's own event, which names no row of A).
    expect([bySid.responseStatus, byAttempt.responseStatus]).toEqual([200, 200]);
    expect(events.map((e) => e.tenantId)).toEqual(['t-a', 't-a']);
    expect(await ledger.get('t-b', notificationId)).toEqual(before);
    // Control: the same callback on B's own route does change B's row.
    await twilio.fireStatusCallback(sid, {
      status: 'delivered',
      url: `${hooks}/twilio/t-b?sms_attempt=${bAttempt}`,
    });
    expect((await ledger.get('t-b', notificationId))?.status).toBe('delivered');
  });

  it('MSG91: the live emulator posts its report (CRQID = attempt id) before the dispatcher writes → accepted / delivered; a replay after a restart is not passed on', async () => {
    const ledger = makeLedger();
    const { events } = install(ledger);
    const notificationId = nid();
    const provider = callbacksFirst(msg91Provider(), () => msg91.settled());
    const out = await dispatcherFor(ledger, provider).dispatch({
      tenantId: 't-c',
      notificationId,
      message: { to: IN_TO, body: 'namaste' },
    });
    expect(msg91.reports.map((r) => r.responseStatus)).toEqual([200]);
    const row = await ledger.get('t-c', notificationId);
    expect(row).toMatchObject({ state: 'accepted', status: 'delivered', messageId: out.result.messageId });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      provider: 'msg91',
      attemptId: row?.attempts[0]?.id,
      status: 'delivered',
    });

    const restarted = install(ledger);
    const replay = await msg91.fireDeliveryReport(out.result.messageId, { status: 'delivered' });
    expect(replay.responseStatus).toBe(200);
    expect(restarted.onEvent).not.toHaveBeenCalled();
  });

  it('database down → 500 so the provider retries, onEvent not called, and the log holds no password', async () => {
    const disposable = await get().openDisposable();
    await disposable.close();
    const down = install(makeLedger(disposable.db));
    await twilioProvider('t-a').send({ to: TW_TO, body: 'hello' });
    await twilio.settled();
    expect(twilio.callbacks.map((c) => c.responseStatus)).toEqual([500, 500]);
    expect(down.onEvent).not.toHaveBeenCalled();

    // A server that refuses connections, reached with a password in the URL.
    const pg = (await import('pg')).default;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const pool = new pg.Pool({
      connectionString: `postgres://postgres:hunter2-db-pw@127.0.0.1:${port}/test`,
      connectionTimeoutMillis: 2_000,
    });
    pool.on('error', () => undefined);
    const log = recordingLogger();
    const refused = install(makeLedger(pool), log);
    twilio.reset();
    await twilioProvider('t-a').send({ to: TW_TO, body: 'hello' });
    await twilio.settled();
    await pool.end();
    expect(twilio.callbacks.map((c) => c.responseStatus)).toEqual([500, 500]);
    expect(refused.onEvent).not.toHaveBeenCalled();
    expect(log.error).toHaveBeenCalled();
    const logged = Object.values(log).map((f) => f.mock.calls);
    expect(JSON.stringify(logged)).not.toContain('hunter2');
    expect(inspect(logged, { depth: 10 })).not.toContain('hunter2');
  });
});
