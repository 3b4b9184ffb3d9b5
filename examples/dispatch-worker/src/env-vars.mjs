// @ts-check
// Readers of environment variables shared by the worker and the webhook process: each error names the variable,
// never its value (values may be secrets).
import { createConfigCipher, parseKeyRing } from '@leadmetrics/provider-sms/config';

/** A bad or missing environment variable: the process prints the message and exits with `exitCode` (2). */
export class EnvError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'EnvError';
    this.exitCode = 2;
  }
}

/** @typedef {Record<string, string | undefined>} Env */

/**
 * The trimmed value of `name`, or undefined when unset or blank.
 * @param {Env} env @param {string} name @returns {string | undefined}
 */
export function optional(env, name) {
  const v = env[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/**
 * An integer variable within [min, max], or `fallback` when unset.
 * @param {Env} env @param {string} name @param {number} fallback @param {{ min?: number, max?: number }} [range]
 * @returns {number}
 */
export function integer(env, name, fallback, { min = 0, max = 2 ** 31 - 1 } = {}) {
  const v = optional(env, name);
  if (v === undefined) return fallback;
  const n = /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new EnvError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * An absolute http(s) URL variable (normalized, no trailing slash), or undefined when unset.
 * @param {Env} env @param {string} name @param {string[]} [protocols] @returns {string | undefined}
 */
export function url(env, name, protocols = ['http:', 'https:']) {
  const v = optional(env, name);
  if (v === undefined) return undefined;
  const parsed = URL.canParse(v) ? new URL(v) : undefined;
  if (!parsed || !protocols.includes(parsed.protocol))
    throw new EnvError(`${name} must be an absolute ${protocols.map((p) => p.slice(0, -1)).join('/')} URL`);
  return parsed.href.replace(/\/+$/, '');
}

/**
 * `DATABASE_URL`, required: every process must share one PostgreSQL server (PGlite is single-process).
 * @param {Env} env @returns {string}
 */
export function databaseUrl(env) {
  const v = optional(env, 'DATABASE_URL');
  if (v === undefined)
    throw new EnvError(
      'DATABASE_URL is not set: the dispatch worker and the webhook process share one PostgreSQL server ' +
        '(the embedded PGlite cannot be shared between processes); set DATABASE_URL=postgres://…',
    );
  if (!/^postgres(ql)?:\/\//i.test(v) || !URL.canParse(v))
    throw new EnvError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  return v;
}

/**
 * The config cipher from `PROVIDER_CONFIG_KEYS` (required; the library's key ring format). Never echoes a key.
 * @param {Env} env @returns {import('@leadmetrics/provider-sms').ConfigCipher}
 */
export function configCipher(env) {
  try {
    return createConfigCipher(parseKeyRing(optional(env, 'PROVIDER_CONFIG_KEYS')));
  } catch (err) {
    throw new EnvError(err instanceof Error ? err.message : 'PROVIDER_CONFIG_KEYS is invalid');
  }
}

/**
 * `PROVIDER_SMS_SCHEMA`: the PostgreSQL schema of the package's tables (default `public`).
 * @param {Env} env @returns {string}
 */
export function schema(env) {
  const v = optional(env, 'PROVIDER_SMS_SCHEMA') ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,31}$/.test(v))
    throw new EnvError('PROVIDER_SMS_SCHEMA must be a lowercase identifier of at most 32 characters');
  return v;
}

/** Default Redis of the queue. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Default BullMQ queue name. */
export const DEFAULT_QUEUE = 'sms-dispatch';

/**
 * `REDIS_URL` (default `redis://127.0.0.1:6379`).
 * @param {Env} env @returns {string}
 */
export const redisUrl = (env) => url(env, 'REDIS_URL', ['redis:', 'rediss:']) ?? DEFAULT_REDIS_URL;

/**
 * `SMS_QUEUE`: the BullMQ queue name (default `sms-dispatch`).
 * @param {Env} env @returns {string}
 */
export function queueName(env) {
  const v = optional(env, 'SMS_QUEUE') ?? DEFAULT_QUEUE;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(v))
    throw new EnvError('SMS_QUEUE must be 1–100 letters, digits, dots, dashes or underscores');
  return v;
}

/**
 * `LOG_LEVEL=info` or `debug`: the library's info/debug logs (and per-status events) go to stderr too.
 * @param {Env} env @returns {boolean}
 */
export const verbose = (env) => ['info', 'debug'].includes(optional(env, 'LOG_LEVEL') ?? '');

/**
 * Makes `target`'s JSON and `util.inspect` views show `safe` instead (secrets stay out of logs).
 * @template {object} T @param {T} target @param {() => Record<string, unknown>} safe @returns {T}
 */
export function redactedView(target, safe) {
  Object.defineProperty(target, 'toJSON', { value: safe, enumerable: false });
  Object.defineProperty(target, Symbol.for('nodejs.util.inspect.custom'), { value: safe, enumerable: false });
  return target;
}
