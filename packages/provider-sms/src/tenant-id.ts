import { SmsError } from './errors.js';
import { hasControlOrLoneSurrogate } from './text-checks.js';

/** Longest tenant id accepted (JavaScript string length). */
export const MAX_TENANT_ID_LENGTH = 128;
const EDGE_WHITESPACE_RE = /^\s|\s$/;

/** Why a tenant id is refused, or undefined when it is valid. */
function tenantIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_TENANT_ID_LENGTH) {
    return `is ${value.length} characters; the maximum is ${MAX_TENANT_ID_LENGTH}`;
  }
  if (hasControlOrLoneSurrogate(value)) {
    return 'must not contain control characters (NUL, C0, DEL, C1) or lone surrogates';
  }
  if (EDGE_WHITESPACE_RE.test(value)) return 'must not start or end with whitespace';
  return undefined;
}

/**
 * Returns `value` if it is a valid tenant id, else throws `SmsError('invalid_config')` naming `field`: a
 * non-empty string of at most `MAX_TENANT_ID_LENGTH` (128) characters, without control characters (C0, DEL,
 * C1) or lone surrogates, not starting or ending with whitespace. It is never trimmed or normalized.
 */
export function assertTenantId(value: unknown, field = 'tenantId'): string {
  const problem = tenantIdProblem(value);
  if (problem !== undefined) throw new SmsError({ code: 'invalid_config', message: `${field} ${problem}` });
  return value as string;
}

/** True when `value` is a valid tenant id (the rules of `assertTenantId`), for callers that answer without throwing. */
export function isTenantId(value: unknown): value is string {
  return tenantIdProblem(value) === undefined;
}
