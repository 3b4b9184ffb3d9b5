import { countSegments } from '../message.js';
import type { SmsEncoding } from '../types.js';
import { computeTwilioSignature } from '../webhooks/twilio-signature.js';
import {
  type BehaviourResult,
  EMULATOR_MAX_BODY_BYTES,
  type EmulatorFault,
  EmulatorListeners,
  type EmulatorRequest,
  type EmulatorResponse,
  EmulatorRuntime,
  jsonResponse,
  type ReceivedRequest,
  randomHex,
  seededHex,
  sleep,
  startServer,
} from './core.js';
import { PendingWork } from './pending-work.js';
import { checkCreateParams, isParamFailure } from './twilio-emulator-validate.js';
import { handleTwilioLiveRead } from './twilio-live-reads.js';
import { TWILIO_API_VERSION as API_VERSION, twilioMessageResource } from './twilio-message-resource.js';

/** A Twilio account the emulator accepts (it behaves like Twilio's test credentials). */
export interface TwilioTestAccount {
  /** `AC` + 32 hex. */
  accountSid: string;
  authToken: string;
}

/** A message the Twilio emulator accepted ("sent"). Only successes are recorded. */
export interface EmulatedMessage {
  /** `SM` + 32 hex. */
  sid: string;
  accountSid: string;
  /** Null when sent through a Messaging Service without a From. */
  from: string | null;
  to: string;
  body: string;
  /**
   * 'queued' (From), 'accepted' (MessagingServiceSid) or 'scheduled' (`ScheduleType=fixed` + `SendAt`); then
   * the status of the last status callback fired.
   */
  status: 'queued' | 'accepted' | 'scheduled' | TwilioCallbackStatus;
  /** `SendAt` of a scheduled message. */
  sendAt?: Date;
  /** `ValidityPeriod` in seconds, when given. */
  validityPeriod?: number;
  /** `MediaUrl` parameters, when given. */
  mediaUrls?: string[];
  /** `ContentSid`, when given (a body is then optional). */
  contentSid?: string;
  /** The `ErrorCode` of the last status callback fired with one (`fireStatusCallback`). */
  errorCode?: number;
  /** When the message reached `sent` (also set by a later `delivered` / `undelivered`): Twilio's `date_sent`. */
  sentAt?: Date;
  /** When the status last changed (Twilio's `date_updated`); `createdAt` until then. */
  updatedAt?: Date;
  segments: number;
  encoding: SmsEncoding;
  createdAt: Date;
  messagingServiceSid?: string;
  /** The `StatusCallback` parameter, when given. */
  statusCallback?: string;
}

/** A status the emulator can report in a status callback. */
export type TwilioCallbackStatus = 'sent' | 'delivered' | 'undelivered' | 'failed';

/** One status callback the emulator POSTed (or tried to). */
export interface StatusCallbackDelivery {
  url: string;
  params: Record<string, string>;
  /** The `X-Twilio-Signature` header sent. */
  signature: string;
  /** HTTP status of the callback endpoint's answer. */
  responseStatus?: number;
  /** The callback endpoint's answer body (first 4 KiB). */
  responseBody?: string;
  /** Set when the POST failed (connection refused, …). */
  error?: string;
}

/** A message-create request of an authenticated account that the emulator refused (magic number, missing field…). */
export interface RejectedTwilioMessage {
  /** `RJ` + 32 hex: an emulator-only id (Twilio gives refused requests none). */
  id: string;
  accountSid: string;
  from: string | null;
  to: string;
  body: string;
  messagingServiceSid?: string;
  /** Twilio's error code, e.g. 21211 for the magic `To` +15005550001. */
  errorCode: number;
  errorMessage: string;
  /** HTTP status of the answer (400). */
  httpStatus: number;
  createdAt: Date;
}

/** What a Twilio emulator reports to `subscribe()` listeners. */
export type TwilioEmulatorEvent =
  | { type: 'message'; message: EmulatedMessage }
  | { type: 'rejected'; rejected: RejectedTwilioMessage }
  | { type: 'status'; message: EmulatedMessage; delivery: StatusCallbackDelivery }
  | { type: 'reset' };

/** Options of `fireStatusCallback`. */
export interface FireStatusCallbackOptions {
  status: TwilioCallbackStatus;
  /** Sent as `ErrorCode` (e.g. 30003, 30005, 30006 with 'undelivered'). */
  errorCode?: number;
  /** Overrides the message's `StatusCallback` URL. */
  url?: string;
}

