import { inspect } from 'node:util';
import { checkAttemptId, withAttemptQuery } from '../attempt-id.js';
import { checkCallbackUrl } from '../callback-url.js';
import {
  MESSAGING_SERVICE_SID_RE,
  parseConfig,
  type TwilioConfig,
  twilioConfigSchema,
} from '../config/schemas.js';
import type { SmsError } from '../errors.js';
import { basicAuth, transportError } from '../http.js';
import { checkMessage, maskPhone } from '../message.js';
import { type SmsPacingSender, twilioPacingSender } from '../pacing/sender-key.js';
import { snapshotMessage } from '../snapshot-message.js';
import type {
  Logger,
  ProviderOptions,
  SmsCallOptions,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
  SmsStatus,
} from '../types.js';
import { isTwilioHttpError, mapTwilioError } from './map-twilio-error.js';
import { createdTwilioMessageError, type TwilioCreatedMessage } from './map-twilio-message.js';
import {
  createTwilioHttpClient,
  runTwilioCall,
  type TwilioCallContext,
  type TwilioHttpClient,
} from './twilio-http-client.js';
import { type TwilioListedMessage, type TwilioListQuery, toListedMessage } from './twilio-listed-message.js';
import { twilioMessageOptions } from './twilio-message-options.js';
import { loadSdk, type SdkClient, type SdkPage } from './twilio-sdk.js';
import { rememberSdkUrls } from './twilio-sdk-urls.js';

export type { TwilioFailure } from './map-twilio-error.js';
export { mapTwilioError, twilioFailureToSmsError } from './map-twilio-error.js';
export { TWILIO_ERROR_CODES } from './twilio-error-codes.js';

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
  /** `messagingServiceSid` for an MG… sender, else `from`: the create parameter that carries `#from`. */
  readonly #fromParam: 'from' | 'messagingServiceSid';
  readonly #secrets: readonly string[];
  readonly #httpClient: TwilioHttpClient;
  readonly #statusCallbackUrl: string | undefined;
  readonly #logger: Logger | undefined;
  #client: Promise<SdkClient> | undefined;
  /** The SDK client once built (sends after the first skip the await on `#client`). */
  #readyClient: SdkClient | undefined;
  /** `client.messages`, read once: the SDK resolves it through three getters per access. */
  #messages: SdkClient['messages'] | undefined;

  constructor(config: TwilioConfig, options: ProviderOptions = {}) {
    const c = parseConfig(twilioConfigSchema, config, 'config', 'twilio');
    this.#accountSid = c.accountSid;
    this.#authToken = c.authToken;
    this.#from = c.fromNumber;
    this.#fromParam = MESSAGING_SERVICE_SID_RE.test(c.fromNumber) ? 'messagingServiceSid' : 'from';
    this.#secrets = twilioSecrets(c.accountSid, c.authToken);
    this.#httpClient = createTwilioHttpClient({
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.apiBaseUrl !== undefined ? { apiBaseUrl: options.apiBaseUrl } : {}),
    });
    this.#statusCallbackUrl =
      options.statusCallbackUrl === undefined
        ? undefined
        : checkCallbackUrl(options.statusCallbackUrl, {
            option: 'options.statusCallbackUrl',
            provider: 'twilio',
          });
    this.#logger = options.logger;
  }

  /** The tenant's Account SID (not a secret). The auth token is never exposed. */
  get accountSid(): string {
    return this.#accountSid;
  }

  /** The sender pacing counts against: this account and its From number or Messaging Service (no secret). */
  get pacingSender(): SmsPacingSender {
    return twilioPacingSender(this.#accountSid, this.#from);
  }

  /**
   * Sends one message (status 'scheduled' for a `sendAt`); resolves with Twilio's SID and status, or throws a mapped
   * `SmsError`. `options.attemptId` goes on the StatusCallback URL as `sms_attempt` (signed by Twilio with it).
   */
  async send(message: SmsMessage, options: SmsCallOptions = {}): Promise<SmsSendResult> {
    const attemptId = checkAttemptId(options.attemptId, 'twilio');
    const snapshot = snapshotMessage(message, 'twilio');
    const checked = await checkMessage(snapshot, 'twilio');
    const params: Record<string, unknown> =
      snapshot.validityPeriodSec === undefined && snapshot.sendAt === undefined
        ? {}
        : twilioMessageOptions(snapshot, this.#from);
    params.to = checked.to;
    params.body = checked.body;
    params[this.#fromParam] = this.#from;
    if (this.#statusCallbackUrl) {
      params.statusCallback =
        attemptId === undefined
          ? this.#statusCallbackUrl
          : withAttemptQuery(this.#statusCallbackUrl, attemptId);
    }
    const ctx: TwilioCallContext = { signal: options.signal };
    let msg: TwilioCreatedMessage;
    try {
      msg = await this.#call(ctx, (client) => {
        this.#messages ??= client.messages;
        return this.#messages.create(params);
      });
    } catch (err) {
      this.#logSend(checked.to, {
        code: (err as SmsError).code,
        providerCode: (err as SmsError).providerCode,
      });
      throw err;
    }
    const failure = createdTwilioMessageError(msg, ctx.httpStatus, this.#secrets);
    if (failure) {
      this.#logSend(checked.to, {
        code: failure.code,
        providerCode: failure.providerCode,
        messageId: msg.sid,
      });
      throw failure;
    }
    const status = msg.status as SmsStatus;
    const numSegments = Number(msg.numSegments);
    this.#logSend(checked.to, { status, messageId: msg.sid });
    return {
      messageId: msg.sid as string,
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

  /** Lists the account's messages to `query.to` (and from `query.from`), newest first, one page per step; failures are mapped `SmsError`s. */
  async *listMessages(
    query: TwilioListQuery,
    options: SmsCallOptions = {},
  ): AsyncGenerator<TwilioListedMessage[]> {
    const params = {
      to: query.to,
      pageSize: query.pageSize ?? 50,
      ...(query.from ? { from: query.from } : {}),
    };
    let page: SdkPage | undefined = await this.#call({ signal: options.signal }, (c) =>
      c.messages.page(params),
    );
    while (page) {
      yield page.instances.map(toListedMessage);
      const current: SdkPage = page;
      page = await this.#call({ signal: options.signal }, async () => current.nextPage());
    }
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
      const client = this.#readyClient ?? (await this.#getClient());
      return await runTwilioCall(ctx, () => fn(client));
    } catch (err) {
      throw mapTwilioError(err, ctx, this.#secrets);
    }
  }

  /** Builds the SDK client once per provider: our httpClient, `autoRetry` off, lazy loading, URLs remembered. */
  #getClient(): Promise<SdkClient> {
    this.#client ??= loadSdk().then((twilio) => {
      this.#readyClient = twilio(this.#accountSid, this.#authToken, {
        accountSid: this.#accountSid,
        httpClient: this.#httpClient,
        autoRetry: false,
        lazyLoading: true,
      });
      rememberSdkUrls(this.#readyClient);
      return this.#readyClient;
    });
    this.#client.catch(() => {
      this.#client = undefined;
    });
    return this.#client;
  }

  /** Logs a send with the recipient masked; without a logger nothing is built. */
  #logSend(to: string, fields: Record<string, unknown>): void {
    if (this.#logger) this.#log({ op: 'send', to: maskPhone(to), ...fields });
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
