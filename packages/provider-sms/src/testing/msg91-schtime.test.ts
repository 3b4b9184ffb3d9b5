// Issue 15: the MSG91 emulator accepts `schtime` in the formats MSG91 documents (Y-m-d H:i:s, Y/m/d H:i:s,
// Unix seconds), records it with the time it names, and refuses any other value without sending.
import { describe, expect, it } from 'vitest';
import { handleMsg91Request, type Msg91State } from './msg91-emulator.js';
import { MSG91_INVALID_SCHTIME_MESSAGE, parseMsg91Schtime } from './msg91-schtime.js';

describe('parseMsg91Schtime', () => {
  it('reads the documented formats (date-times as India time, +05:30)', () => {
    const at = Date.parse('2026-12-24T10:10:00+05:30');
    expect(parseMsg91Schtime('2026-12-24 10:10:00')?.getTime()).toBe(at);
    expect(parseMsg91Schtime('2026/12/24 10:10:00')?.getTime()).toBe(at);
    expect(parseMsg91Schtime(String(at / 1000))?.getTime()).toBe(at);
    expect(parseMsg91Schtime(at / 1000)?.getTime()).toBe(at);
  });

  it('refuses anything else, including dates that would roll over', () => {
    for (const v of [
      '2026-12-24T10:10:00Z',
      '2026-12-24 10:10',
      '2026-12/24 10:10:00',
      '2026-02-30 10:00:00',
      '2026-12-24 24:00:00',
      '2026-12-24 10:60:00',
      'tomorrow',
      '',
      '1.5',
      1.5,
      null,
      true,
    ]) {
      expect(parseMsg91Schtime(v), String(v)).toBeUndefined();
    }
  });
});

describe('handleMsg91Request with schtime', () => {
  const state = (): Msg91State => ({
    authKey: 'k',
    templates: [{ id: 't', variables: ['body'] }],
    balance: 10,
    duplicateWindowMs: 0,
    recent: new Map(),
  });
  const request = (schtime: unknown) => ({
    method: 'POST',
    path: '/api/v5/flow',
    headers: { authkey: 'k', 'content-type': 'application/json' },
    body: JSON.stringify({
      template_id: 't',
      recipients: [{ mobiles: '919876543210', body: 'hi' }],
      schtime,
    }),
  });

  it('records schtime and the time it names on each accepted recipient', () => {
    const handled = handleMsg91Request(request('2026-12-24 10:10:00'), state());
    expect(JSON.parse(handled.response.body)).toMatchObject({ type: 'success' });
    expect(handled.accepted?.messages.map((x) => [x.schtime, x.sendAt?.toISOString()])).toEqual([
      ['2026-12-24 10:10:00', '2026-12-24T04:40:00.000Z'],
    ]);
  });

  it('answers type "error" for a malformed schtime and accepts nothing', () => {
    const handled = handleMsg91Request(request('2026-12-24T10:10:00Z'), state());
    expect(handled.accepted).toBeUndefined();
    expect(JSON.parse(handled.response.body)).toEqual({
      type: 'error',
      message: MSG91_INVALID_SCHTIME_MESSAGE,
    });
  });
});
