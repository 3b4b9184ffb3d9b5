/**
 * Delivery-status webhooks as one Fetch API handler, `(request: Request) => Promise<Response>`.
 *
 * Routes (matched on the end of the path, so the handler can be mounted under any prefix):
 * - `POST …/twilio/:tenantId`: a Twilio status callback of that tenant. Point the resolver's
 *   `statusCallbackBaseUrl` at `<publicBaseUrl>/twilio`.
 * - `POST …/msg91/:secret` or `POST …/msg91?secret=…`: an MSG91 delivery report (v2 or v3).
 *
 * Answers: 200 handled (also for a duplicate or a stale status), 400 malformed (also a tenant id that
 * cannot be one), 403 bad signature / AccountSid / secret and unknown tenant alike (no enumeration),
 * 404 unknown route, 405 not a POST, 500 `onEvent` threw or the config store or ledger failed (the provider
 * retries; the event is not marked seen).
 *
 * Replays: events are de-duplicated by `I-Twilio-Idempotency-Token` (Twilio, when sent) and always by
 * tenant + provider + message + recipient + status, and passed on only forward, in memory: a replay
 * after the in-memory window (`seenCapacity`) or a restart is delivered again unless `isDuplicate`
 * is backed by a persistent store.
 *
 * With `ledger`, every verified event is applied to the dispatch ledger (ledger-sink.ts), which is the persistent
 * dedupe: `onEvent` sees an event that settled a row or advanced its status, or that names no ledger row (sent
 * without the dispatcher); a replay or stale status of a ledger row is answered 200 and not passed on, also after
 * a restart. A ledger write that fails answers 500 (the provider retries).
 *
 * Config changes: the handler has `invalidate(tenantId)` / `clear()`, so it can be given to
 * `listenForChanges` (or called by the config service) to forget a tenant's cached auth at once.
 *
 * Adapters (one line each):
 * - node:http: `http.createServer(toNodeListener(handler))` (served natively: no Fetch objects; routes on the
 *   request path; the signed URL's origin is the `Host` header unless `publicBaseUrl` is set: behind a proxy you
 *   must set it)
 * - Express: `app.post('/hooks/sms/*', toNodeListener(handler))` (mount before any body parser: after one
 *   it answers 500 naming the cause)
 * - Fastify: `app.post('/hooks/sms/*', async (req, reply) => { reply.hijack(); toNodeListener(handler)(req.raw, reply.raw); })`
 *   (register a content-type parser that leaves the body alone, e.g. `app.removeAllContentTypeParsers()` in that scope)
 * - Hono / Bun / Deno / workers: `app.post('/hooks/sms/*', (c) => handler(c.req.raw))`
 */
import type { ConfigCipher } from '../config/cipher.js';
import type { SmsConfigStore } from '../config/store.js';
import { checkDurationMs } from '../duration.js';
import { isSmsError, type SmsError, sanitizeCause } from '../errors.js';
import type { Logger } from '../types.js';
import { ledgerEventSink, type StatusWebhookLedger } from './ledger-sink.js';
import { parseMsg91DeliveryReport } from './msg91-report.js';
import type { FetchHandler } from './node-listener.js';
import { malformedWebhook, type SmsStatusEvent, twilioIdempotencyKey } from './status.js';
import { createStatusMemory } from './status-memory.js';
import { createTenantAuthCache } from './tenant-auth-cache.js';
import { type TwilioWebhookAuth, twilioAuthFromStore } from './twilio-auth-store.js';
import { readFormBody } from './twilio-status.js';
import {
  sameTwilioAuth,
  type VerifiedTwilioCallback,
  verifyTwilioCallback,
} from './verify-twilio-callback.js';
import {
  answer,
  fromFetchRequest,
  toFetchResponse,
  WEBHOOK_CORE,
  type WebhookAnswer,
  type WebhookRequest,
} from './webhook-request.js';
import { checkPublicBaseUrl, type Route, route } from './webhook-route.js';

