import * as z from 'zod/mini';
import { SmsError } from '../errors.js';
import { E164_RE } from '../message.js';
import type { SmsProviderName } from '../types.js';

/** Twilio Account SID: "AC" + 32 hex. */
export const ACCOUNT_SID_RE = /^AC[0-9a-fA-F]{32}$/;
/** Twilio Messaging Service SID: "MG" + 32 hex. */
export const MESSAGING_SERVICE_SID_RE = /^MG[0-9a-fA-F]{32}$/;
/** Alphanumeric sender id: 1–11 letters, digits or spaces, at least one letter. */
/** A Twilio short code: 5 or 6 digits. */
export const SHORT_CODE_RE = /^[0-9]{5,6}$/;
export const ALPHANUMERIC_SENDER_RE = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

/** A tenant's Twilio credentials and sender (stored encrypted). */
export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** E.164 number, Messaging Service SID (MG…), or alphanumeric sender id. */
  fromNumber: string;
}

/** The platform's MSG91 account. */
export interface Msg91Config {
  authKey: string;
  /** 6-letter DLT header, e.g. "LDMTRX" (informational, validated when given). */
  senderId?: string;
  /** Default flow template when the message names none. */
  templateId?: string;
  /** Variable that carries message.body when no variables are given; default "body". */
  bodyVariable?: string;
  shortUrl?: boolean;
}

/** Memoizes a schema builder: schemas are built on first use, not at import (zod construction costs ms). */
function lazySchema<T>(build: () => z.ZodMiniType<T>): () => z.ZodMiniType<T> {
  let schema: z.ZodMiniType<T> | undefined;
  return () => {
    schema ??= build();
    return schema;
  };
}

const nonEmpty = () => z.string().check(z.trim(), z.minLength(1, 'is required'));

/** zod schema of `TwilioConfig` (built on first use). */
export const twilioConfigSchema = lazySchema<TwilioConfig>(() =>
  z.object({
    accountSid: z
      .string()
      .check(z.trim(), z.regex(ACCOUNT_SID_RE, 'must be "AC" followed by 32 hex characters')),
    authToken: z.string().check(z.trim(), z.minLength(8, 'must be at least 8 characters')),
    fromNumber: z.string().check(
      z.trim(),
      z.refine(
        (v) =>
          E164_RE.test(v) ||
          MESSAGING_SERVICE_SID_RE.test(v) ||
          SHORT_CODE_RE.test(v) ||
          ALPHANUMERIC_SENDER_RE.test(v),
        'must be an E.164 number (+14155552671), a Messaging Service SID (MG…), a short code (5–6 digits) or an alphanumeric sender id (1–11 characters)',
      ),
    ),
  }),
);

/** zod schema of `Msg91Config` (built on first use). */
export const msg91ConfigSchema = lazySchema<Msg91Config>(() =>
  z.object({
    // Sent as an HTTP header: printable ASCII only (a control or non-Latin-1 character cannot be sent).
    authKey: z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'is required'),
        z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
      ),
    senderId: z.optional(
      z.string().check(z.regex(/^[A-Za-z]{6}$/, 'must be a 6-letter DLT header, e.g. "LDMTRX"')),
    ),
    templateId: z.optional(nonEmpty()),
    bodyVariable: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/, 'must be a variable name'))),
    shortUrl: z.optional(z.boolean()),
  }),
);

/** Keys whose values are secrets: never echoed in an error. */
const SECRET_KEYS = new Set(['authToken', 'authKey']);

/** Describes validation issues by path and rule only, never by value. */
function describeIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.length ? `${prefix}.${i.path.map(String).join('.')}` : prefix;
      const last = String(i.path[i.path.length - 1] ?? '');
      const msg =
        i.code === 'invalid_type' && (i as { input?: unknown }).input === undefined
          ? 'is required'
          : SECRET_KEYS.has(last) && i.code !== 'too_small'
            ? 'is invalid'
            : i.message;
      return `${path} ${msg}`;
    })
    .join('; ');
}

/** Validates `input` against `schema`, or throws `SmsError('invalid_config')` naming each bad field. */
export function parseConfig<T>(
  schema: () => z.ZodMiniType<T>,
  input: unknown,
  prefix: string,
  provider?: SmsProviderName,
): T {
  const r = schema().safeParse(input);
  if (r.success) return r.data;
  throw new SmsError({
    code: 'invalid_config',
    message: `Invalid ${prefix}: ${describeIssues(prefix, r.error.issues)}`,
    ...(provider ? { provider } : {}),
  });
}

/** Validates a tenant's Twilio config as `saveTwilioConfig` does, or throws `SmsError('invalid_config')` naming each bad field. */
export function parseTwilioConfig(input: unknown): TwilioConfig {
  return parseConfig(twilioConfigSchema, input, 'twilio', 'twilio');
}

const optionalEnv = () => z.optional(z.string().check(z.trim()));

/** zod schema of the platform default's environment (`MSG91_*`; built on first use); empty values count as unset. */
export const msg91EnvSchema = lazySchema(() =>
  z.object({
    MSG91_AUTH_KEY: z.string().check(z.trim(), z.minLength(1, 'is required')),
    MSG91_TEMPLATE_ID: z.string().check(z.trim(), z.minLength(1, 'is required')),
    MSG91_SENDER_ID: z.optional(
      z.string().check(z.trim(), z.regex(/^[A-Za-z]{6}$/, 'must be a 6-letter DLT header, e.g. "LDMTRX"')),
    ),
    MSG91_API_BASE_URL: z.optional(
      z.string().check(
        z.trim(),
        z.refine((v) => URL.canParse(v) && /^https?:/i.test(v), 'must be an http(s) URL'),
      ),
    ),
    MSG91_BODY_VARIABLE: optionalEnv(),
  }),
);
