import { SmsError } from '../errors.js';
import { hasControlOrLoneSurrogate } from '../text-checks.js';

/** Longest notification id the ledger accepts, in UTF-16 code units. */
export const MAX_NOTIFICATION_ID_LENGTH = 200;

/** Returns `id` when it is a valid notification id (1–200 characters, no control character), else throws invalid_config. */
export function assertNotificationId(id: unknown): string {
  const bad = (why: string) =>
    new SmsError({ code: 'invalid_config', message: `dispatch: notificationId ${why}` });
  if (typeof id !== 'string' || id.length === 0) throw bad('must be a non-empty string');
  if (id.length > MAX_NOTIFICATION_ID_LENGTH)
    throw bad(`must be at most ${MAX_NOTIFICATION_ID_LENGTH} characters (got ${id.length})`);
  if (hasControlOrLoneSurrogate(id)) throw bad('must not contain control characters or lone surrogates');
  return id;
}