export type { StatusWebhookLedger } from './ledger-sink.js';
export type { FetchHandler, NodeListenerOptions } from './node-listener.js';
export { toNodeListener } from './node-listener.js';
export type { TwilioWebhookAuth } from './twilio-auth-store.js';
export { twilioAuthFromStore } from './twilio-auth-store.js';

/** Options of `createStatusWebhookHandler`. */
export interface StatusWebhookHandlerOptions {
  /** Receives each new event once; throwing (or rejecting) answers 500 so the provider retries. */
  onEvent(event: SmsStatusEvent): void | Promise<void>;
  /** Tenant configs (`notification_providers`); with `cipher`, the source of each tenant's Twilio token. */
  store?: SmsConfigStore;
  /** Decrypts the tenant config rows of `store`. */
  cipher?: ConfigCipher;
  /** Alternative to store + cipher: a tenant's Twilio account and token, or undefined when it has none (403). */
  loadTwilioAuth?: (tenantId: string) => Promise<TwilioWebhookAuth | undefined>;
  /**
   * The dispatch ledger (`createSmsLedger`): each verified event is applied to the row it names (Twilio: within the
   * route's tenant; MSG91: by attempt id, else by request id among msg91 rows); replays and stale statuses of a row are
   * not passed to `onEvent`, across restarts too. `onEvent` runs before the write (at least once: a replica racing on
   * the same event may also call it). A failed write answers 500.
   */
  ledger?: StatusWebhookLedger;
  /** Shared secret of the MSG91 route; without it `…/msg91` answers 404. */
  msg91Secret?: string;
  /** Public URL the routes hang off (e.g. 'https://hooks.example.com/sms'), the origin of the signed URL; behind a proxy you must set it. Default: the request URL. */
  publicBaseUrl?: string;
  /** Shared duplicate check across replicas (and restarts, if persistent), asked after the in-memory one misses: the idempotency-token key (when sent), then the event key; true → the event is dropped. Keys are tenant-scoped. */
  isDuplicate?: (key: string) => boolean | Promise<boolean>;
  /** Called for each key `isDuplicate` was asked about when `onEvent` failed, so a check-and-set store can release it. */
  forgetKey?: (key: string) => void | Promise<void>;
  /** Bound of the in-memory memory of seen events and of last statuses; default 10 000. */
  seenCapacity?: number;
  /** How long a tenant's decrypted Twilio auth is reused; default 60 000 ms (a signature mismatch may re-read it, see `authRefreshIntervalMs`). 0 = never. */
  authCacheTtlMs?: number;
  /** How long a tenant without a Twilio config is remembered as such (`invalidate` forgets it at once); default 10 000 ms. 0 = never. */
  unknownTenantCacheTtlMs?: number;
  /** Least time between two re-reads of one tenant's config forced by a signature mismatch (others get 403 from the cached token); default 5 000 ms. */
  authRefreshIntervalMs?: number;
  logger?: Logger;
  /** Clock for event times and for the expiry of a rotating tenant's previous token; default `() => new Date()`. */
  now?: () => Date;
}

/** A Fetch API `Request → Response` handler. */
export type StatusWebhookHandler = FetchHandler;

/** What the handler's tenant cache can be told (e.g. by `listenForChanges`): a tenant's config changed. */
export interface StatusWebhookCacheControl {
  /** Forgets the tenant's cached Twilio auth (or its "unknown tenant" entry) at once. */
  invalidate(tenantId: string): void;
  /** Forgets every cached tenant. */
  clear(): void;
}

const forbidden = () => answer(403, 'forbidden');
// A parser's SmsError as an answer: 403 (signature, account, secret) or 400, never naming the cause.
const rejection = (err: SmsError) => (err.httpStatus === 403 ? forbidden() : answer(400, 'bad request'));

// base64 of an HMAC-SHA1: 28 characters. Anything else is refused before the tenant's config is read.
const SIGNATURE_RE = /^[A-Za-z0-9+/]{27}=$/;
// Twilio's idempotency tokens are short printable strings; others are ignored (the event key still dedupes).
const IDEMPOTENCY_TOKEN_RE = /^[\x21-\x7e]{1,128}$/;

