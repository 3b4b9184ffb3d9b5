// §11 on the wire: unknown rows reconciled against the live-mode Twilio emulator (and the default test-credentials
// mode, which cannot list), the ledger on PGlite and (with DATABASE_URL) PostgreSQL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import { describeWithDatabases } from '../config/test-databases.js';
import { isSmsError, type SmsError } from '../errors.js';
import { TwilioProvider } from '../providers/twilio.js';
import { createSmsSender } from '../sender.js';
import {
  createTwilioTestAccount,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '../testing/index.js';
import type { SmsProvider } from '../types.js';
import { createSmsDispatcher } from './dispatcher.js';
import { createSmsLedger } from './ledger.js';
import { ledgerTable } from './ledger-schema.js';
import { createSmsReconciler } from './reconciler.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const account = createTwilioTestAccount();
let live: TwilioEmulator;
let testMode: TwilioEmulator;
beforeAll(async () => {
  live = await startTwilioEmulator({ mode: 'live', accounts: [account], statusCallbacks: false });
  testMode = await startTwilioEmulator({ accounts: [account], statusCallbacks: false });
});
afterAll(async () => {
  await live?.close();
  await testMode?.close();
});
beforeEach(() => {
  live.reset();
  testMode.reset();
});

const TO = '+14155550173';
const message = { to: TO, body: 'Your code is 246810' };
const nid = () => `r-${randomBytes(6).toString('hex')}`;
const tenantId = 'tenant-r';
const caught = async (p: Promise<unknown>): Promise<SmsError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isSmsError(e)) throw new Error(`expected an SmsError, got ${String(e)}`);
  return e;
};
const creates = (em: TwilioEmulator) => em.received;
const lists = (em: TwilioEmulator) =>
  em.requests.filter((r) => r.method === 'GET' && r.path.includes('/Messages.json')).length;

