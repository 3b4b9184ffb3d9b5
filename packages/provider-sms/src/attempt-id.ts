import { nodeCrypto } from './builtins.js';
import { SmsError } from './errors.js';
import type { SmsProviderName } from './types.js';

/** An attempt id: base64url (`A–Z a–z 0–9 - _`), 16 to 64 characters (the ledger's are 128-bit random, 22 characters). */
export const ATTEMPT_ID_RE = /^[A-Za-z0-9_-]{16,64}$/;

/** A new attempt id: 128 random bits, base64url (22 characters), unguessable (MSG91 reports are unsigned). */
export function newAttemptId(): string {
  return nodeCrypto().randomBytes(16).toString('base64url');
}

/** The StatusCallback query parameter that carries an attempt id to Twilio and back. */
export const ATTEMPT_QUERY_PARAM = 'sms_attempt';

/** True when `value` has the shape of an attempt id (says nothing about whether one was ever issued). */
export function isAttemptId(value: unknown): value is string {
  return typeof value === 'string' && ATTEMPT_ID_RE.test(value);
}

/** Returns `options.attemptId` when absent or well-formed; else throws `SmsError('invalid_config')` naming it (nothing is sent). */
export function checkAttemptId(value: unknown, provider: SmsProviderName): string | undefined {
  if (value === undefined || isAttemptId(value)) return value;
  throw new SmsError({
    code: 'invalid_config',
    provider,
    message: 'Invalid options: options.attemptId must be 16–64 base64url characters (A–Z, a–z, 0–9, -, _)',
  });
}

/** A (normalized) callback URL with `sms_attempt=<id>` appended to its query (`&` after an existing one), before any fragment. */
export function withAttemptQuery(url: string, attemptId: string): string {
  const hashAt = url.indexOf('#');
  const head = hashAt === -1 ? url : url.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const sep = !head.includes('?') ? '?' : head.endsWith('?') || head.endsWith('&') ? '' : '&';
  return `${head}${sep}${ATTEMPT_QUERY_PARAM}=${encodeURIComponent(attemptId)}${hash}`;
}

/** The attempt id a callback URL (or an already parsed one) carries (the last `sms_attempt`, the one the provider appended), if well-formed. */
export function attemptIdFromUrl(url: string | URL): string | undefined {
  let ids: string[];
  try {
    ids = (typeof url === 'string' ? new URL(url) : url).searchParams.getAll(ATTEMPT_QUERY_PARAM);
  } catch {
    return undefined;
  }
  const last = ids.at(-1);
  return isAttemptId(last) ? last : undefined;
}
