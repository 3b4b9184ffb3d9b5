import { SmsError } from './errors.js';
import type { SmsProviderName } from './types.js';

/** Longest delay `setTimeout` honours (2^31 − 1 ms, ≈ 24.8 days); a longer one fires after ~1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How `checkDurationMs` checks one duration option. */
export interface DurationCheck {
  /** The option's name as the error should show it, e.g. `options.timeoutMs`. */
  option: string;
  /** Who is checking, e.g. `createSmsSender` (a prefix of the message). */
  owner?: string;
  provider?: SmsProviderName;
  /** Smallest value accepted; default 0. */
  min?: number;
  /** Accept `Infinity` (where it has a documented meaning, e.g. "no deadline"); default false. */
  allowInfinity?: boolean;
}

/**
 * Checks a duration option in milliseconds: a number in [min, 2^31 − 1] (`setTimeout`'s limit), or `Infinity`
 * where allowed; returns it, or throws `SmsError('invalid_config')` naming the option.
 */
export function checkDurationMs(value: unknown, check: DurationCheck): number {
  const min = check.min ?? 0;
  if (check.allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    const range = `${min === 0 ? '≥ 0' : `≥ ${min}`} and ≤ ${MAX_TIMER_MS} (2^31 − 1)`;
    throw new SmsError({
      code: 'invalid_config',
      ...(check.provider ? { provider: check.provider } : {}),
      message: `${check.owner ? `${check.owner}: ` : ''}${check.option} must be a number of milliseconds ${range}${check.allowInfinity ? ', or Infinity' : ''}`,
    });
  }
  return value;
}
