// Each figure of verify.mjs against a hand-made run whose right answer is known.
import { describe, expect, it } from 'vitest';
import { countRedelivered, isResolvable, passes, throughputPerSec, verifyRun } from './verify.mjs';

const n = (id: string) => ({ tenantId: 't1', notificationId: id, body: `body of ${id}` });
const row = (id: string, state: string, over: Record<string, unknown> = {}) => ({
  tenantId: 't1',
  notificationId: id,
  state,
  provider: 'twilio',
  messageId: null,
  attempts: [{ provider: 'twilio', accountSid: 'AC1' }],
  ...over,
});
const tw = (sid: string, id: string) => ({ provider: 'twilio' as const, id: sid, body: `body of ${id}` });
const m91 = (rid: string, id: string, reported = true) => ({
  provider: 'msg91' as const,
  id: rid,
  body: `body of ${id}`,
  reported,
});
const msg91Attempt = { provider: 'msg91', attempts: [{ provider: 'msg91' }] };

describe('verifyRun', () => {
  it('a clean run: every notification accepted with its one message', () => {
    const v = verifyRun({
      notifications: [n('a'), n('b')],
      rows: [
        row('a', 'accepted', { messageId: 'SM1' }),
        row('b', 'accepted', { messageId: 'R2', ...msg91Attempt }),
      ],
      messages: [tw('SM1', 'a'), m91('R2', 'b')],
    });
    expect(v).toMatchObject({ duplicates: 0, lost: 0, unknownLeft: 0, unresolvable: 0, ledgerAccepted: 2 });
    expect(v.providerMessages).toBe(2);
    expect(passes(v)).toBe(true);
  });

  it('duplicates: a notification with two provider messages (even across providers)', () => {
    const v = verifyRun({
      notifications: [n('a'), n('b')],
      rows: [row('a', 'accepted', { messageId: 'SM1' }), row('b', 'accepted', { messageId: 'SM3' })],
      messages: [tw('SM1', 'a'), m91('R1', 'a'), tw('SM3', 'b')],
    });
    expect(v.duplicates).toBe(1);
    expect(v.examples.duplicates[0]).toContain('t1/a');
    expect(v.providerMessages).toBe(3);
    expect(v.ledgerAccepted).toBe(2);
    expect(passes(v)).toBe(false);
  });

  it('lost: no ledger row', () => {
    const v = verifyRun({ notifications: [n('a')], rows: [], messages: [] });
    expect(v.lost).toBe(1);
    expect(v.examples.lost[0]).toContain('no ledger row');
  });

  it('lost: accepted but absent at the provider, or accepted with another notification’s message id', () => {
    const v = verifyRun({
      notifications: [n('a'), n('b')],
      rows: [row('a', 'accepted', { messageId: 'SM9' }), row('b', 'accepted', { messageId: 'SM1' })],
      messages: [tw('SM1', 'a')],
    });
    expect(v.lost).toBe(2);
  });

  it('lost: present at the provider but rejected or deferred in the ledger', () => {
    const v = verifyRun({
      notifications: [n('a'), n('b'), n('c')],
      rows: [row('a', 'rejected'), row('b', 'deferred'), row('c', 'deferred')],
      messages: [tw('SM1', 'a'), tw('SM2', 'b')],
    });
    expect(v.lost).toBe(2);
    expect(v).toMatchObject({ rejected: 1, deferred: 2 });
  });

  it('unknownLeft: unknown or claimed rows the package could settle (Twilio lookup, MSG91 report, no attempt)', () => {
    const v = verifyRun({
      notifications: [n('a'), n('b'), n('c'), n('d')],
      rows: [
        row('a', 'unknown', { reason: 'not_settled' }),
        row('b', 'claimed'),
        row('c', 'unknown', { ...msg91Attempt, reason: 'no_lookup' }),
        row('d', 'claimed', { attempts: [] }),
      ],
      messages: [m91('R1', 'c')],
    });
    expect(v.unknownLeft).toBe(4);
    expect(v.unresolvable).toBe(0);
  });

  it('unresolvable: a MSG91 attempt left unknown with no message at MSG91, counted apart and not a failure', () => {
    const v = verifyRun({
      notifications: [n('a')],
      rows: [row('a', 'unknown', { ...msg91Attempt, reason: 'no_lookup' })],
      messages: [],
    });
    expect(v).toMatchObject({ unresolvable: 1, unknownLeft: 0, lost: 0 });
    expect(passes(v)).toBe(true);
  });

  it('unresolvable: a MSG91 message MSG91 holds but whose delivery report was withheld', () => {
    const v = verifyRun({
      notifications: [n('a')],
      rows: [row('a', 'unknown', { ...msg91Attempt, reason: 'no_lookup' })],
      messages: [m91('R1', 'a', false)],
    });
    expect(v).toMatchObject({ unresolvable: 1, unknownLeft: 0, lost: 0 });
  });

  it('a provider message that belongs to no notification is stray and breaks providerMessages == ledgerAccepted', () => {
    const v = verifyRun({
      notifications: [n('a')],
      rows: [row('a', 'accepted', { messageId: 'SM1' })],
      messages: [tw('SM1', 'a'), { provider: 'twilio', id: 'SM2', body: 'someone else' }],
    });
    expect(v.strayMessages).toBe(1);
    expect(passes(v)).toBe(false);
  });
});

describe('isResolvable', () => {
  it('a row with no attempt is resolvable (proved absent)', () => {
    expect(isResolvable(row('a', 'claimed', { attempts: [] }), [])).toBe(true);
  });

  it('a row with a Twilio attempt is resolvable (its account can be listed), even with nothing at Twilio', () => {
    expect(isResolvable(row('a', 'unknown'), [])).toBe(true);
  });

  it('a MSG91-only row is resolvable only when MSG91 holds its message and the report reached the webhook', () => {
    expect(isResolvable(row('a', 'unknown', msg91Attempt), [m91('R1', 'a')])).toBe(true);
    expect(isResolvable(row('a', 'unknown', msg91Attempt), [m91('R1', 'a', false)])).toBe(false);
    expect(isResolvable(row('a', 'unknown', msg91Attempt), [])).toBe(false);
  });
});

describe('countRedelivered', () => {
  it('counts jobs started more than once; a re-enqueued id is another job', () => {
    const r = countRedelivered([
      { jobId: 'a', round: 0 },
      { jobId: 'a', round: 0 },
      { jobId: 'a', round: 0 },
      { jobId: 'b', round: 0 },
      { jobId: 'b', round: 1 },
    ]);
    expect(r).toEqual({ redelivered: 1, handouts: 5, jobs: 3 });
  });
});

describe('throughputPerSec', () => {
  it('is accepted per second of the span, 0 for an empty span', () => {
    expect(throughputPerSec(300, 1500)).toBe(200);
    expect(throughputPerSec(10, 0)).toBe(0);
  });
});
