// ledger.applyStatus on PGlite and (with DATABASE_URL) PostgreSQL: settles, monotonic, idempotent, tenant-scoped.
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { newAttemptId } from '../attempt-id.js';
import { createConfigCipher } from '../config/cipher.js';
import { withTransaction } from '../config/database.js';
import { describeWithDatabases } from '../config/test-databases.js';
import type { SmsProviderName } from '../types.js';
import type { SmsLedgerStatusEvent } from './apply-status.js';
import { createSmsLedger, type SmsLedger } from './ledger.js';
import { ledgerTable } from './ledger-schema.js';

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const TO = '+919876543210';
const nid = () => `n-${randomBytes(6).toString('hex')}`;

/** A claimed row with one recorded attempt (what the dispatcher leaves right before its provider call). */
async function claimedWithAttempt(ledger: SmsLedger, tenantId: string, provider: SmsProviderName) {
  const notificationId = nid();
  const leaseId = newAttemptId();
  const fp = ledger.fingerprint(TO, { to: TO, body: 'hello' });
  const { claimed } = await ledger.claim({
    tenantId,
    notificationId,
    recipient: TO,
    fingerprint: fp.value,
    fingerprintKeyId: fp.keyId,
    leaseId,
  });
  expect(claimed).toBe(true);
  const attemptId = newAttemptId();
  const now = new Date();
  const lease = { tenantId, notificationId, leaseId };
  expect(await ledger.recordAttempt(lease, { id: attemptId, startedAt: now, settleBy: now, provider })).toBe(
    true,
  );
  return { notificationId, attemptId, lease };
}

