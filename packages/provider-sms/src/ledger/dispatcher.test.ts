// §10 on the wire: the real providers against the emulators, the ledger on PGlite and (with DATABASE_URL) PostgreSQL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import { describeWithDatabases } from '../config/test-databases.js';
import { isSmsError, SmsError } from '../errors.js';
import { Msg91Provider } from '../providers/msg91.js';
import { TwilioProvider } from '../providers/twilio.js';
import { createSmsSender, type SmsSenderOptions } from '../sender.js';
import {
  createTwilioTestAccount,
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '../testing/index.js';
import type { SmsMessage, SmsProvider } from '../types.js';
import { createSmsDispatcher } from './dispatcher.js';
import { createSmsLedger } from './ledger.js';
import { ledgerTable } from './ledger-schema.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const account = createTwilioTestAccount();
let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
beforeAll(async () => {
  twilio = await startTwilioEmulator({ accounts: [account], statusCallbacks: false });
  msg91 = await startMsg91Emulator({ duplicateWindowMs: 0 });
});
afterAll(async () => {
  await twilio?.close();
  await msg91?.close();
});
beforeEach(() => {
  twilio.reset();
  msg91.reset();
});

const TO = '+14155550171';
const msg = (over: Partial<SmsMessage> = {}): SmsMessage => ({
  to: TO,
  body: 'Your code is 123456',
  ...over,
});
const nid = () => `n-${randomBytes(6).toString('hex')}`;
const caught = async (p: Promise<unknown>): Promise<SmsError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isSmsError(e)) throw new Error(`expected an SmsError, got ${String(e)}`);
  return e;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(10);
};