/**
 * 'test' (default): Twilio with test credentials (magic numbers, only +15005550006 as From, 403/20008 for reads).
 * 'live': a live account — any From but the magic failing ones, `GET` account → 200, message fetch and list
 * (filters, paging, `date_sent` once sent), messages progress to sent/delivered by themselves.
 */
export type TwilioEmulatorMode = 'test' | 'live';

/** Options of `startTwilioEmulator`. */
export interface TwilioEmulatorOptions {
  /** 'test' (default) or 'live' (see `TwilioEmulatorMode`). */
  mode?: TwilioEmulatorMode;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Accounts accepted; default one generated test account. The first one is exposed on the emulator. */
  accounts?: TwilioTestAccount[];
  /**
   * Derives the generated account from this string: the same seed gives the same account SID and auth token
   * across restarts (so stored configs keep working). Not with `accounts`.
   */
  seed?: string;
  /**
   * POST signed status callbacks ('sent', then 'delivered') to a message's `StatusCallback`; default true. In live
   * mode this also moves messages without a StatusCallback to sent, then delivered.
   */
  statusCallbacks?: boolean;
}

/** A running Twilio emulator (a real HTTP server). */
export interface TwilioEmulator {
  /** Base URL, e.g. `http://127.0.0.1:54321`: use it as `apiBaseUrl`. */
  url: string;
  /** The first account's SID. */
  accountSid: string;
  /** The first account's token. */
  authToken: string;
  /** 'test' or 'live'. */
  mode: TwilioEmulatorMode;
  accounts: readonly TwilioTestAccount[];
  /** Messages accepted, oldest first. */
  messages: EmulatedMessage[];
  /** Message-create requests (POST …/Messages.json) received, including faulted ones. */
  readonly received: number;
  /** Every request received (method and path), faulted or not. */
  requests: ReceivedRequest[];
  /** Status callbacks POSTed. */
  callbacks: StatusCallbackDelivery[];
  /** Message-create requests of a known account that were refused with a Twilio error, oldest first. */
  rejected: RejectedTwilioMessage[];
  /** Queues a fault for the next request(s). */
  inject(fault: EmulatorFault): void;
  /** Clears messages, rejected attempts, requests, callbacks and pending faults. */
  reset(): void;
  /** Calls `listener` on each accepted or rejected message, status change and reset; returns the unsubscribe function. */
  subscribe(listener: (event: TwilioEmulatorEvent) => void): () => void;
  /** POSTs one status callback for message `sid`, signed like Twilio; resolves with the delivery (incl. the endpoint's answer). */
  fireStatusCallback(sid: string, options: FireStatusCallbackOptions): Promise<StatusCallbackDelivery>;
  /** Resolves when every status callback scheduled so far has been delivered (or failed). */
  settled(): Promise<void>;
  /** Stops the server, drops open connections and frees the port. */
  close(): Promise<void>;
}

/** Twilio's error body shape. */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** The magic `From` numbers of Twilio test credentials and their error codes (+15005550006 passes). */
export const TWILIO_MAGIC_FROM: Readonly<Record<string, number>> = {
  '+15005550001': 21212,
  '+15005550007': 21606,
  '+15005550008': 21611,
};

/** The magic `To` numbers of Twilio test credentials and their error codes. */
export const TWILIO_MAGIC_TO: Readonly<Record<string, number>> = {
  '+15005550001': 21211,
  '+15005550002': 21612,
  '+15005550003': 21408,
  '+15005550004': 21610,
  '+15005550009': 21614,
};

/** The only `From` that passes with test credentials. */
export const TWILIO_VALID_FROM = '+15005550006';

/** Generates a valid-looking Twilio test account (`AC` + 32 hex, 32-hex token); the same `seed` gives the same one. */
export function createTwilioTestAccount(seed?: string): TwilioTestAccount {
  return {
    accountSid: `AC${seededHex(seed, 'twilio-account-sid', 16)}`,
    authToken: seededHex(seed, 'twilio-auth-token', 16),
  };
}

/** Builds a Twilio error response: `{ code, message, more_info, status }`. */
export function twilioError(status: number, code: number, message: string): EmulatorResponse {
  const body: TwilioErrorBody = {
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
  return jsonResponse(status, body, { 'twilio-request-id': `RQ${randomHex(16)}` });
}

/** The outcome of `handleTwilioRequest`: a response, and the message to record when it was accepted. */
export interface TwilioHandled {
  response: EmulatorResponse;
  message?: EmulatedMessage;
}

function authenticate(
  headers: Record<string, string>,
  accounts: readonly TwilioTestAccount[],
): TwilioTestAccount | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const user = decoded.slice(0, i);
  const pass = decoded.slice(i + 1);
  return accounts.find((a) => a.accountSid === user && a.authToken === pass);
}

