import { SmsError } from './errors.js';
import type { SmsProviderName } from './types.js';

/** How far after `now` a `sendAt` may lie, in ms (`max` omitted: no upper bound). */
export interface SendAtWindow {
  readonly min: number;
  readonly max?: number;
}

/** `sendAt` in whole seconds since the epoch, rounded up: providers take it to the second, and a schedule must never fire early. */
export function sendAtEpochSeconds(sendAt: Date): number {
  return Math.ceil(sendAt.getTime() / 1000);
}

/** Throws `invalid_message` naming `message.sendAt` unless `atMs` lies within `window` after `now` (`rule` says which). */
export function checkSendAtWindow(
  atMs: number,
  now: number,
  window: SendAtWindow,
  provider: SmsProviderName,
  rule: string,
): void {
  const ahead = atMs - now;
  if (ahead >= window.min && (window.max === undefined || ahead <= window.max)) return;
  const seconds = Math.round(Math.abs(ahead) / 1000);
  throw new SmsError({
    code: 'invalid_message',
    provider,
    message: `message.sendAt must be ${rule}; it is ${seconds} s ${ahead < 0 ? 'in the past' : 'from now'}`,
  });
}
