import { isSmsError, SmsError } from '../errors.js';
import type { SmsConfigStore } from './store.js';

// Node socket errors and driver messages of a database that is down, unreachable or went away mid-query.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);
const CONNECTION_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|query read timeout|not queryable|connection error|pglite is closed|cannot use a pool after calling end/i;
// Class 22 (data exception): the input itself is bad (NUL byte, invalid uuid/number text, too long...).
const INVALID_INPUT_CODE = /^22[0-9A-Z]{3}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when a string cannot be stored in Postgres text as is: a NUL or a lone surrogate. */
const unstorable = (s: string): boolean =>
  s.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** The name of the first input that holds an unstorable string (or a malformed uuid, for 22P02). */
function offendingField(inputs: Record<string, unknown>, sqlState: string): string | undefined {
  const entries: Array<[string, string]> = [];
  const walk = (path: string, v: unknown, depth: number) => {
    if (typeof v === 'string') entries.push([path, v]);
    else if (v && typeof v === 'object' && depth < 3) {
      for (const [k, x] of Object.entries(v))
        walk(Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, x, depth + 1);
    }
  };
  for (const [k, v] of Object.entries(inputs)) walk(k, v, 0);
  const bad = entries.find(([, s]) => unstorable(s));
  if (bad) return bad[0];
  if (sqlState === '22P02')
    return entries.find(([p, s]) => /(^|\.)(id|afterId)$/.test(p) && !UUID_RE.test(s))?.[0];
  return undefined;
}

/**
 * Turns what a database driver threw into an `SmsError`: the database down or gone → `provider_unavailable`
 * (not_sent, retryable); bad input (SQLSTATE class 22) → `invalid_config` naming the offending input. The
 * driver's message of a data exception can quote a parameter, so only its SQLSTATE is kept as the cause.
 */
export function toStoreError(
  err: unknown,
  operation: string,
  inputs: Record<string, unknown> = {},
): SmsError {
  if (isSmsError(err)) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (INVALID_INPUT_CODE.test(code)) {
    const field = offendingField(inputs, code);
    return new SmsError({
      code: 'invalid_config',
      message:
        `The SMS config store rejected ${field ? `"${field}"` : 'the input'} of ${operation} (SQLSTATE ${code}): ` +
        'NUL bytes, lone surrogates and malformed ids cannot be stored',
      cause: { name: 'DatabaseError', message: `SQLSTATE ${code}`, code },
    });
  }
  if (CONNECTION_CODES.has(code) || CONNECTION_MESSAGE.test(message)) {
    return new SmsError({
      code: 'provider_unavailable',
      message: `The SMS config store is unavailable (${operation})`,
      outcome: 'not_sent',
      retryable: true,
      cause: err,
    });
  }
  return new SmsError({
    code: 'unknown',
    message: `The SMS config store failed (${operation})`,
    outcome: 'not_sent',
    cause: err,
  });
}

// The inputs of the store methods, by name (to name a rejected one); a `key` argument's fields are named as they
// are (tenantId…). A method not listed here is still guarded, its rejected input just goes unnamed.
const ARGUMENTS: Partial<Record<keyof SmsConfigStore, readonly string[]>> = {
  get: ['key'],
  upsert: ['key', 'config'],
  markVerified: ['key', 'version', 'record'],
  setEnabled: ['key', 'enabled'],
  remove: ['key'],
  listBatch: ['afterId', 'limit'],
  replaceConfigs: ['replacements'],
  notify: ['tenantId'],
};

const namedInputs = (names: readonly string[], args: unknown[]): Record<string, unknown> => {
  const inputs: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (name === 'key' && args[i] && typeof args[i] === 'object') Object.assign(inputs, args[i]);
    else inputs[name] = args[i];
  });
  return inputs;
};

/** The store with every method's driver errors turned into `SmsError`s (`toStoreError`); SmsErrors pass through. */
export function withStoreErrors<S extends SmsConfigStore>(store: S): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const names = ARGUMENTS[prop as keyof SmsConfigStore] ?? [];
      return (...args: unknown[]) => {
        const fail = (err: unknown): never => {
          throw toStoreError(err, `store.${prop}`, namedInputs(names, args));
        };
        let out: unknown;
        try {
          out = value.apply(target, args);
        } catch (err) {
          fail(err);
        }
        return out instanceof Promise ? out.catch(fail) : out;
      };
    },
  });
}
