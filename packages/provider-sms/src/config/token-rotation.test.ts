import { describe, expect, it } from 'vitest';
import type { TwilioConfig } from './schemas.js';
import { previousAuthTokenOf, twilioConfigPlaintext } from './token-rotation.js';

const cfg = (authToken: string, accountSid = `AC${'1'.repeat(32)}`): TwilioConfig => ({
  accountSid,
  authToken,
  fromNumber: '+15005550006',
});
const now = new Date('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe('twilioConfigPlaintext', () => {
  it('keeps the old token for the window on a token change, carries an unexpired one over, drops an expired one', () => {
    const rotated = JSON.parse(
      twilioConfigPlaintext(cfg('new-token-02'), { config: cfg('old-token-01') }, now, HOUR),
    );
    expect(previousAuthTokenOf(rotated)).toEqual({
      authToken: 'old-token-01',
      expiresAt: new Date(now.getTime() + HOUR),
    });
    const previous = { authToken: 'old-token-01', expiresAt: new Date(now.getTime() + 1) };
    const resaved = twilioConfigPlaintext(
      cfg('new-token-02'),
      { config: cfg('new-token-02'), previous },
      now,
      HOUR,
    );
    expect(previousAuthTokenOf(JSON.parse(resaved))).toEqual(previous);
    const expired = { authToken: 'old-token-01', expiresAt: now };
    const late = twilioConfigPlaintext(
      cfg('new-token-02'),
      { config: cfg('new-token-02'), previous: expired },
      now,
      HOUR,
    );
    expect(JSON.parse(late)).toEqual(cfg('new-token-02'));
  });

  it('keeps nothing for another account, a first save, or a window of 0', () => {
    const other = { config: cfg('old-token-01', `AC${'2'.repeat(32)}`) };
    expect(JSON.parse(twilioConfigPlaintext(cfg('new-token-02'), other, now, HOUR))).toEqual(
      cfg('new-token-02'),
    );
    expect(JSON.parse(twilioConfigPlaintext(cfg('new-token-02'), undefined, now, HOUR))).toEqual(
      cfg('new-token-02'),
    );
    const zero = twilioConfigPlaintext(cfg('new-token-02'), { config: cfg('old-token-01') }, now, 0);
    expect(JSON.parse(zero)).toEqual(cfg('new-token-02'));
  });
});
