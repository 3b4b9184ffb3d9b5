import { describe, expect, it } from 'vitest';
import { checkDurationMs, MAX_TIMER_MS } from './duration.js';

describe('checkDurationMs', () => {
  it('accepts 0 up to setTimeout’s limit (2^31 − 1), and Infinity only where allowed', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
    for (const v of [0, 1, 1.5, 30_000, MAX_TIMER_MS]) expect(checkDurationMs(v, { option: 'x' })).toBe(v);
    expect(checkDurationMs(Infinity, { option: 'x', allowInfinity: true })).toBe(Infinity);
  });

  it.each([2 ** 31, 2 ** 32, 3_000_000_000, Infinity, -1, Number.NaN, '100', null])(
    'refuses %s as invalid_config naming the option',
    (v) => {
      expect(() => checkDurationMs(v, { option: 'retry.maxDelayMs', owner: 'createSmsSender' })).toThrow(
        expect.objectContaining({
          code: 'invalid_config',
          message: expect.stringContaining('createSmsSender: retry.maxDelayMs must be'),
        }),
      );
    },
  );

  it('honours min', () => {
    expect(() => checkDurationMs(0, { option: 'storeTimeoutMs', min: 1 })).toThrow(/storeTimeoutMs.*≥ 1/);
    expect(() => checkDurationMs(-Infinity, { option: 'd', allowInfinity: true })).toThrow(/d must be/);
  });
});
