// Issue 15: MSG91 schedules a sendAt with `schtime` (Unix seconds, rounded up) and answers status
// 'scheduled'; a sendAt not in the future is invalid_message, nothing sent. validityPeriodSec has no MSG91
// field: it is checked, never sent. Against the MSG91 emulator (loopback, port 0), Date faked by vitest.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSmsError } from '../errors.js';
import { type Msg91Emulator, startMsg91Emulator } from '../testing/msg91-emulator.js';
import type { SmsMessage } from '../types.js';
import { Msg91Provider } from './msg91.js';

const NOW = Date.parse('2026-12-01T09:00:00.000Z');
const message = (fields: Partial<SmsMessage> = {}): SmsMessage => ({
  to: '+919876543210',
  body: 'Your appointment is tomorrow',
  ...fields,
});

let m: Msg91Emulator;
let provider: Msg91Provider;

beforeAll(async () => {
  m = await startMsg91Emulator({ duplicateWindowMs: 0 });
  provider = new Msg91Provider(
    { authKey: m.authKey, templateId: m.templateId },
    { apiBaseUrl: m.url, timeoutMs: 5_000 },
  );
});
afterAll(async () => {
  await m?.close();
});
beforeEach(() => {
  m.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Msg91Provider: sendAt and validityPeriodSec', () => {
  it('sends sendAt as schtime in Unix seconds (rounded up) and resolves status scheduled', async () => {
    const sendAt = new Date(NOW + 3_600_000 + 1);
    const r = await provider.send(message({ sendAt }));
    expect(r.status).toBe('scheduled');
    const seconds = Math.ceil((NOW + 3_600_001) / 1000);
    expect(m.messages.map((x) => [x.schtime, x.sendAt?.getTime()])).toEqual([
      [String(seconds), seconds * 1000],
    ]);
  });

  it('without sendAt: status queued and no schtime', async () => {
    const r = await provider.send(message());
    expect(r.status).toBe('queued');
    expect(m.messages[0]).not.toHaveProperty('schtime');
  });

  it('refuses a sendAt now or in the past: invalid_message naming it, nothing sent', async () => {
    for (const at of [NOW, NOW - 60_000]) {
      const e = await provider.send(message({ sendAt: new Date(at) })).catch((err: unknown) => err);
      expect(isSmsError(e) && [e.code, e.outcome, e.provider]).toEqual([
        'invalid_message',
        'not_sent',
        'msg91',
      ]);
      expect((e as Error).message).toMatch(
        /^message\.sendAt must be in the future; it is \d+ s (in the past|from now)$/,
      );
    }
    expect([m.received, m.messages.length, m.rejected.length]).toEqual([0, 0, 0]);
  });

  it('checks validityPeriodSec but sends no field for it (MSG91 has none)', async () => {
    await provider.send(message({ validityPeriodSec: 300 }));
    expect(m.messages).toHaveLength(1);
    expect(Object.keys(m.messages[0]?.variables ?? {})).toEqual(['body']);
    const e = await provider.send(message({ validityPeriodSec: 0 })).catch((err: unknown) => err);
    expect(isSmsError(e) && e.code).toBe('invalid_message');
    expect(m.received).toBe(1);
  });
});
