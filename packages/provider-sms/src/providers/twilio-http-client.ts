import {
  basicAuth,
  type HttpRequest,
  type HttpResponse,
  headerRecord,
  httpRequest,
  parseRetryAfter,
  parseTransportOptions,
} from '../http.js';

/** Twilio's REST API host, used when no `apiBaseUrl` is given. */
export const DEFAULT_TWILIO_API_BASE_URL = 'https://api.twilio.com';

/**
 * Per-call state shared by a provider call and the httpClient: the caller's signal goes in, facts about
 * the response come out (the SDK's `RestException` carries no headers, so `Retry-After` is read here).
 */
export interface TwilioCallContext {
  signal?: AbortSignal | undefined;
  /** HTTP status of the last response of this call. */
  httpStatus?: number;
  /** From `Retry-After` of the last response, when it had one. */
  retryAfterMs?: number;
}

/** The options the twilio SDK passes to `httpClient.request()` (see twilio/lib/base/BaseTwilio.js). */
export interface TwilioSdkRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  authStrategy?: { getAuthString(): Promise<string> };
  headers?: Record<string, string | undefined>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
  allowRedirects?: boolean;
  logLevel?: string;
}

/** What the SDK expects back from `httpClient.request()`: it parses `body` itself and raises `RestException`. */
export interface TwilioSdkResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

/** An object with the SDK's `httpClient` shape. */
export interface TwilioHttpClient {
  request(opts: TwilioSdkRequest): Promise<TwilioSdkResponse>;
}

/** Options of `createTwilioHttpClient`. */
export interface TwilioHttpClientOptions {
  /** Replaces scheme, host and port of every SDK URL (path and query are kept); default https://api.twilio.com. */
  apiBaseUrl?: string;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
}

// The context of the SDK call being started. The SDK calls `httpClient.request()` synchronously from inside
// `messages.create()` / `fetch()` / `page()` / `nextPage()` (twilio/lib/base/BaseTwilio.js of the 6.3 line the
// package depends on; twilio.socket.test.ts fails for every kind of call if a version stops doing so, and a request
// made later would only see no context, never another call's), and `request()` reads this before its first await: a hand-over in a variable, not an AsyncLocalStorage, whose
// promise hooks slow down every promise of the process once enabled.
let starting: TwilioCallContext | undefined;

/** Runs `fn` with a per-call context that the Twilio httpClient reads (signal) and fills (status, Retry-After). */
export function runTwilioCall<T>(ctx: TwilioCallContext, fn: () => Promise<T>): Promise<T> {
  const outer = starting;
  starting = ctx;
  try {
    return fn();
  } finally {
    starting = outer;
  }
}

// What `URLSearchParams` percent-encodes but `encodeURIComponent` leaves as is.
const FORM_EXTRA_RE = /[!'()~]/g;
const FORM_EXTRA_TEST_RE = /[!'()~]/;
const formExtra = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;

/**
 * One name or value as `URLSearchParams` serializes it (UTF-8, only `*-._` and alphanumerics left as is; a lone
 * surrogate becomes U+FFFD), with `%20` for a space: `encodeURIComponent` plus the five characters it leaves.
 */
function encodeFormComponent(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    // URIError: a lone surrogate, which URLSearchParams replaces by U+FFFD.
    return new URLSearchParams([['', text]]).toString().slice(1).replace(/\+/g, '%20');
  }
  // Most names and values (To, From, a phone number, a plain-text body) have none of the five.
  return FORM_EXTRA_TEST_RE.test(encoded) ? encoded.replace(FORM_EXTRA_RE, formExtra) : encoded;
}

/** Form-encodes values like the SDK (qs with `arrayFormat: 'repeat'`): repeated keys for arrays, `%20` for spaces. */
export function encodeTwilioForm(values: Record<string, unknown> | undefined): string {
  let out = '';
  if (!values) return out;
  for (const key of Object.keys(values)) {
    const value = values[key];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue;
      const text =
        item === null
          ? ''
          : item instanceof Date
            ? item.toISOString()
            : typeof item === 'object'
              ? JSON.stringify(item)
              : String(item);
      out += `${out ? '&' : ''}${encodeFormComponent(key)}=${encodeFormComponent(text)}`;
    }
  }
  return out;
}

/** Parses and checks a Twilio base URL (absolute http(s), no credentials), or throws `SmsError('invalid_config')`. */
export function parseApiBaseUrl(value: string | undefined): URL {
  return new URL(parseTransportOptions('twilio', { apiBaseUrl: value }, DEFAULT_TWILIO_API_BASE_URL).baseUrl);
}

/** Moves an SDK URL (any Twilio host, after edge/region were applied) onto the base URL, keeping path and query. */
export function rewriteTwilioUrl(uri: string, base: URL, params?: Record<string, unknown>): string {
  const u = new URL(uri);
  const prefix = base.pathname.replace(/\/+$/, '');
  const extra = encodeTwilioForm(params);
  const search = extra ? `${u.search ? `${u.search}&` : '?'}${extra}` : u.search;
  return `${base.origin}${prefix}${u.pathname}${search}`;
}