const duration = (option: string, value: number) =>
  checkDurationMs(value, { option, owner: 'createStatusWebhookHandler' });

/** Creates the Fetch API delivery-status webhook handler: verifies, normalizes, de-duplicates and passes events to `onEvent`. */
export function createStatusWebhookHandler(
  options: StatusWebhookHandlerOptions,
): StatusWebhookHandler & StatusWebhookCacheControl {
  const publicBaseUrl = checkPublicBaseUrl(options.publicBaseUrl);
  const log = options.logger;
  const now = options.now ?? (() => new Date());
  const sink = options.ledger
    ? ledgerEventSink(options.ledger, (e) => options.onEvent(e), log)
    : (e: SmsStatusEvent) => options.onEvent(e);
  const memory = createStatusMemory({
    onEvent: sink,
    capacity: options.seenCapacity ?? 10_000,
    ...(options.isDuplicate ? { isDuplicate: options.isDuplicate } : {}),
    ...(options.forgetKey ? { forgetKey: options.forgetKey } : {}),
    ...(log ? { logger: log } : {}),
  });
  const loadAuth =
    options.loadTwilioAuth ??
    (options.store && options.cipher ? twilioAuthFromStore(options.store, options.cipher) : undefined);
  const auths = createTenantAuthCache({
    load: loadAuth ?? (async () => undefined),
    ttlMs: duration('authCacheTtlMs', options.authCacheTtlMs ?? 60_000),
    unknownTtlMs: duration('unknownTenantCacheTtlMs', options.unknownTenantCacheTtlMs ?? 10_000),
    refreshIntervalMs: duration('authRefreshIntervalMs', options.authRefreshIntervalMs ?? 5_000),
  });

  async function deliverAll(events: SmsStatusEvent[], dedupeKey?: string): Promise<WebhookAnswer> {
    let ok = true;
    // In order, so a batch's later statuses of one message rank against its earlier ones.
    for (const e of events) if (!(await memory.deliver(e, dedupeKey))) ok = false;
    return ok ? answer(200, 'OK') : answer(500, 'event handler failed');
  }

  function publicUrl(url: URL, r: Route): string {
    return publicBaseUrl === undefined ? url.href : publicBaseUrl + r.tail + url.search;
  }

  const loadFailed = (tenantId: string, err: unknown) => {
    log?.error({ provider: 'twilio', tenantId, err: sanitizeCause(err) }, 'cannot load tenant Twilio config');
    return answer(500, 'tenant config unavailable');
  };

  // A callback validated with the new token: the previous one is dropped (stored config, then this cache).
  async function retirePrevious(tenantId: string, auth: TwilioWebhookAuth): Promise<void> {
    if (auth.previousAuthToken === undefined) return;
    const { previousAuthToken: _t, previousAuthTokenExpiresAt: _e, retirePreviousAuthToken, ...rest } = auth;
    auths.update(tenantId, rest);
    try {
      await retirePreviousAuthToken?.();
      log?.info({ provider: 'twilio', tenantId }, 'previous Twilio auth token retired');
    } catch (err) {
      log?.warn(
        { provider: 'twilio', tenantId, err: sanitizeCause(err) },
        'cannot retire previous Twilio auth token',
      );
    }
  }

  async function handleTwilio(request: WebhookRequest, url: URL, r: Route): Promise<WebhookAnswer> {
    if (!loadAuth) return answer(404, 'not found');
    const tenantId = r.tenantId;
    if (tenantId === undefined) {
      log?.warn({ provider: 'twilio' }, 'status callback for a malformed tenant id rejected');
      return answer(400, 'bad request');
    }
    const signature = request.header('x-twilio-signature');
    if (!signature || !SIGNATURE_RE.test(signature)) {
      log?.warn({ provider: 'twilio', tenantId }, 'status callback without a well-formed signature rejected');
      return forbidden();
    }
    let auth: TwilioWebhookAuth | undefined;
    let cached: boolean;
    try {
      ({ auth, cached } = await auths.get(tenantId));
    } catch (err) {
      return loadFailed(tenantId, err);
    }
    if (!auth) {
      log?.warn(
        { provider: 'twilio', tenantId },
        'status callback for a tenant without Twilio config rejected',
      );
      return forbidden();
    }
    const params = await readFormBody(request);
    if (!params) return answer(400, 'expected application/x-www-form-urlencoded');
    const target = publicUrl(url, r);
    let verified: VerifiedTwilioCallback | undefined;
    try {
      verified = verifyTwilioCallback(auth, params, signature, target, now, url);
    } catch (err) {
      if (!isSmsError(err)) throw err;
      let final: SmsError = err;
      if (err.httpStatus === 403 && cached && auths.mayForceRead(tenantId)) {
        // The cached token may be an old one (rotated): read the config again, throttled per tenant.
        let fresh: TwilioWebhookAuth | undefined;
        try {
          fresh = await auths.read(tenantId);
        } catch (loadErr) {
          return loadFailed(tenantId, loadErr);
        }
        if (!fresh) return forbidden();
        if (!sameTwilioAuth(fresh, auth)) {
          try {
            verified = verifyTwilioCallback(fresh, params, signature, target, now, url);
            auths.refundForcedRead(tenantId); // a genuine rotation does not use up the budget
            auth = fresh;
          } catch (again) {
            if (!isSmsError(again)) throw again;
            final = again;
          }
        }
      }
      if (!verified) {
        log?.warn(
          { provider: 'twilio', tenantId, code: final.code, reason: final.message },
          'status callback rejected',
        );
        return rejection(final);
      }
    }
    if (verified.current) await retirePrevious(tenantId, auth);
    const { event } = verified;
    event.tenantId = tenantId;
    const token = request.header('i-twilio-idempotency-token');
    const dedupeKey =
      token && IDEMPOTENCY_TOKEN_RE.test(token) ? twilioIdempotencyKey(tenantId, token) : undefined;
    return deliverAll([event], dedupeKey);
  }

  async function handleMsg91(request: WebhookRequest): Promise<WebhookAnswer> {
    if (!options.msg91Secret) return answer(404, 'not found');
    let events: SmsStatusEvent[];
    try {
      events = await parseMsg91DeliveryReport(request.toFetchRequest(), { secret: options.msg91Secret, now });
    } catch (err) {
      const e = isSmsError(err) ? err : malformedWebhook('msg91', 'MSG91 delivery report could not be read');
      // The URL holds the secret: never log it.
      log?.warn({ provider: 'msg91', code: e.code, reason: e.message }, 'delivery report rejected');
      return rejection(e);
    }
    // The platform's MSG91 account: keyed apart from every tenant (tenant scope '').
    return deliverAll(events);
  }

  // The handler without Fetch objects: `toNodeListener` calls it directly (webhook-request.ts).
  const core = async (request: WebhookRequest): Promise<WebhookAnswer> => {
    let url: URL;
    try {
      url = request.parsedUrl ?? new URL(request.url);
    } catch {
      return answer(400, 'bad request');
    }
    const r = route(url);
    if (!r) return answer(404, 'not found');
    if (request.method !== 'POST') return answer(405, 'method not allowed', 'POST');
    try {
      return r.kind === 'twilio' ? await handleTwilio(request, url, r) : await handleMsg91(request);
    } catch (err) {
      log?.error({ provider: r.kind, err: sanitizeCause(err) }, 'status webhook failed');
      return answer(500, 'internal error');
    }
  };
  const handler = async (request: Request): Promise<Response> =>
    toFetchResponse(await core(fromFetchRequest(request)));
  return Object.assign(handler, {
    invalidate: (tenantId: string) => auths.invalidate(tenantId),
    clear: () => auths.clear(),
    [WEBHOOK_CORE]: core,
  });
}
