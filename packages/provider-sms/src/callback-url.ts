import { SmsError } from './errors.js';
import type { SmsProviderName } from './types.js';

/** Options of `checkCallbackUrl`. */
export interface CallbackUrlCheck {
  /** The option's name as the error should show it, e.g. `options.statusCallbackUrl`. */
  option: string;
  /** Who is checking, e.g. `createSmsProviderResolver` (a prefix of the message). */
  owner?: string;
  provider?: SmsProviderName;
  /** A base URL gets `/<tenantId>` appended: no query, fragment or credentials either. */
  base?: boolean;
}

// Printable ASCII only: a space, a control character or raw non-ASCII would be sent as something else.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Checks a status callback URL (an absolute http(s) URL of printable ASCII, no space) and returns its
 * normalized form, which is what is sent (a trailing `/`, an upper-case host or a default port are fine).
 * Throws `SmsError('invalid_config')` naming the option; the URL itself is never echoed (it may hold credentials).
 */
export function checkCallbackUrl(value: unknown, check: CallbackUrlCheck): string {
  const fail = (why: string) =>
    new SmsError({
      code: 'invalid_config',
      ...(check.provider ? { provider: check.provider } : {}),
      message: `${check.owner ? `${check.owner}: ` : ''}Invalid options: ${check.option} ${why}`,
    });
  if (typeof value !== 'string' || value === '') throw fail('must be an absolute http(s) URL');
  if (!PRINTABLE_ASCII.test(value)) {
    throw fail(
      'must not contain spaces, control characters or raw non-ASCII characters (percent-encode them)',
    );
  }
  // `http:host`, `http:/host` and backslashes parse too, but as a different URL: refuse them.
  if (!/^https?:\/\/[^/\\]/i.test(value) || value.includes('\\') || !URL.canParse(value)) {
    throw fail('must be an absolute http(s) URL (http://host/path or https://host/path)');
  }
  const url = new URL(value);
  if (!url.hostname) throw fail('must name a host');
  if (check.base) {
    if (url.username || url.password) throw fail('must not contain credentials');
    if (url.search || url.hash || value.includes('?') || value.includes('#')) {
      throw fail('must not contain a query or fragment (the tenant id is appended to its path)');
    }
  }
  return url.href;
}