/** The Basic header of an account and the strings to redact with it (the password, the header, its credentials). */
interface AccountAuth {
  username: string;
  password: string;
  header: string;
  secrets: readonly string[];
}

/** Builds the Basic auth of an account, or reuses `last` when it is the same account (one client serves one). */
function accountAuth(username: string, password: string, last: AccountAuth | undefined): AccountAuth {
  if (last && last.username === username && last.password === password) return last;
  const header = basicAuth(username, password);
  return { username, password, header, secrets: [password, header, header.slice('Basic '.length)] };
}

/** The request headers: the SDK's, minus Connection and Authorization (the transport and we set those). */
function copySdkHeaders(from: TwilioSdkRequest['headers']): {
  headers: Record<string, string>;
  json: boolean;
} {
  const headers: Record<string, string> = {};
  let json = false;
  for (const k in from) {
    const v = from[k];
    if (v === undefined) continue;
    const lower = k.toLowerCase();
    // The transport manages the connection; credentials are set below, never taken from the caller's headers.
    if (lower === 'connection' || lower === 'authorization') continue;
    const text = String(v);
    if (lower === 'content-type') json = text.includes('application/json');
    headers[k] = text;
  }
  return { headers, json };
}

/** `Retry-After` of a response, read without building its whole header record. */
function retryAfterHeader(res: HttpResponse): string | null | undefined {
  return res.rawHeaders ? res.rawHeaders['retry-after'] : res.headers.get('retry-after');
}

/** The answer handed to the SDK: its header record is built on first read (a send never reads it). */
class SdkResponse implements TwilioSdkResponse {
  readonly statusCode: number;
  readonly body: string;
  readonly #res: HttpResponse;
  #headers: Record<string, string> | undefined;

  constructor(res: HttpResponse) {
    this.statusCode = res.status;
    this.body = res.text;
    this.#res = res;
  }

  /** One string per lower-case header name (see `headerRecord`). */
  get headers(): Record<string, string> {
    this.#headers ??= headerRecord(this.#res);
    return this.#headers;
  }
}

/**
 * Builds the SDK `httpClient`: a plain object (no axios, no agent per client) on the package's transport, so
 * all tenants share one connection pool. It keeps no request state (no `lastRequest` holding credentials);
 * it remembers the last Basic header it built and the last URL it rewrote, both derived from its own
 * account's configuration. Throws `SmsError('invalid_config')` for a bad `apiBaseUrl` or `timeoutMs`.
 */
export function createTwilioHttpClient(options: TwilioHttpClientOptions = {}): TwilioHttpClient {
  const transport = parseTransportOptions('twilio', options, DEFAULT_TWILIO_API_BASE_URL);
  const base = new URL(transport.baseUrl);
  const { timeoutMs } = transport;
  let auth: AccountAuth | undefined;
  let lastUri: string | undefined;
  let lastUrl = '';
  return {
    async request(opts: TwilioSdkRequest): Promise<TwilioSdkResponse> {
      const ctx = starting; // read before the first await (see runTwilioCall)
      const method = opts.method.toUpperCase() as HttpRequest['method'];
      const { headers, json } = copySdkHeaders(opts.headers);
      let secrets: readonly (string | undefined)[] = [];
      if (opts.username && opts.password) {
        auth = accountAuth(opts.username, opts.password, auth);
        headers.Authorization = auth.header;
        secrets = auth.secrets;
      } else if (opts.authStrategy) {
        const header = await opts.authStrategy.getAuthString();
        if (header) headers.Authorization = header;
        secrets = [opts.password, header, header?.replace(/^\S+\s+/, '')];
      }
      let body: string | undefined;
      if (opts.data && method !== 'GET')
        body = json ? JSON.stringify(opts.data) : encodeTwilioForm(opts.data);
      let url: string;
      if (opts.params === undefined && opts.uri === lastUri) url = lastUrl;
      else {
        url = rewriteTwilioUrl(opts.uri, base, opts.params);
        if (opts.params === undefined) [lastUri, lastUrl] = [opts.uri, url];
      }
      const res = await httpRequest({
        url,
        method,
        headers,
        body,
        timeoutMs: opts.timeout ?? timeoutMs,
        signal: ctx?.signal,
        provider: 'twilio',
        secrets,
      });
      if (ctx) {
        ctx.httpStatus = res.status;
        const retryAfterMs = parseRetryAfter(retryAfterHeader(res));
        if (retryAfterMs !== undefined) ctx.retryAfterMs = retryAfterMs;
        else delete ctx.retryAfterMs;
      }
      return new SdkResponse(res);
    },
  };
}
