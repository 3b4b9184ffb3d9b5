import { describe, expect, it } from 'vitest';
import { SMS_ERROR_CODES } from '../errors.js';
import { twilioDeliveryErrorCode } from '../webhooks/status.js';
import { twilioFailureToSmsError } from './map-twilio-error.js';
import { TWILIO_ERROR_CODE_TABLE, TWILIO_ERROR_CODES, twilioErrorCode } from './twilio-error-codes.js';

describe('the Twilio error table', () => {
  it('is frozen data, one row per code, each mapping to a known SmsErrorCode with a meaning', () => {
    expect(Object.isFrozen(TWILIO_ERROR_CODE_TABLE)).toBe(true);
    expect(Object.isFrozen(TWILIO_ERROR_CODES)).toBe(true);
    const codes = TWILIO_ERROR_CODE_TABLE.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const row of TWILIO_ERROR_CODE_TABLE) {
      expect(Object.isFrozen(row)).toBe(true);
      expect(SMS_ERROR_CODES).toContain(row.smsCode);
      expect(row.meaning.length).toBeGreaterThan(5);
      expect(TWILIO_ERROR_CODES[row.code]).toBe(row.smsCode);
    }
  });

  it('keeps docs/design.md §5 rows of TWILIO_ERROR_CODES', () => {
    expect(TWILIO_ERROR_CODES).toMatchObject({
      21211: 'invalid_recipient',
      21614: 'invalid_recipient',
      21612: 'recipient_unreachable',
      21610: 'recipient_opted_out',
      21408: 'permission_denied',
      21212: 'invalid_sender',
      21606: 'invalid_sender',
      21210: 'invalid_sender',
      21611: 'sender_queue_full',
      21602: 'invalid_message',
      21617: 'invalid_message',
      20003: 'authentication_failed',
      20429: 'rate_limited',
    });
  });

  it.each([
    [21609, 'invalid_config'],
    [14107, 'rate_limited'],
    [30001, 'sender_queue_full'],
    [30022, 'rate_limited'],
    [30023, 'rate_limited'],
    [30032, 'invalid_sender'],
    [30034, 'invalid_sender'],
    [30036, 'sender_queue_full'],
    [30450, 'permission_denied'],
    [30453, 'permission_denied'],
    [21624, 'invalid_message'],
    [35111, 'invalid_message'],
    [35114, 'invalid_message'],
    [35118, 'invalid_message'],
  ] as const)('maps %s to %s (API and delivery lookups agree)', (code, smsCode) => {
    expect(twilioErrorCode(code)).toBe(smsCode);
    expect(twilioErrorCode(String(code))).toBe(smsCode);
    expect(twilioDeliveryErrorCode(code)).toBe(smsCode);
  });

  it('an API error with a code it maps: 21609 on a 400 is invalid_config, 14107 rate_limited and retryable', () => {
    expect(twilioFailureToSmsError({ httpStatus: 400, code: 21609 })).toMatchObject({
      code: 'invalid_config',
      outcome: 'not_sent',
      retryable: false,
    });
    expect(twilioFailureToSmsError({ httpStatus: 400, code: 14107 })).toMatchObject({
      code: 'rate_limited',
      outcome: 'not_sent',
      retryable: true,
    });
  });

  it.each([21699, 30008, 30999, 63999])(
    'an unknown (or "unknown error") code %s on a 4xx stays unknown / not_sent / not retryable',
    (code) => {
      expect(twilioFailureToSmsError({ httpStatus: 400, code })).toMatchObject({
        code: 'unknown',
        outcome: 'not_sent',
        retryable: false,
        providerCode: code,
      });
      expect(twilioDeliveryErrorCode(code)).toBe('unknown');
    },
  );

  it('is not fooled by non-numeric or inherited keys', () => {
    for (const v of ['', ' ', 'abc', '21211x', 'constructor', 'toString', -21211, 0, 1.5, null, undefined]) {
      expect(twilioErrorCode(v as never)).toBeUndefined();
    }
  });
});
