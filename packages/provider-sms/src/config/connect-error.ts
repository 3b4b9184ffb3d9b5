import { redactSecrets } from '../errors.js';

/** What a failed connection attempt's error carries (pg / Node socket errors). */
interface DriverError {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  errors?: unknown;
}

/** The URL's password (decoded), to keep it out of any message as a last line of defence. */
function passwordOf(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.password, decodeURIComponent(u.password), u.searchParams.get('password') ?? ''].filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Why connecting to `url` failed, in a few words a person can act on (the server's own message for a
 * missing database or role, "connection refused at host:port", "host … not found", a timeout); never the
 * password or the URL's query.
 */
export function describeConnectError(err: unknown, url: string, connectTimeoutMs: number): string {
  const e = (err ?? {}) as DriverError;
  // Node wraps the refusals of every address of a host (::1, 127.0.0.1) in an AggregateError.
  const first = (Array.isArray(e.errors) ? e.errors[0] : undefined) as DriverError | undefined;
  const code = typeof e.code === 'string' ? e.code : typeof first?.code === 'string' ? first.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  const secrets = passwordOf(url);
  // A server-side error (SQLSTATE): its message names the database or role, never a password.
  if (typeof e.severity === 'string' && message) return redactSecrets(message, secrets);
  const at = (x: DriverError | undefined) =>
    x && typeof x.address === 'string' ? `${x.address}${typeof x.port === 'number' ? `:${x.port}` : ''}` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused${at(first ?? e) ? ` at ${at(first ?? e)}` : ''} (is the server running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const host = (first ?? e).hostname;
      return typeof host === 'string' ? `host ${host} not found` : 'host not found';
    }
    case 'ETIMEDOUT':
      return `no answer within ${connectTimeoutMs} ms`;
    case 'ECONNRESET':
      return 'the server closed the connection';
    default:
      break;
  }
  if (/timeout/i.test(message)) return `no answer within ${connectTimeoutMs} ms`;
  if (/SSL|TLS|certificate/i.test(message) || (code?.startsWith('ERR_SSL') ?? false)) {
    return `TLS failed: ${redactSecrets(message, secrets)}`;
  }
  return code ?? 'unknown error';
}