const E164 = /^\+[1-9]\d{6,14}$/;
const MG_SID = /^MG[0-9a-fA-F]{32}$/;

/** Options of `handleTwilioRequest`. */
export interface TwilioRequestOptions {
  accounts: readonly TwilioTestAccount[];
  /** Default 'test'. */
  mode?: TwilioEmulatorMode;
  /** The messages live-mode reads answer from. */
  messages?: readonly EmulatedMessage[];
}

/**
 * Twilio's behaviour with test credentials, as a function from request to response (shared by the HTTP
 * server and the msw handlers). Credentials for another account than the one in the path answer
 * 401/20003, like wrong credentials. Apart from `POST …/Messages.json`, everything under
 * `/2010-04-01/Accounts` answers 403/20008; any other path 404/20404. In live mode the account, message
 * fetch and message list reads are answered (`handleTwilioLiveRead`), other account resources 404/20404.
 */
export async function handleTwilioRequest(
  req: EmulatorRequest,
  options: TwilioRequestOptions,
): Promise<TwilioHandled> {
  const pathname = req.path.split('?')[0] ?? '';
  if (!/^\/2010-04-01\/Accounts(?:[./]|$)/.test(pathname)) {
    return { response: twilioError(404, 20404, `The requested resource ${pathname} was not found`) };
  }
  const account = authenticate(req.headers, options.accounts);
  const m = /^\/2010-04-01\/Accounts\/([^/]+?)(?:\.json)?(\/.*)?$/.exec(pathname);
  const pathSid = m?.[1];
  if (!account || (pathSid !== undefined && pathSid !== account.accountSid)) {
    const res = twilioError(401, 20003, 'Authenticate');
    res.headers['www-authenticate'] = 'Basic realm="Twilio API"';
    return { response: res };
  }
  const live = options.mode === 'live';
  if (req.method === 'POST' && m?.[2] === '/Messages.json') return createMessage(req, account, live);
  if (!live)
    return { response: twilioError(403, 20008, 'Resource not accessible with Test Account Credentials') };
  const notFound = (path: string) => twilioError(404, 20404, `The requested resource ${path} was not found`);
  const read = handleTwilioLiveRead(req, account, m?.[2], options.messages ?? [], notFound);
  return { response: read ?? notFound(pathname) };
}

