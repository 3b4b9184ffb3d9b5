import { inspect } from 'node:util';
import {
  MESSAGING_SERVICE_SID_RE,
  parseConfig,
  type TwilioConfig,
  twilioConfigSchema,
} from '../config/schemas.js';
import {
  isSmsError,
  redactSecrets,
  SmsError,
  type SmsErrorCode,
  type SmsOutcome,
  sanitizeCause,
} from '../errors.js';
import { basicAuth, transportError } from '../http.js';
import { checkMessage, maskPhone } from '../message.js';
import { isSmsStatus } from '../status.js';
import type {
  Logger,
  ProviderOptions,
  SmsCallOptions,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
} from '../types.js';
import {
  createTwilioHttpClient,
  runTwilioCall,
  type TwilioCallContext,
  type TwilioHttpClient,
} from './twilio-http-client.js';

/** Twilio error codes and the `SmsErrorCode` each maps to (design §5, Twilio column). */
export const TWILIO_ERROR_CODES: Readonly<Record<number, SmsErrorCode>> = {
  21211: 'invalid_recipient',
  21614: 'invalid_recipient',
  21612: 'recipient_unreachable',
  21610: 'recipient_opted_out',
  21408: 'permission_denied',
  21212: 'invalid_sender',
  21606: 'invalid_sender',
  21210: 'invalid_sender',
  21611: 'sender_queue_full',
  21602: 'invalid_message',
  21617: 'invalid_message',
  20003: 'authentication_failed',
  20429: 'rate_limited',
};

