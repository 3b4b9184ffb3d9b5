// @ts-check
// The webhook process's environment (README "Environment"), read and checked once; an EnvError names the variable.
import { redactUrl } from '@leadmetrics/provider-sms';
import {
  configCipher,
  databaseUrl,
  EnvError,
  integer,
  optional,
  redactedView,
  schema,
  url,
} from './env-vars.mjs';

/**
 * Reads the webhook process's environment into `startWebhookServer` options.
 * @param {import('./env-vars.mjs').Env} env
 * @returns {import('./webhook-server.mjs').WebhookServerOptions}
 */
export function readWebhookEnv(env) {
  const database = databaseUrl(env);
  const msg91Secret = optional(env, 'MSG91_WEBHOOK_SECRET');
  if (msg91Secret !== undefined && !/^[A-Za-z0-9._~-]{16,128}$/.test(msg91Secret))
    throw new EnvError('MSG91_WEBHOOK_SECRET must be 16–128 URL-safe characters (letters, digits, . _ ~ -)');
  const publicBaseUrl = url(env, 'PUBLIC_BASE_URL');
  /** @type {import('./webhook-server.mjs').WebhookServerOptions} */
  const options = {
    databaseUrl: database,
    schema: schema(env),
    cipher: configCipher(env),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 8080, { max: 65_535 }),
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
    ...(msg91Secret ? { msg91Secret } : {}),
  };
  return redactedView(options, () => ({
    ...options,
    databaseUrl: redactUrl(database),
    cipher: String(options.cipher),
    ...(msg91Secret ? { msg91Secret: '[REDACTED]' } : {}),
  }));
}
