// Auth-token rotation (issue 13, item 16): while a tenant rotates its Twilio token, callbacks may be signed with
// either. The previous token lives only inside the encrypted envelope of the new config (`previousAuthToken`,
// `previousAuthTokenExpiresAt`): an older reader's schema strips the two fields, redacted views never read them.
import { SmsError } from '../errors.js';
import type { TwilioConfig } from './schemas.js';

/** A rotating tenant's previous Twilio auth token and until when callbacks signed with it are accepted. */
export interface PreviousAuthToken {
  authToken: string;
  expiresAt: Date;
}

/** Default time the previous token stays valid after a token change: 72 h. */
export const DEFAULT_AUTH_TOKEN_ROTATION_WINDOW_MS = 72 * 3_600_000;
const MAX_ROTATION_WINDOW_MS = 30 * 24 * 3_600_000;

/** Checks `authTokenRotationWindowMs` (0 … 30 days; 0 = keep no previous token) or throws `invalid_config` naming it. */
export function checkRotationWindowMs(value: number | undefined): number {
  const v = value ?? DEFAULT_AUTH_TOKEN_ROTATION_WINDOW_MS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ROTATION_WINDOW_MS) {
    throw new SmsError({
      code: 'invalid_config',
      message: `authTokenRotationWindowMs must be an integer from 0 to ${MAX_ROTATION_WINDOW_MS} (30 days)`,
    });
  }
  return v;
}

/** The previous token fields of a decrypted config's JSON, or undefined when absent or unusable. */
export function previousAuthTokenOf(json: unknown): PreviousAuthToken | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { previousAuthToken: token, previousAuthTokenExpiresAt: at } = json as Record<string, unknown>;
  if (typeof token !== 'string' || token.length < 8 || typeof at !== 'string') return undefined;
  const expiresAt = new Date(at);
  return Number.isNaN(expiresAt.getTime()) ? undefined : { authToken: token, expiresAt };
}

/** What a stored config held before a save: its config and previous token (undefined when unreadable or absent). */
export interface StoredTwilioState {
  config: TwilioConfig;
  previous?: PreviousAuthToken;
}

/**
 * The plaintext JSON to encrypt for `next`. Same account, token changed → the old token is kept for `windowMs`;
 * token unchanged → a still-valid previous token is carried over; another account or window 0 → none.
 */
export function twilioConfigPlaintext(
  next: TwilioConfig,
  existing: StoredTwilioState | undefined,
  now: Date,
  windowMs: number,
): string {
  let previous: PreviousAuthToken | undefined;
  if (existing && windowMs > 0 && existing.config.accountSid === next.accountSid) {
    if (existing.config.authToken !== next.authToken)
      previous = { authToken: existing.config.authToken, expiresAt: new Date(now.getTime() + windowMs) };
    else if (existing.previous && existing.previous.expiresAt > now) previous = existing.previous;
  }
  if (!previous || previous.authToken === next.authToken) return JSON.stringify(next);
  return JSON.stringify({
    ...next,
    previousAuthToken: previous.authToken,
    previousAuthTokenExpiresAt: previous.expiresAt.toISOString(),
  });
}