describeWithDatabases('ledger.applyStatus', (get) => {
  const make = () => createSmsLedger({ db: get().db, cipher, schema: get().schema });
  const sid = () => `SM${randomBytes(16).toString('hex')}`;
  const ev = (over: Partial<SmsLedgerStatusEvent>): SmsLedgerStatusEvent => ({
    provider: 'twilio',
    messageId: sid(),
    status: 'sent',
    to: TO,
    ...over,
  });

  it('by attempt id: claimed → accepted, the same event again is unchanged, the owner accept is then a no-op that fills the result', async () => {
    const ledger = make();
    const { notificationId, attemptId, lease } = await claimedWithAttempt(ledger, 't-a', 'twilio');
    const e = ev({ attemptId });
    expect((await ledger.applyStatus('t-a', e)).outcome).toBe('changed');
    expect(await ledger.get('t-a', notificationId)).toMatchObject({
      state: 'accepted',
      messageId: e.messageId,
      status: 'sent',
    });
    expect((await ledger.applyStatus('t-a', e)).outcome).toBe('unchanged');
    const owner = { messageId: e.messageId, provider: 'twilio' as const, status: 'queued' as const };
    expect(await ledger.accept(lease, { ...owner, segments: 1, encoding: 'GSM-7' })).toBe(true);
    const row = await ledger.get('t-a', notificationId);
    expect(row).toMatchObject({
      state: 'accepted',
      status: 'sent',
      result: { status: 'queued', segments: 1 },
    });
    // Another SID for the same attempt is not the message the row holds.
    expect((await ledger.applyStatus('t-a', ev({ attemptId, status: 'delivered' }))).outcome).toBe(
      'unchanged',
    );
  });

  it('monotonic: delivered is never overwritten by a late sent; undelivered carries its code, a later delivered clears it', async () => {
    const ledger = make();
    const { notificationId } = await claimedWithAttempt(ledger, 't-a', 'twilio');
    const messageId = sid();
    expect((await ledger.applyStatus('t-a', ev({ messageId, status: 'undelivered' }))).outcome).toBe(
      'not_found',
    );
    const { attemptId } = { attemptId: (await ledger.get('t-a', notificationId))!.attempts[0]!.id };
    await ledger.applyStatus('t-a', ev({ messageId, attemptId, status: 'sent' }));
    const failed = ev({ messageId, status: 'undelivered', code: 'carrier_rejected', errorCode: 30007 });
    expect((await ledger.applyStatus('t-a', failed)).outcome).toBe('changed');
    expect((await ledger.get('t-a', notificationId))?.error).toMatchObject({
      code: 'carrier_rejected',
      providerCode: 30007,
      messageId,
    });
    expect((await ledger.applyStatus('t-a', ev({ messageId, status: 'delivered' }))).outcome).toBe('changed');
    expect((await ledger.applyStatus('t-a', ev({ messageId, status: 'sent' }))).outcome).toBe('unchanged');
    const row = await ledger.get('t-a', notificationId);
    expect(row).toMatchObject({ state: 'accepted', status: 'delivered' });
    expect(row?.error).toBeUndefined();
  });

  it("tenant-scoped: another tenant's attempt id or message id changes nothing of its row", async () => {
    const ledger = make();
    const b = await claimedWithAttempt(ledger, 't-b', 'twilio');
    expect((await ledger.applyStatus('t-a', ev({ attemptId: b.attemptId }))).outcome).toBe('not_found');
    const messageId = sid();
    await ledger.applyStatus('t-b', ev({ attemptId: b.attemptId, messageId }));
    expect((await ledger.applyStatus('t-a', ev({ messageId, status: 'failed' }))).outcome).toBe('not_found');
    expect(await ledger.get('t-b', b.notificationId)).toMatchObject({ status: 'sent', state: 'accepted' });
    await expect(ledger.applyStatus(undefined, ev({ messageId }))).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });

  it('MSG91 without a tenant: by attempt id of a msg91 attempt only, else by the single msg91 row with that request id and number', async () => {
    const ledger = make();
    const tw = await claimedWithAttempt(ledger, 't-a', 'twilio');
    const m = await claimedWithAttempt(ledger, 't-b', 'msg91');
    const report = (over: Partial<SmsLedgerStatusEvent>) =>
      ev({ provider: 'msg91', messageId: 'req-1', status: 'delivered', ...over });
    expect((await ledger.applyStatus(undefined, report({ attemptId: tw.attemptId }))).outcome).toBe(
      'not_found',
    );
    expect(
      (await ledger.applyStatus(undefined, report({ attemptId: m.attemptId, to: '+911111111111' }))).outcome,
    ).toBe('not_found');
    const requestId = randomBytes(12).toString('hex');
    expect(
      (await ledger.applyStatus(undefined, report({ attemptId: m.attemptId, messageId: requestId }))).outcome,
    ).toBe('changed');
    expect(await ledger.get('t-b', m.notificationId)).toMatchObject({
      state: 'accepted',
      status: 'delivered',
    });
    expect((await ledger.applyStatus(undefined, report({ messageId: requestId }))).outcome).toBe('unchanged');
    expect((await ledger.get('t-a', tw.notificationId))?.state).toBe('claimed');
  });

  it('onEvent-style beforeWrite: runs once before a change, and when it throws nothing is written', async () => {
    const ledger = make();
    const { notificationId, attemptId } = await claimedWithAttempt(ledger, 't-a', 'twilio');
    const e = ev({ attemptId });
    await expect(
      ledger.applyStatus('t-a', e, {
        beforeWrite: () => {
          throw new Error('consumer down');
        },
      }),
    ).rejects.toThrow('consumer down');
    expect((await ledger.get('t-a', notificationId))?.state).toBe('claimed');
    let calls = 0;
    const r = await ledger.applyStatus('t-a', e, { beforeWrite: () => void calls++ });
    expect(r.outcome).toBe('changed');
    await ledger.applyStatus('t-a', e, { beforeWrite: () => void calls++ });
    expect(calls).toBe(1);
  });

  it('an MSG91 report without a tenant finds its request id through an index, not a scan of every tenant', async () => {
    const { db, schema } = get();
    const t = ledgerTable(schema);
    // One connection (a pool's SET would reach just one of them): SET LOCAL inside a transaction.
    const text = await withTransaction(db, async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const plan = await tx.query(
        `EXPLAIN SELECT 1 FROM ${t} WHERE channel = 'sms' AND notification_id IS NOT NULL AND provider = 'msg91'
           AND message_id = 'req-x' LIMIT 2`,
      );
      return plan.rows.map((r) => Object.values(r as Record<string, unknown>)[0]).join('\n');
    });
    expect(text).toMatch(/provider_message_idx/);
  });
});