/** A failure Twilio reported: HTTP status and/or Twilio error code. */
export interface TwilioFailure {
  httpStatus?: number | undefined;
  code?: number | string | null | undefined;
  message?: string | null | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** Maps a Twilio failure to an `SmsError` by the §5 table (5xx first, then the code, then 401/429/4xx). */
export function twilioFailureToSmsError(
  f: TwilioFailure,
  secrets: readonly (string | undefined)[] = [],
): SmsError {
  const status = f.httpStatus;
  const n = typeof f.code === 'number' ? f.code : Number(f.code);
  const code = Number.isFinite(n) && n > 0 ? n : undefined;
  let smsCode: SmsErrorCode = 'unknown';
  let outcome: SmsOutcome | undefined;
  if (status !== undefined && status >= 500) smsCode = 'provider_unavailable';
  else if (code !== undefined && TWILIO_ERROR_CODES[code]) smsCode = TWILIO_ERROR_CODES[code];
  else if (status === 401) smsCode = 'authentication_failed';
  else if (status === 429) smsCode = 'rate_limited';
  else if (status !== undefined && status >= 400) outcome = 'not_sent';
  const what = [status !== undefined ? `HTTP ${status}` : '', code !== undefined ? `error ${code}` : '']
    .filter(Boolean)
    .join(', ');
  const detail = typeof f.message === 'string' && f.message.trim() ? f.message : 'request failed';
  const cause = sanitizeCause(f.cause, secrets);
  return new SmsError({
    code: smsCode,
    message: redactSecrets(`Twilio ${what ? `(${what}) ` : ''}${detail}`, secrets),
    provider: 'twilio',
    ...(code !== undefined ? { providerCode: code } : {}),
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(outcome ? { outcome } : {}),
    ...(smsCode === 'rate_limited' && f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
    ...(cause ? { cause } : {}),
  });
}

/** True for an SDK HTTP error: `twilio.RestException` or `TwilioServiceException` (an HTTP `status`, maybe a `code`). */
function isTwilioHttpError(err: unknown): err is { status: number; code?: unknown; message?: unknown } {
  if (typeof err !== 'object' || err === null) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599;
}

/** Maps anything a Twilio SDK call threw to an `SmsError`; transport `SmsError`s pass through unchanged. */
export function mapTwilioError(
  err: unknown,
  ctx: Pick<TwilioCallContext, 'httpStatus' | 'retryAfterMs'> = {},
  secrets: readonly (string | undefined)[] = [],
): SmsError {
  if (isSmsError(err)) return err;
  if (isTwilioHttpError(err)) {
    return twilioFailureToSmsError(
      {
        httpStatus: err.status,
        code: err.code as TwilioFailure['code'],
        message: typeof err.message === 'string' ? err.message : undefined,
        retryAfterMs: ctx.retryAfterMs,
        cause: err,
      },
      secrets,
    );
  }
  // A raw error (unreadable body, SDK bug): it may have happened after Twilio accepted the message.
  const cause = sanitizeCause(err, secrets);
  const name = cause?.name ?? 'Error';
  return new SmsError({
    code: 'unknown',
    provider: 'twilio',
    message: `Twilio call failed unexpectedly${ctx.httpStatus !== undefined ? ` (HTTP ${ctx.httpStatus})` : ''}: ${name}`,
    outcome: 'unknown',
    ...(ctx.httpStatus !== undefined ? { httpStatus: ctx.httpStatus } : {}),
    ...(cause ? { cause } : {}),
  });
}

/** The part of the SDK's message resource this provider reads. */
interface SdkMessage {
  sid?: string;
  status?: string;
  numSegments?: string | number | null;
  errorCode?: number | string | null;
  errorMessage?: string | null;
}

/** The part of the SDK client this provider uses. */
interface SdkClient {
  messages: { create(params: Record<string, unknown>): Promise<SdkMessage> };
  api: { v2010: { accounts(sid: string): { fetch(): Promise<unknown> } } };
}

type SdkFactory = (accountSid: string, authToken: string, opts: Record<string, unknown>) => SdkClient;

let sdk: Promise<SdkFactory> | undefined;

type SdkClass = new (accountSid: string, authToken: string, opts: Record<string, unknown>) => SdkClient;

/**
 * Loads the SDK's REST client class on first use, through the module's default export (named ESM imports
 * break). `twilio/lib/rest/Twilio.js` is what `twilio()` constructs, without the webhooks, JWT and TwiML
 * modules the package root also loads (≈ 40 ms of its ≈ 200 ms); `twilio` is pinned to an exact version.
 */
function loadSdk(): Promise<SdkFactory> {
  sdk ??= import('twilio/lib/rest/Twilio.js').then(
    (m) => {
      const Twilio = ((m as { default?: unknown }).default ?? m) as SdkClass;
      return (accountSid, authToken, opts) => new Twilio(accountSid, authToken, opts);
    },
    (err: unknown) => {
      sdk = undefined;
      throw new SmsError({
        code: 'unknown',
        provider: 'twilio',
        outcome: 'not_sent',
        message: 'Could not load the twilio SDK',
        cause: err,
      });
    },
  );
  return sdk;
}

/** The strings to redact for a Twilio account: the auth token and its Basic auth header (with and without "Basic "). */
export function twilioSecrets(accountSid: string, authToken: string): string[] {
  const header = basicAuth(accountSid, authToken);
  return [authToken, header, header.slice('Basic '.length)];
}

/** Sends SMS through a tenant's Twilio account with the `twilio` SDK over our own fetch-based httpClient. */
export class TwilioProvider implements SmsProvider {
  readonly name = 'twilio' as const;
  readonly #accountSid: string;
  readonly #authToken: string;
  readonly #from: string;
  readonly #secrets: readonly string[];
  readonly #httpClient: TwilioHttpClient;
  readonly #statusCallbackUrl: string | undefined;
  readonly #logger: Logger | undefined;
  #client: Promise<SdkClient> | undefined;

  constructor(config: TwilioConfig, options: ProviderOptions = {}) {
    const c = parseConfig(twilioConfigSchema, config, 'config', 'twilio');
    this.#accountSid = c.accountSid;
    this.#authToken = c.authToken;
    this.#from = c.fromNumber;
    this.#secrets = twilioSecrets(c.accountSid, c.authToken);
    this.#httpClient = createTwilioHttpClient({
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.apiBaseUrl !== undefined ? { apiBaseUrl: options.apiBaseUrl } : {}),
    });
    this.#statusCallbackUrl = options.statusCallbackUrl;
    this.#logger = options.logger;
  }

  /** The tenant's Account SID (not a secret). The auth token is never exposed. */
  get accountSid(): string {
    return this.#accountSid;
  }

  /** Sends one message; resolves with Twilio's SID and status, or throws a mapped `SmsError`. */
  async send(message: SmsMessage, options: SmsCallOptions = {}): Promise<SmsSendResult> {
    const checked = await checkMessage(message, 'twilio');
    const params: Record<string, unknown> = { to: checked.to, body: checked.body };
    if (MESSAGING_SERVICE_SID_RE.test(this.#from)) params.messagingServiceSid = this.#from;
    else params.from = this.#from;
    if (this.#statusCallbackUrl) params.statusCallback = this.#statusCallbackUrl;
    const to = maskPhone(checked.to);
    const ctx: TwilioCallContext = { signal: options.signal };
    let msg: SdkMessage;
    try {
      msg = await this.#call(ctx, (client) => client.messages.create(params));
    } catch (err) {
      this.#log({
        op: 'send',
        to,
        code: (err as SmsError).code,
        providerCode: (err as SmsError).providerCode,
      });
      throw err;
    }
    if (msg.errorCode !== null && msg.errorCode !== undefined && msg.errorCode !== '') {
      const err = twilioFailureToSmsError(
        { httpStatus: ctx.httpStatus, code: msg.errorCode, message: msg.errorMessage },
        this.#secrets,
      );
      this.#log({ op: 'send', to, code: err.code, providerCode: err.providerCode, messageId: msg.sid });
      throw err;
    }
    if (typeof msg.sid !== 'string' || !msg.sid) {
      throw new SmsError({
        code: 'unknown',
        provider: 'twilio',
        outcome: 'unknown',
        message: 'Twilio accepted the request but its response carried no message SID',
        ...(ctx.httpStatus !== undefined ? { httpStatus: ctx.httpStatus } : {}),
      });
    }
    if (!isSmsStatus(msg.status)) {
      // Accepted (a SID came back), but in a shape we cannot trust: it may well have been sent.
      throw new SmsError({
        code: 'unknown',
        provider: 'twilio',
        outcome: 'unknown',
        message: `Twilio accepted message ${msg.sid} but answered an unrecognised status`,
        ...(ctx.httpStatus !== undefined ? { httpStatus: ctx.httpStatus } : {}),
      });
    }
    const status = msg.status;
    const numSegments = Number(msg.numSegments);
    this.#log({ op: 'send', to, status, messageId: msg.sid });
    return {
      messageId: msg.sid,
      provider: 'twilio',
      status,
      segments: Number.isInteger(numSegments) && numSegments > 0 ? numSegments : checked.segments,
      encoding: checked.encoding,
    };
  }

  /** Fetches the account: resolves for valid credentials (also test credentials, 403/20008), else throws. */
  async verify(options: SmsCallOptions = {}): Promise<void> {
    const ctx: TwilioCallContext = { signal: options.signal };
    try {
      await this.#call(ctx, (client) =>
        client.api.v2010
          .accounts(this.#accountSid)
          .fetch()
          .then(
            () => undefined,
            (err: unknown) => {
              // Test credentials authenticate, then may only touch Messages/Calls/IncomingPhoneNumbers.
              if (isTwilioHttpError(err) && err.status === 403 && Number(err.code) === 20008)
                return undefined;
              throw err;
            },
          ),
      );
    } catch (err) {
      this.#log({ op: 'verify', code: (err as SmsError).code, providerCode: (err as SmsError).providerCode });
      throw err;
    }
    this.#log({ op: 'verify', status: 'verified' });
  }

  /** A log-safe view: no token. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, accountSid: this.#accountSid };
  }

  /** `util.inspect` shows the same log-safe view. */
  [inspect.custom](): string {
    return `TwilioProvider { name: 'twilio', accountSid: '${this.#accountSid}' }`;
  }

  /** Runs one SDK call with its per-call context (signal in, status and Retry-After out) and maps failures. */
  async #call<T>(ctx: TwilioCallContext, fn: (client: SdkClient) => Promise<T>): Promise<T> {
    try {
      if (ctx.signal?.aborted) {
        throw transportError(ctx.signal.reason, {
          provider: 'twilio',
          secrets: this.#secrets,
          timedOut: false,
          callerAborted: true,
          started: false,
        });
      }
      const client = await this.#getClient();
      return await runTwilioCall(ctx, () => fn(client));
    } catch (err) {
      throw mapTwilioError(err, ctx, this.#secrets);
    }
  }

  /** Builds the SDK client once per provider: our httpClient, `autoRetry` off, lazy loading. */
  #getClient(): Promise<SdkClient> {
    this.#client ??= loadSdk().then((twilio) =>
      twilio(this.#accountSid, this.#authToken, {
        accountSid: this.#accountSid,
        httpClient: this.#httpClient,
        autoRetry: false,
        lazyLoading: true,
      }),
    );
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return this.#client;
  }

  /** Debug log without secrets; a failing logger never breaks a send. */
  #log(fields: Record<string, unknown>): void {
    try {
      this.#logger?.debug(
        { provider: 'twilio', accountSid: this.#accountSid, ...fields },
        `twilio ${fields.op}`,
      );
    } catch {
      // ignore logger failures
    }
  }
}