async function createMessage(
  req: EmulatorRequest,
  account: TwilioTestAccount,
  live: boolean,
): Promise<TwilioHandled> {
  const form = new URLSearchParams(req.body);
  const to = form.get('To') ?? '';
  const from = form.get('From') ?? '';
  const serviceSid = form.get('MessagingServiceSid') ?? '';
  const fail = (code: number, message: string) => ({ response: twilioError(400, code, message) });

  if (!to) return fail(21604, "A 'To' phone number is required.");
  if (!from && !serviceSid) return fail(21603, "A 'From' phone number is required.");
  if (serviceSid && !MG_SID.test(serviceSid))
    return fail(21701, `The Messaging Service Sid ${serviceSid} is invalid.`);
  const params = checkCreateParams(form, Boolean(serviceSid), new Date());
  if (isParamFailure(params)) return fail(params.code, params.message);
  const { body, statusCallback } = params;
  if (from) {
    // A live account owns every From but the magic failing ones; test credentials only +15005550006.
    const fromCode = TWILIO_MAGIC_FROM[from] ?? (live || from === TWILIO_VALID_FROM ? undefined : 21606);
    if (fromCode === 21212) {
      return fail(
        21212,
        `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
      );
    }
    if (fromCode === 21611)
      return fail(21611, "This 'From' number has exceeded the maximum number of queued messages");
    if (fromCode === 21606) {
      return fail(
        21606,
        `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination/account`,
      );
    }
  }
  switch (TWILIO_MAGIC_TO[to] ?? (E164.test(to) ? 0 : 21211)) {
    case 21211:
      return fail(21211, `The 'To' number ${to} is not a valid phone number.`);
    case 21612:
      return fail(
        21612,
        `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number: ${from || serviceSid} via SMS.`,
      );
    case 21408:
      return fail(
        21408,
        `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
      );
    case 21610:
      return fail(21610, 'Attempt to send to unsubscribed recipient');
    case 21614:
      return fail(21614, `'To' number ${to} is not a valid mobile number`);
  }

  const { segments, encoding } = await countSegments(body);
  const sid = `SM${randomHex(16)}`;
  const now = new Date();
  const viaService = !from;
  const status = params.sendAt ? 'scheduled' : viaService ? 'accepted' : 'queued';
  const message: EmulatedMessage = {
    sid,
    accountSid: account.accountSid,
    from: from || null,
    to,
    body,
    status,
    segments,
    encoding,
    createdAt: now,
  };
  if (serviceSid) message.messagingServiceSid = serviceSid;
  if (statusCallback) message.statusCallback = statusCallback;
  if (params.sendAt) message.sendAt = params.sendAt;
  if (params.validityPeriod !== undefined) message.validityPeriod = params.validityPeriod;
  if (params.mediaUrls.length > 0) message.mediaUrls = params.mediaUrls;
  if (params.contentSid) message.contentSid = params.contentSid;
  const resource = twilioMessageResource(message);
  return { response: jsonResponse(201, resource, { 'twilio-request-id': `RQ${randomHex(16)}` }), message };
}

/** State shared by the Twilio HTTP server and its msw handlers. @internal */
export class TwilioEmulatorCore {
  readonly runtime = new EmulatorRuntime();
  readonly messages: EmulatedMessage[];
  readonly callbacks: StatusCallbackDelivery[] = [];
  readonly rejected: RejectedTwilioMessage[] = [];
  private readonly pending = new PendingWork();
  private readonly listeners = new EmulatorListeners<TwilioEmulatorEvent>();

  constructor(
    readonly accounts: readonly TwilioTestAccount[],
    readonly statusCallbacks: boolean,
    messages?: EmulatedMessage[],
    readonly mode: TwilioEmulatorMode = 'test',
  ) {
    if (mode !== 'test' && mode !== 'live')
      throw new RangeError(`mode must be 'test' or 'live' (got ${String(mode)})`);
    if (accounts.length === 0) throw new RangeError('at least one Twilio account is required');
    this.messages = messages ?? [];
  }

  /** Message-create requests received. */
  get received(): number {
    return this.runtime.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'))
      .length;
  }

  /** The behaviour function with recording and status callbacks wired in. */
  readonly behaviour = async (req: EmulatorRequest): Promise<BehaviourResult> => {
    const handled = await handleTwilioRequest(req, {
      accounts: this.accounts,
      mode: this.mode,
      messages: this.messages,
    });
    const message = handled.message;
    if (!message) {
      const rejected = this.rejection(req, handled.response);
      if (!rejected) return { response: handled.response };
      return {
        response: handled.response,
        commit: () => {
          this.rejected.push(rejected);
          this.emit({ type: 'rejected', rejected });
        },
      };
    }
    return {
      response: handled.response,
      commit: () => {
        this.messages.push(message);
        this.emit({ type: 'message', message });
        const progresses = this.mode === 'live' || message.statusCallback !== undefined;
        if (this.statusCallbacks && progresses && message.status !== 'scheduled')
          this.track(this.fireCallbacks(message));
      },
    };
  };

  /** The rejected attempt to record for a refused message-create request of a known account, if it is one. */
  private rejection(req: EmulatorRequest, res: EmulatorResponse): RejectedTwilioMessage | undefined {
    if (req.method !== 'POST' || res.status !== 400) return undefined;
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.path.split('?')[0] ?? '');
    if (!m?.[1]) return undefined;
    let error: Partial<TwilioErrorBody>;
    try {
      error = JSON.parse(res.body) as Partial<TwilioErrorBody>;
    } catch {
      return undefined;
    }
    const form = new URLSearchParams(req.body);
    const serviceSid = form.get('MessagingServiceSid');
    return {
      id: `RJ${randomHex(16)}`,
      accountSid: m[1],
      from: form.get('From') || null,
      to: form.get('To') ?? '',
      body: form.get('Body') ?? '',
      ...(serviceSid ? { messagingServiceSid: serviceSid } : {}),
      errorCode: Number(error.code),
      errorMessage: String(error.message ?? ''),
      httpStatus: res.status,
      createdAt: new Date(),
    };
  }

  reset(): void {
    this.messages.length = 0;
    this.callbacks.length = 0;
    this.rejected.length = 0;
    this.runtime.reset();
    this.emit({ type: 'reset' });
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: TwilioEmulatorEvent) => void): () => void {
    return this.listeners.subscribe(listener);
  }

  private emit(event: TwilioEmulatorEvent): void {
    this.listeners.emit(event);
  }

  /** POSTs one signed status callback for message `sid` (the URL from `options.url` or the message's StatusCallback). */
  async fireStatusCallback(sid: string, options: FireStatusCallbackOptions): Promise<StatusCallbackDelivery> {
    const message = this.messages.find((m) => m.sid === sid);
    if (!message) throw new RangeError(`no message ${sid}`);
    const url = options.url ?? message.statusCallback;
    if (!url) throw new RangeError(`message ${sid} was sent without a StatusCallback`);
    if (!['sent', 'delivered', 'undelivered', 'failed'].includes(options.status))
      throw new RangeError(`unsupported status ${String(options.status)}`);
    if (options.errorCode !== undefined && !(Number.isInteger(options.errorCode) && options.errorCode > 0))
      throw new RangeError('errorCode must be a positive integer');
    const p = this.postCallback(message, url, options.status, options.errorCode);
    this.track(p.then(() => undefined));
    return p;
  }

  settled(): Promise<void> {
    return this.pending.settled();
  }

  private track(p: Promise<void>): void {
    this.pending.track(p);
  }

  /** Moves a message to sent, then delivered, POSTing a callback for each when it has a StatusCallback. */
  private async fireCallbacks(message: EmulatedMessage): Promise<void> {
    const url = message.statusCallback;
    for (const status of ['sent', 'delivered'] as const) {
      await sleep(5, this.runtime.signal);
      if (this.runtime.signal.aborted) return;
      if (url) await this.postCallback(message, url, status);
      else setStatus(message, status);
    }
  }

  private async postCallback(
    message: EmulatedMessage,
    url: string,
    status: TwilioCallbackStatus,
    errorCode?: number,
  ): Promise<StatusCallbackDelivery> {
    const account = this.accounts.find((a) => a.accountSid === message.accountSid)!;
    setStatus(message, status, errorCode);
    const params: Record<string, string> = {
      AccountSid: message.accountSid,
      ApiVersion: API_VERSION,
      From: message.from ?? '',
      MessageSid: message.sid,
      MessageStatus: status,
      SmsSid: message.sid,
      SmsStatus: status,
      To: message.to,
    };
    if (errorCode !== undefined) params.ErrorCode = String(errorCode);
    if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
    const signature = computeTwilioSignature(account.authToken, url, params);
    const delivery: StatusCallbackDelivery = { url, params, signature };
    this.callbacks.push(delivery);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
          'user-agent': 'TwilioProxy/1.1',
        },
        body: new URLSearchParams(params).toString(),
        signal: this.runtime.signal,
      });
      delivery.responseStatus = res.status;
      delivery.responseBody = (await res.text()).slice(0, 4096);
    } catch (err) {
      delivery.error = (err as Error).message;
    }
    this.emit({ type: 'status', message, delivery });
    return delivery;
  }
}

