// §10's error → state rules, one test per rule (the dispatcher tests show them on the wire).
import { describe, expect, it } from 'vitest';
import { SmsError, type SmsErrorCode } from '../errors.js';
import { ledgerStateForError } from './error-state.js';

const e = (code: SmsErrorCode, extra: Partial<ConstructorParameters<typeof SmsError>[0]> = {}) =>
  new SmsError({ code, message: code, ...extra });

describe('ledgerStateForError', () => {
  it.each([
    'invalid_recipient',
    'recipient_unreachable',
    'recipient_opted_out',
    'invalid_message',
    'invalid_template',
  ] as const)('%s (about the recipient or the message) → rejected', (code) => {
    expect(ledgerStateForError(e(code))).toBe('rejected');
  });

  it('a created message that failed (201 failed, messageId set) → rejected', () => {
    expect(ledgerStateForError(e('unknown', { outcome: 'not_sent', messageId: 'SM1' }))).toBe('rejected');
  });

  it.each([
    ['rate_limited', {}],
    ['network', { outcome: 'not_sent' }],
    ['provider_unavailable', { outcome: 'not_sent' }], // circuit open, resolve-stage store outage
    ['aborted', { outcome: 'not_sent' }],
    ['timeout', { outcome: 'not_sent' }], // deadline before the request left
    ['authentication_failed', {}], // a tenant's revoked credentials
    ['invalid_config', {}], // platform misconfiguration
    ['permission_denied', {}],
    ['insufficient_balance', {}],
  ] as const)('%s, certainly not sent → deferred', (code, extra) => {
    expect(ledgerStateForError(e(code, extra))).toBe('deferred');
  });

  it.each(['timeout', 'network', 'provider_unavailable', 'aborted', 'unknown'] as const)(
    '%s with outcome unknown → unknown',
    (code) => {
      expect(ledgerStateForError(e(code, { outcome: 'unknown' }))).toBe('unknown');
    },
  );

  it("MSG91 311 'duplicate' is never rejected by itself → unknown", () => {
    expect(ledgerStateForError(e('duplicate', { provider: 'msg91', providerCode: '311' }))).toBe('unknown');
  });
});