describeWithDatabases('createSmsReconciler', (get) => {
  // A sweep looks at every tenant's rows: each test starts from an empty ledger.
  beforeEach(async () => {
    const { db, schema } = get();
    await db.query(`DELETE FROM ${ledgerTable(schema)}`);
  });
  const twilioProvider = (em: TwilioEmulator, sid = account.accountSid) =>
    new TwilioProvider(
      { accountSid: sid, authToken: account.authToken, fromNumber: TWILIO_VALID_FROM },
      { apiBaseUrl: em.url, timeoutMs: 5_000 },
    );
  const setup = (em: TwilioEmulator, opts: { resolved?: SmsProvider } = {}) => {
    const { db, schema } = get();
    const provider = twilioProvider(em);
    let resolved: SmsProvider = opts.resolved ?? provider;
    const resolver = { resolve: async () => ({ provider: resolved, source: 'tenant' as const }) };
    const sender = createSmsSender({
      resolver: { resolve: async () => ({ provider, source: 'tenant' as const }) },
      retry: { maxAttempts: 1 },
      circuitBreaker: false,
    });
    const ledger = createSmsLedger({ db, cipher, schema });
    const dispatcher = createSmsDispatcher({ sender, ledger, resolver, settleMs: 60_000 });
    const reconciler = createSmsReconciler({ ledger, resolver });
    /** Time passing without waiting: the attempts and the emulator's messages move 75 s (> request timeout + settleMs) into the past. */
    const passDeadline = async (id: string, em: TwilioEmulator = live) => {
      const shift = (d: Date) => new Date(d.getTime() - 75_000);
      const row = await ledger.get(tenantId, id);
      const attempts = (row?.attempts ?? []).map((a) => ({
        ...a,
        startedAt: shift(a.startedAt),
        settleBy: shift(a.settleBy),
      }));
      await db.query(`UPDATE ${ledgerTable(schema)} SET attempts = $2::jsonb WHERE notification_id = $1`, [
        id,
        JSON.stringify(attempts),
      ]);
      for (const m of em.messages) m.createdAt = shift(m.createdAt);
    };
    const setResolved = (p: SmsProvider) => {
      resolved = p;
    };
    return { ledger, dispatcher, reconciler, passDeadline, setResolved };
  };
  /** Dispatches once with `fault` injected: the first answer is lost, the row is left unknown. */
  const leaveUnknown = async (
    s: ReturnType<typeof setup>,
    em: TwilioEmulator,
    fault: Parameters<TwilioEmulator['inject']>[0],
  ) => {
    const id = nid();
    em.inject(fault);
    const e = await caught(s.dispatcher.dispatch({ tenantId, notificationId: id, message }));
    expect(e).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    return id;
  };

  it('unknown → found (recorded, then reset mid-response): accepted with that SID, the next dispatch deduplicated', async () => {
    const s = setup(live);
    const id = await leaveUnknown(s, live, { resetSocket: 'mid-response' });
    expect(live.messages).toHaveLength(1);
    const sid = live.messages[0]?.sid;
    const outcomes = await s.reconciler.sweep();
    expect(outcomes).toEqual([{ tenantId, notificationId: id, state: 'accepted', messageId: sid }]);
    expect(await s.ledger.get(tenantId, id)).toMatchObject({ state: 'accepted', messageId: sid });
    const out = await s.dispatcher.dispatch({ tenantId, notificationId: id, message });
    expect(out).toMatchObject({ state: 'accepted', deduplicated: true, result: { messageId: sid } });
    expect(creates(live)).toBe(1);
  });

  it('dispatch() of an unknown row reconciles it first (recorded, then a 500): accepted, deduplicated, no second send', async () => {
    const s = setup(live);
    const id = await leaveUnknown(s, live, { status: 500, afterRecord: true });
    const out = await s.dispatcher.dispatch({ tenantId, notificationId: id, message });
    expect(out).toMatchObject({
      state: 'accepted',
      deduplicated: true,
      result: { messageId: live.messages[0]?.sid, provider: 'twilio', segments: 1, encoding: 'GSM-7' },
    });
    expect(creates(live)).toBe(1);
  });

  it('unknown → impossible (test credentials answer 20008): stays unknown with the reason, sends nothing', async () => {
    const s = setup(testMode);
    const id = await leaveUnknown(s, testMode, { resetSocket: 'mid-response' });
    await s.passDeadline(id, testMode);
    expect(await s.reconciler.sweep()).toEqual([
      { tenantId, notificationId: id, state: 'unknown', reason: 'lookup_forbidden' },
    ]);
    expect(await s.ledger.get(tenantId, id)).toMatchObject({ state: 'unknown', reason: 'lookup_forbidden' });
    const e = await caught(s.dispatcher.dispatch({ tenantId, notificationId: id, message }));
    expect(e).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    expect(creates(testMode)).toBe(1);
  });

  it('unknown → absent (reset before the request was processed): deferred only after the settle deadline, then exactly one message', async () => {
    const s = setup(live);
    const id = await leaveUnknown(s, live, { resetSocket: 'before-response' });
    expect(live.messages).toHaveLength(0);
    expect(await s.reconciler.sweep()).toEqual([
      { tenantId, notificationId: id, state: 'unknown', reason: 'not_settled' },
    ]);
    const early = await caught(s.dispatcher.dispatch({ tenantId, notificationId: id, message }));
    expect(early).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    expect(early.retryAfterMs).toBeGreaterThan(0);
    expect(creates(live)).toBe(1);
    await s.passDeadline(id);
    const out = await s.dispatcher.dispatch({ tenantId, notificationId: id, message });
    expect(out).toMatchObject({ state: 'accepted', deduplicated: false });
    expect(live.messages).toHaveLength(1);
    expect(creates(live)).toBe(2);
    expect(await s.dispatcher.dispatch({ tenantId, notificationId: id, message })).toMatchObject({
      deduplicated: true,
    });
    expect(creates(live)).toBe(2);
  });

  it('a message in the window with a different or empty body: ambiguous_match, never proved absent', async () => {
    const s = setup(live);
    for (const body of ['Your code is 246810 (shortened)', '']) {
      live.reset();
      const id = await leaveUnknown(s, live, { resetSocket: 'mid-response' });
      const recorded = live.messages.at(-1);
      if (recorded) recorded.body = body; // Twilio rewrote or redacted it
      await s.passDeadline(id);
      const outcomes = await s.reconciler.sweep();
      expect(outcomes).toContainEqual({
        tenantId,
        notificationId: id,
        state: 'unknown',
        reason: 'ambiguous_match',
      });
      const e = await caught(s.dispatcher.dispatch({ tenantId, notificationId: id, message }));
      expect(e).toMatchObject({ ledgerState: 'unknown' });
      expect(await s.ledger.get(tenantId, id)).toMatchObject({ state: 'unknown', reason: 'ambiguous_match' });
      expect(creates(live)).toBe(1);
    }
  });

  it("a message already held by another notification is not this one's: the second is proved absent after its deadline", async () => {
    const s = setup(live);
    const first = await s.dispatcher.dispatch({ tenantId, notificationId: nid(), message });
    const id = await leaveUnknown(s, live, { resetSocket: 'before-response' });
    await s.passDeadline(id);
    expect(live.messages.map((m) => m.sid)).toEqual([first.result.messageId]);
    expect(await s.reconciler.sweep()).toEqual([
      { tenantId, notificationId: id, state: 'deferred', reason: 'absent' },
    ]);
  });

  it('a tenant whose config changed to another account: stays unknown with reason account_changed', async () => {
    const s = setup(live);
    const id = await leaveUnknown(s, live, { resetSocket: 'mid-response' });
    s.setResolved(twilioProvider(live, createTwilioTestAccount('other').accountSid));
    expect(await s.reconciler.sweep()).toEqual([
      { tenantId, notificationId: id, state: 'unknown', reason: 'account_changed' },
    ]);
    expect(lists(live)).toBe(0);
  });

  it('two sweeps racing: each row reconciled once', async () => {
    const s = setup(live);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await leaveUnknown(s, live, { resetSocket: 'mid-response' }));
    const other = createSmsReconciler({
      ledger: s.ledger,
      resolver: { resolve: async () => ({ provider: twilioProvider(live), source: 'tenant' as const }) },
    });
    const [a, b] = await Promise.all([s.reconciler.sweep(), other.sweep()]);
    const all = [...(a ?? []), ...(b ?? [])];
    expect(all.map((o) => o.notificationId).sort()).toEqual([...ids].sort());
    expect(all.every((o) => o.state === 'accepted')).toBe(true);
    expect(lists(live)).toBe(3);
    expect(await s.dispatcher.reconcile()).toEqual([]);
  });

  it('options are checked', async () => {
    const { ledger, reconciler } = setup(live);
    await expect(reconciler.sweep({ limit: 0 })).rejects.toMatchObject({
      code: 'invalid_config',
      message: /limit/,
    });
    await expect(reconciler.sweep({ limit: Number.NaN })).rejects.toMatchObject({ code: 'invalid_config' });
    expect(() => createSmsReconciler({ ledger, resolver: {} as never })).toThrow(/resolver/);
    expect(() =>
      createSmsReconciler({ ledger: {} as never, resolver: { resolve: async () => ({}) as never } }),
    ).toThrow(/ledger/);
  });
});