describeWithDatabases('createSmsDispatcher', (get) => {
  const twilioProvider = () =>
    new TwilioProvider(
      { accountSid: account.accountSid, authToken: account.authToken, fromNumber: TWILIO_VALID_FROM },
      { apiBaseUrl: twilio.url, timeoutMs: 5_000 },
    );
  const msg91Provider = () =>
    new Msg91Provider({ authKey: msg91.authKey, templateId: msg91.templateId }, { apiBaseUrl: msg91.url });
  const setup = (
    opts: {
      provider?: SmsProvider;
      leaseMs?: number;
      resolveError?: SmsError;
      onResolve?: () => void | Promise<void>;
      sender?: Partial<SmsSenderOptions>;
    } = {},
  ) => {
    const { db, schema } = get();
    const provider = opts.provider ?? twilioProvider();
    const resolver = {
      resolve: async () => {
        if (opts.resolveError) throw opts.resolveError;
        await opts.onResolve?.();
        return { provider, source: 'tenant' as const };
      },
    };
    const sender = createSmsSender({
      resolver,
      retry: { maxAttempts: 1 },
      circuitBreaker: false,
      ...opts.sender,
    });
    const ledger = createSmsLedger({ db, cipher, schema, leaseMs: opts.leaseMs ?? 30_000 });
    const dispatcher = createSmsDispatcher({ sender, ledger, resolver, settleMs: 60_000 });
    return { db, schema, ledger, dispatcher };
  };
  const tenantId = 'tenant-a';

  it('same id twice: the stored result, deduplicated, one provider request', async () => {
    const { dispatcher } = setup();
    const id = nid();
    const first = await dispatcher.dispatch({ tenantId, notificationId: id, message: msg() });
    const second = await dispatcher.dispatch({ tenantId, notificationId: id, message: msg() });
    expect(first).toMatchObject({ state: 'accepted', deduplicated: false });
    expect(second).toMatchObject({
      state: 'accepted',
      deduplicated: true,
      result: first.result,
      attempts: [],
    });
    expect(twilio.requests).toHaveLength(1);
  });

  it('the recorded attempt id reaches the provider: Twilio StatusCallback ?sms_attempt=<id>, MSG91 CRQID=<id>', async () => {
    const withCallback = new TwilioProvider(
      { accountSid: account.accountSid, authToken: account.authToken, fromNumber: TWILIO_VALID_FROM },
      {
        apiBaseUrl: twilio.url,
        timeoutMs: 5_000,
        statusCallbackUrl: 'https://hooks.example.com/sms/twilio/tenant-a',
      },
    );
    const tw = setup({ provider: withCallback });
    const twId = nid();
    await tw.dispatcher.dispatch({ tenantId, notificationId: twId, message: msg() });
    const twAttempt = (await tw.ledger.get(tenantId, twId))?.attempts[0]?.id;
    expect(twAttempt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(twilio.messages[0]?.statusCallback).toBe(
      `https://hooks.example.com/sms/twilio/tenant-a?sms_attempt=${twAttempt}`,
    );

    const m = setup({ provider: msg91Provider() });
    const mId = nid();
    await m.dispatcher.dispatch({
      tenantId,
      notificationId: mId,
      message: msg({ reference: 'caller-ref-1' }),
    });
    const mAttempt = (await m.ledger.get(tenantId, mId))?.attempts[0]?.id;
    expect(mAttempt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(msg91.messages[0]?.crqid).toBe(mAttempt);
  });

  it('50 concurrent dispatches of one id: exactly one provider request, the rest stored result or in_progress', async () => {
    const { dispatcher } = setup();
    const id = nid();
    const outs = await Promise.allSettled(
      Array.from({ length: 50 }, () => dispatcher.dispatch({ tenantId, notificationId: id, message: msg() })),
    );
    expect(twilio.requests).toHaveLength(1);
    const sent = outs.filter((o) => o.status === 'fulfilled' && !o.value.deduplicated);
    expect(sent).toHaveLength(1);
    for (const o of outs) {
      if (o.status === 'fulfilled') expect(o.value.state).toBe('accepted');
      else expect(o.reason).toMatchObject({ code: 'in_progress', ledgerState: 'claimed', retryable: true });
    }
  });

  it('same id, different message: idempotency_conflict, nothing sent', async () => {
    const { dispatcher } = setup();
    const id = nid();
    await dispatcher.dispatch({ tenantId, notificationId: id, message: msg() });
    const e = await caught(
      dispatcher.dispatch({ tenantId, notificationId: id, message: msg({ body: 'other' }) }),
    );
    expect(e).toMatchObject({ code: 'idempotency_conflict', outcome: 'not_sent', retryable: false });
    expect(twilio.requests).toHaveLength(1);
  });

  it('bad notification ids: invalid_config naming notificationId, nothing claimed', async () => {
    const { dispatcher, ledger } = setup();
    const t = `tenant-${randomBytes(4).toString('hex')}`;
    for (const bad of ['', 'x'.repeat(201), 'a\nb', 'a\u0000b', 42]) {
      const e = await caught(
        dispatcher.dispatch({ tenantId: t, notificationId: bad as string, message: msg() }),
      );
      expect(e.code).toBe('invalid_config');
      expect(e.message).toContain('notificationId');
    }
    expect(await ledger.list({ tenantId: t })).toEqual([]);
    expect(twilio.requests).toHaveLength(0);
  });

  it('claimed with a live lease: in_progress with retryAfterMs = lease left, nothing sent', async () => {
    const { dispatcher, ledger } = setup();
    const id = nid();
    const fp = ledger.fingerprint(TO, msg());
    await ledger.claim({
      tenantId,
      notificationId: id,
      recipient: TO,
      fingerprint: fp.value,
      fingerprintKeyId: fp.keyId,
      leaseId: 'other-worker',
    });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e).toMatchObject({
      code: 'in_progress',
      ledgerState: 'claimed',
      retryable: true,
      outcome: 'not_sent',
    });
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(e.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(twilio.requests).toHaveLength(0);
  });

  const claimWithShortLease = async (id: string, withAttempt: boolean) => {
    const { db, schema } = get();
    const short = createSmsLedger({ db, cipher, schema, leaseMs: 30 });
    const fp = short.fingerprint(TO, msg());
    const lease = { tenantId, notificationId: id, leaseId: 'crashed-worker' };
    await short.claim({ ...lease, recipient: TO, fingerprint: fp.value, fingerprintKeyId: fp.keyId });
    if (withAttempt) {
      const startedAt = new Date();
      const settleBy = new Date(startedAt.getTime() + 60_000);
      expect(await short.recordAttempt(lease, { id: 'a1', startedAt, settleBy, provider: 'twilio' })).toBe(
        true,
      );
    }
    await sleep(80); // the short lease expires
  };

  it('claimed, lease expired after an attempt started: unknown, retryAfterMs to the settle deadline, nothing sent', async () => {
    const { dispatcher, ledger } = setup();
    const id = nid();
    await claimWithShortLease(id, true);
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown', retryable: false });
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(twilio.requests).toHaveLength(0);
    expect((await ledger.get(tenantId, id))?.state).toBe('unknown');
  });

  it('claimed, lease expired before any attempt: claimable, sent exactly once', async () => {
    const { dispatcher } = setup();
    const id = nid();
    await claimWithShortLease(id, false);
    const out = await dispatcher.dispatch({ tenantId, notificationId: id, message: msg() });
    expect(out).toMatchObject({ state: 'accepted', deduplicated: false });
    expect(twilio.requests).toHaveLength(1);
  });

  it('rejected (Twilio 21211): the stored error, recipient masked, no second provider call', async () => {
    const { dispatcher, ledger } = setup();
    const id = nid();
    const bad = msg({ to: '+15005550001' });
    const e1 = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: bad }));
    expect(e1).toMatchObject({ code: 'invalid_recipient', ledgerState: 'rejected' });
    const e2 = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: bad }));
    expect(e2).toMatchObject({ code: 'invalid_recipient', ledgerState: 'rejected', providerCode: 21211 });
    expect(e2.message).not.toContain('5005550001');
    expect(twilio.requests).toHaveLength(1);
    const row = await ledger.get(tenantId, id);
    expect(JSON.stringify(row)).not.toContain('5005550001');
    expect(JSON.stringify(row)).not.toContain('Your code');
  });

  it('rejected: a 201 whose status is failed', async () => {
    const { dispatcher } = setup();
    const id = nid();
    twilio.inject({
      status: 201,
      json: { sid: `SM${'a'.repeat(32)}`, status: 'failed', error_code: 30007, num_segments: '1' },
    });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e).toMatchObject({ ledgerState: 'rejected', messageId: `SM${'a'.repeat(32)}` });
    expect(
      (await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }))).ledgerState,
    ).toBe('rejected');
    expect(twilio.requests).toHaveLength(1);
  });

  it('deferred (Twilio 429): claims again and sends once', async () => {
    const { dispatcher } = setup();
    const id = nid();
    twilio.inject({ status: 429, json: { code: 20429, message: 'Too Many Requests' } });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e).toMatchObject({ code: 'rate_limited', ledgerState: 'deferred', outcome: 'not_sent' });
    const out = await dispatcher.dispatch({ tenantId, notificationId: id, message: msg() });
    expect(out).toMatchObject({ state: 'accepted', deduplicated: false });
    expect(twilio.requests).toHaveLength(2);
    expect(twilio.messages).toHaveLength(1);
  });

  it('deferred: a resolve-stage error (store outage), nothing sent', async () => {
    const { dispatcher } = setup({
      resolveError: new SmsError({
        code: 'provider_unavailable',
        outcome: 'not_sent',
        message: 'store down',
      }),
    });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() }));
    expect(e).toMatchObject({ ledgerState: 'deferred', outcome: 'not_sent' });
  });

  it('unknown (Twilio reset mid-response): never sent blindly again', async () => {
    const { dispatcher, ledger } = setup();
    const id = nid();
    twilio.inject({ resetSocket: 'mid-response' });
    const e1 = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e1).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    expect(e1.retryAfterMs).toBeGreaterThan(0);
    const e2 = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e2).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    expect(e2.retryAfterMs).toBeGreaterThan(0);
    expect(twilio.received).toBe(1); // one create; the second dispatch only tried to list (test credentials: 20008)
    const row = await ledger.get(tenantId, id);
    expect(row).toMatchObject({ state: 'unknown', reason: 'lookup_forbidden' });
    expect(row?.attempts).toHaveLength(1);
    expect(row?.attempts[0]).toMatchObject({ provider: 'twilio', accountSid: account.accountSid });
    expect(row?.attempts[0]?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("reconcileLeaseMs: the lease the dispatcher's own lookup holds the row under; checked at construction", async () => {
    const { db, schema, ledger } = setup();
    const base = { sender: { send: async () => ({}) as never }, ledger };
    for (const bad of [0, -1, Number.NaN, 'x'])
      expect(() => createSmsDispatcher({ ...base, reconcileLeaseMs: bad as number })).toThrow(
        /reconcileLeaseMs/,
      );
    // An unknown row, then a dispatch whose lookup hangs: while it hangs the row is held for reconcileLeaseMs.
    const id = nid();
    twilio.inject({ resetSocket: 'mid-response' });
    await caught(setup().dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    let release: (e: Error) => void = () => {};
    const hanging = new Promise<never>((_, reject) => {
      release = reject;
    });
    let listed = false;
    const lister = {
      ...twilioProvider(),
      accountSid: account.accountSid,
      listMessages: async function* () {
        listed = true;
        yield await hanging;
      },
    } as unknown as SmsProvider;
    const resolver = { resolve: async () => ({ provider: lister, source: 'tenant' as const }) };
    const sender = createSmsSender({ resolver, retry: { maxAttempts: 1 }, circuitBreaker: false });
    const dispatcher = createSmsDispatcher({
      sender,
      ledger,
      resolver,
      settleMs: 0,
      reconcileLeaseMs: 4_321,
    });
    const pending = caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    await until(() => listed);
    expect(listed).toBe(true);
    const { rows } = await db.query(
      `SELECT extract(epoch FROM (reconcile_until - now())) * 1000 AS ms FROM ${ledgerTable(schema)} WHERE notification_id = $1`,
      [id],
    );
    const leftMs = Number((rows[0] as { ms?: unknown } | undefined)?.ms);
    expect(leftMs).toBeGreaterThan(3_000);
    expect(leftMs).toBeLessThanOrEqual(4_321);
    release(new Error('lookup aborted by the test'));
    expect((await pending).ledgerState).toBe('unknown');
    expect(twilio.received).toBe(1);
  });

  it('unknown (MSG91 reset mid-response)', async () => {
    const { dispatcher } = setup({ provider: msg91Provider() });
    msg91.inject({ resetSocket: 'mid-response' });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() }));
    expect(e).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
  });

  it('MSG91 311 duplicate: unknown, never rejected', async () => {
    const { dispatcher } = setup({ provider: msg91Provider() });
    const e = await caught(
      dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg({ to: '+910000000311' }) }),
    );
    expect(e).toMatchObject({ code: 'duplicate', ledgerState: 'unknown', outcome: 'unknown' });
  });

  it('MSG91 418 (IP not whitelisted): deferred', async () => {
    const { dispatcher } = setup({ provider: msg91Provider() });
    const e = await caught(
      dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg({ to: '+910000000418' }) }),
    );
    expect(e).toMatchObject({ code: 'permission_denied', ledgerState: 'deferred' });
  });

  it('MSG91 accepted: the stored result on a second dispatch', async () => {
    const { dispatcher } = setup({ provider: msg91Provider() });
    const id = nid();
    await dispatcher.dispatch({ tenantId, notificationId: id, message: msg({ to: '+919876543210' }) });
    const again = await dispatcher.dispatch({
      tenantId,
      notificationId: id,
      message: msg({ to: '+919876543210' }),
    });
    expect(again).toMatchObject({ deduplicated: true });
    expect(msg91.requests).toHaveLength(1);
  });

  it('past its validity (measured from the row creation): rejected, nothing sent', async () => {
    const { dispatcher, db, schema } = setup();
    const id = nid();
    const otp = msg({ validityPeriodSec: 60 });
    twilio.inject({ status: 429, json: { code: 20429, message: 'Too Many Requests' } });
    await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: otp }));
    await db.query(
      `UPDATE ${ledgerTable(schema)} SET created_at = now() - interval '1 hour' WHERE notification_id = $1`,
      [id],
    );
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: otp }));
    expect(e).toMatchObject({ code: 'invalid_message', ledgerState: 'rejected' });
    expect(twilio.requests).toHaveLength(1);
  });

  it('deferred: an open circuit (the provider was not called)', async () => {
    const { dispatcher } = setup({ sender: { circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 } } });
    twilio.inject({ status: 503, json: { code: 20500, message: 'down' } });
    await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() })); // opens the circuit
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() }));
    expect(e).toMatchObject({ ledgerState: 'deferred', outcome: 'not_sent' });
    expect(twilio.requests).toHaveLength(1);
  });

  it('deferred: aborted before the request left', async () => {
    const ctl = new AbortController();
    const { dispatcher } = setup({ onResolve: () => ctl.abort() });
    const id = nid();
    const e = await caught(
      dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }, { signal: ctl.signal }),
    );
    expect(e).toMatchObject({ code: 'aborted', ledgerState: 'deferred', outcome: 'not_sent' });
    expect(twilio.requests).toHaveLength(0);
  });

  it("deferred: a tenant's revoked credentials (Twilio 20003)", async () => {
    const revoked = new TwilioProvider(
      { accountSid: account.accountSid, authToken: 'f'.repeat(32), fromNumber: TWILIO_VALID_FROM },
      { apiBaseUrl: twilio.url, timeoutMs: 5_000 },
    );
    const { dispatcher } = setup({ provider: revoked });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() }));
    expect(e).toMatchObject({ code: 'authentication_failed', ledgerState: 'deferred' });
  });

  it('rejected: MSG91 202 (invalid recipient)', async () => {
    const { dispatcher } = setup({ provider: msg91Provider() });
    msg91.inject({ status: 200, json: { type: 'error', code: '202', message: 'Invalid mobile number' } });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() }));
    expect(e).toMatchObject({ code: 'invalid_recipient', ledgerState: 'rejected' });
  });

  it('the lease is renewed during in-process retries: a second worker sees in_progress, the retry still sends', async () => {
    const { dispatcher } = setup({
      leaseMs: 1_000,
      sender: { retry: { maxAttempts: 2, baseDelayMs: 1_500, maxDelayMs: 1_500 }, random: () => 0.999 },
    });
    const id = nid();
    twilio.inject({ status: 429, json: { code: 20429, message: 'Too Many Requests' } });
    const first = dispatcher.dispatch({ tenantId, notificationId: id, message: msg() });
    await until(() => twilio.requests.length === 1);
    await sleep(1_200); // past the first lease: only a renewal keeps the claim
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e).toMatchObject({ code: 'in_progress', ledgerState: 'claimed' });
    expect(await first).toMatchObject({ state: 'accepted', deduplicated: false });
    expect(twilio.requests).toHaveLength(2);
    expect(twilio.messages).toHaveLength(1);
  });

  it('a claim lost before the provider call: nothing sent, the row left to its new holder', async () => {
    const id = nid();
    const { dispatcher, ledger } = setup({
      onResolve: async () => {
        const { db, schema } = get();
        await db.query(`UPDATE ${ledgerTable(schema)} SET lease_id = 'another' WHERE notification_id = $1`, [
          id,
        ]);
      },
    });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: id, message: msg() }));
    expect(e).toMatchObject({ code: 'in_progress', ledgerState: 'claimed', retryable: false });
    expect(twilio.requests).toHaveLength(0);
    expect(await ledger.get(tenantId, id)).toMatchObject({ state: 'claimed', attempts: [] });
  });

  it('the database down at the claim: provider_unavailable, not sent, retryable; nothing sent', async () => {
    const down = {
      query: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      },
    };
    const ledger = createSmsLedger({ db: down, cipher });
    const sender = createSmsSender({
      resolver: { resolve: async () => ({ provider: twilioProvider(), source: 'tenant' as const }) },
    });
    const dispatcher = createSmsDispatcher({ sender, ledger });
    const e = await caught(dispatcher.dispatch({ tenantId, notificationId: nid(), message: msg() }));
    expect(e).toMatchObject({ code: 'provider_unavailable', outcome: 'not_sent', retryable: true });
    expect(twilio.requests).toHaveLength(0);
  });

  it('sent, but the accept could not be written: success, and the next dispatch does not send again', async () => {
    const { db, schema } = get();
    const real = createSmsLedger({ db, cipher, schema });
    const broken = { ...real, accept: async () => Promise.reject(new Error('db down')) };
    const provider = twilioProvider();
    const resolver = { resolve: async () => ({ provider, source: 'tenant' as const }) };
    const sender = createSmsSender({ resolver, retry: false });
    const id = nid();
    const out = await createSmsDispatcher({ sender, ledger: broken }).dispatch({
      tenantId,
      notificationId: id,
      message: msg(),
    });
    expect(out).toMatchObject({ state: 'accepted', deduplicated: false });
    const e = await caught(
      createSmsDispatcher({ sender, ledger: real }).dispatch({
        tenantId,
        notificationId: id,
        message: msg(),
      }),
    );
    expect(e).toMatchObject({ code: 'in_progress', ledgerState: 'claimed' });
    expect(twilio.requests).toHaveLength(1);
  });

  it("evidence before the owner's write: claimed → accepted, the owner's accept is a no-op success", async () => {
    const { ledger } = setup();
    const id = nid();
    const fp = ledger.fingerprint(TO, msg());
    const lease = { tenantId, notificationId: id, leaseId: 'owner' };
    await ledger.claim({ ...lease, recipient: TO, fingerprint: fp.value, fingerprintKeyId: fp.keyId });
    const now = new Date();
    await ledger.recordAttempt(lease, { id: 'att-1', startedAt: now, settleBy: now, provider: 'twilio' });
    const sid = `SM${'b'.repeat(32)}`;
    const ev = await ledger.acceptEvidence(
      tenantId,
      { attemptId: 'att-1' },
      {
        messageId: sid,
        provider: 'twilio',
        status: 'delivered',
      },
    );
    expect(ev).toMatchObject({ state: 'accepted', messageId: sid, status: 'delivered' });
    const result = {
      messageId: sid,
      provider: 'twilio' as const,
      status: 'queued' as const,
      segments: 1,
      encoding: 'GSM-7' as const,
    };
    expect(await ledger.accept(lease, result)).toBe(true);
    expect((await ledger.get(tenantId, id))?.status).toBe('delivered');
    // Another tenant's evidence naming this attempt changes nothing.
    expect(
      await ledger.acceptEvidence(
        'tenant-b',
        { attemptId: 'att-1' },
        { messageId: 'x', provider: 'twilio', status: 'failed' },
      ),
    ).toBeUndefined();
  });
});