/** Applies a reported status: `date_updated`, and `date_sent` the first time it got past the carrier hand-off. */
function setStatus(message: EmulatedMessage, status: TwilioCallbackStatus, errorCode?: number): void {
  const now = new Date();
  message.status = status;
  message.updatedAt = now;
  if (status !== 'failed') message.sentAt ??= now;
  if (errorCode !== undefined) message.errorCode = errorCode;
  else delete message.errorCode;
}

/** Starts a Twilio emulator (a real node:http server) behaving like Twilio with test credentials, or a live account (`mode: 'live'`). */
export async function startTwilioEmulator(opts: TwilioEmulatorOptions = {}): Promise<TwilioEmulator> {
  if (opts.seed !== undefined && opts.accounts?.length)
    throw new RangeError('startTwilioEmulator: pass either accounts or seed, not both');
  const accounts = opts.accounts?.length ? [...opts.accounts] : [createTwilioTestAccount(opts.seed)];
  const core = new TwilioEmulatorCore(accounts, opts.statusCallbacks ?? true, undefined, opts.mode);
  const server = await startServer(
    opts.host ?? '127.0.0.1',
    opts.port ?? 0,
    core.runtime,
    core.behaviour,
    () => twilioError(413, 413, `Request body over ${EMULATOR_MAX_BODY_BYTES} bytes (the emulator's limit)`),
  );
  const first = accounts[0]!;
  return {
    url: server.url,
    accountSid: first.accountSid,
    authToken: first.authToken,
    mode: core.mode,
    accounts,
    messages: core.messages,
    get received() {
      return core.received;
    },
    requests: core.runtime.requests,
    callbacks: core.callbacks,
    rejected: core.rejected,
    inject: (fault) => core.runtime.inject(fault),
    reset: () => core.reset(),
    subscribe: (listener) => core.subscribe(listener),
    fireStatusCallback: (sid, options) => core.fireStatusCallback(sid, options),
    settled: () => core.settled(),
    close: () => server.close(),
  };
}
