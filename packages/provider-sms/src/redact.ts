import { redactSecrets } from './errors.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

type InspectFn = (value: unknown, options?: object) => string;

/**
 * Makes `target` show only `view()` through `JSON.stringify` (`toJSON`) and `util.inspect` (as `name { … }`):
 * the one way every secret-holding object of the package redacts itself. Both are non-enumerable; returns `target`.
 */
export function defineRedacted<T extends object>(
  target: T,
  name: string,
  view: () => Record<string, unknown>,
): T {
  Object.defineProperty(target, 'toJSON', { value: view, enumerable: false, configurable: true });
  Object.defineProperty(target, INSPECT, {
    value: (_depth: number, options: object, inspect?: InspectFn) =>
      `${name} ${inspect ? inspect(view(), options) : JSON.stringify(view())}`,
    enumerable: false,
    configurable: true,
  });
  return target;
}

/**
 * A database URL safe to print: `protocol//host:port/db` only. User, password and the whole query string
 * (`password`, `sslpassword`, `sslkey`… may sit there) are dropped.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return redactSecrets(url)
      .replace(/[?#].*$/s, '')
      .replace(/\b(password|sslpassword|sslkey)\s*=\s*\S+/gi, '$1=***');
  }
}
