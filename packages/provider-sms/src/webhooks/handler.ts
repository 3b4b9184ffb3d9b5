/**
 * Delivery-status webhooks as one Fetch API handler, `(request: Request) => Promise<Response>`.
 *
 * Routes (matched on the end of the path, so the handler can be mounted under any prefix):
 * - `POST …/twilio/:tenantId`: a Twilio status callback of that tenant. Point the resolver's
 *   `statusCallbackBaseUrl` at `<publicBaseUrl>/twilio`.
 * - `POST …/msg91/:secret` or `POST …/msg91?secret=…`: an MSG91 delivery report (v2 or v3).
 *
 * Answers: 200 handled (also for a duplicate or a stale status), 400 malformed, 403 bad
 * signature / AccountSid / secret, 404 unknown route or tenant, 405 not a POST, 500 `onEvent`
 * threw or the config store failed (the provider retries; the event is not marked seen).
 *
 * Adapters (one line each):
 * - node:http: `http.createServer(toNodeListener(handler))`
 * - Express: `app.post('/hooks/sms/*', toNodeListener(handler))` (mount before any body parser)
 * - Fastify: `app.post('/hooks/sms/*', async (req, reply) => { reply.hijack(); toNodeListener(handler)(req.raw, reply.raw); })`
 *   (register a content-type parser that leaves the body alone, e.g. `app.removeAllContentTypeParsers()` in that scope)
 * - Hono / Bun / Deno / workers: `app.post('/hooks/sms/*', (c) => handler(c.req.raw))`
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigCipher } from '../config/cipher.js';
import type { SmsConfigStore } from '../config/store.js';
import { decodeTwilioConfig } from '../config/twilio-config.js';
import { isSmsError, type SmsError, sanitizeCause } from '../errors.js';
import { BoundedLru } from '../lru.js';
import { assertTenantId } from '../tenant-id.js';
import type { Logger, SmsStatus } from '../types.js';
import { parseMsg91DeliveryReport } from './msg91-report.js';
import {
  isStatusAdvance,
  malformedWebhook,
  type SmsStatusEvent,
  statusEventKey,
  statusMessageKey,
} from './status.js';
import { readFormBody, twilioStatusEventFromForm } from './twilio-status.js';

/** What the handler needs of a tenant's Twilio config to verify its callbacks. */
export interface TwilioWebhookAuth {
  accountSid: string;
  authToken: string;
}

/** Options of `createStatusWebhookHandler`. */
export interface StatusWebhookHandlerOptions {
  /** Receives each new event once; throwing (or rejecting) answers 500 so the provider retries. */
  onEvent(event: SmsStatusEvent): void | Promise<void>;
  /** Tenant configs (`notification_providers`); with `cipher`, the source of each tenant's Twilio token. */
  store?: SmsConfigStore;
  /** Decrypts the tenant config rows of `store`. */
  cipher?: ConfigCipher;
  /** Alternative to store + cipher: a tenant's Twilio account and token, or undefined when it has none (404). */
  loadTwilioAuth?: (tenantId: string) => Promise<TwilioWebhookAuth | undefined>;
  /** Shared secret of the MSG91 route; without it `…/msg91` answers 404. */
  msg91Secret?: string;
  /** Public URL the routes hang off when behind a proxy (e.g. 'https://hooks.example.com/sms'); default: the request URL. */
  publicBaseUrl?: string;
  /** Shared duplicate check across replicas, asked after the in-memory one misses; true → the event is dropped. */
  isDuplicate?: (key: string) => boolean | Promise<boolean>;
  /** Called when `onEvent` failed for a key `isDuplicate` was asked about, so a check-and-set store can release it. */
  forgetKey?: (key: string) => void | Promise<void>;
  /** Bound of the in-memory memory of seen events and of last statuses; default 10 000. */
  seenCapacity?: number;
  /** How long a tenant's decrypted Twilio auth is reused; default 60 000 ms (a signature mismatch may re-read it, see `authRefreshIntervalMs`). 0 = never. */
  authCacheTtlMs?: number;
  /** Least time between two re-reads of one tenant's config forced by a signature mismatch (others get 403 from the cached token); default 5 000 ms. */
  authRefreshIntervalMs?: number;
  logger?: Logger;
  /** Clock for event times; default `() => new Date()`. */
  now?: () => Date;
}

/** A Fetch API `Request → Response` handler. */
export type StatusWebhookHandler = (request: Request) => Promise<Response>;

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });

const httpStatusOf = (err: SmsError): number => (err.httpStatus === 403 ? 403 : 400);

interface Route {
  kind: 'twilio' | 'msg91';
  /** Tenant id (Twilio), decoded. */
  tenantId?: string;
  /** The route part of the path as received (e.g. '/twilio/tenant%201'), for `publicBaseUrl`. */
  tail: string;
}

function route(url: URL): Route | undefined {
  const segments = url.pathname.split('/');
  const n = segments.length;
  if (segments[n - 1] === '') segments.pop(); // trailing slash
  const last = segments[segments.length - 1];
  const before = segments[segments.length - 2];
  if (before === 'twilio' && last) {
    try {
      return { kind: 'twilio', tenantId: assertTenantId(decodeURIComponent(last)), tail: `/twilio/${last}` };
    } catch {
      return undefined;
    }
  }
  if (before === 'msg91' && last) return { kind: 'msg91', tail: `/msg91/${last}` };
  if (last === 'msg91') return { kind: 'msg91', tail: '/msg91' };
  return undefined;
}

/** Loads a tenant's Twilio account SID and token from the config store, decrypting the row (AAD tenant+channel+provider). */
export function twilioAuthFromStore(store: SmsConfigStore, cipher: ConfigCipher) {
  return async (tenantId: string): Promise<TwilioWebhookAuth | undefined> => {
    const row = await store.get({ tenantId, provider: 'twilio', channel: 'sms' });
    if (!row) return undefined;
    const decoded = decodeTwilioConfig(row, cipher);
    if (!decoded.ok) throw decoded.error;
    return { accountSid: decoded.config.accountSid, authToken: decoded.config.authToken };
  };
}

/** Creates the Fetch API delivery-status webhook handler: verifies, normalizes, de-duplicates and passes events to `onEvent`. */
export function createStatusWebhookHandler(options: StatusWebhookHandlerOptions): StatusWebhookHandler {
  const capacity = options.seenCapacity ?? 10_000;
  const seen = new BoundedLru<string, true>(capacity);
  const latest = new BoundedLru<string, SmsStatus>(capacity);
  const inFlight = new Map<string, Promise<boolean>>();
  const ttl = options.authCacheTtlMs ?? 60_000;
  const authCache = new BoundedLru<string, { auth: TwilioWebhookAuth; expires: number }>(1_000);
  const log = options.logger;
  const now = options.now ?? (() => new Date());
  const loadAuth =
    options.loadTwilioAuth ??
    (options.store && options.cipher ? twilioAuthFromStore(options.store, options.cipher) : undefined);

  const authReads = new Map<string, Promise<TwilioWebhookAuth | undefined>>();
  const refreshInterval = Math.max(0, options.authRefreshIntervalMs ?? 5_000);
  const forcedReadAt = new BoundedLru<string, number>(1_000);

  // Reads a tenant's auth from the store and caches it; concurrent callers share one read.
  function readAuth(tenantId: string): Promise<TwilioWebhookAuth | undefined> {
    let pending = authReads.get(tenantId);
    if (!pending) {
      pending = (async () => {
        try {
          const auth = loadAuth ? await loadAuth(tenantId) : undefined;
          if (auth && ttl > 0) authCache.set(tenantId, { auth, expires: Date.now() + ttl });
          else authCache.delete(tenantId);
          return auth;
        } finally {
          authReads.delete(tenantId);
        }
      })();
      authReads.set(tenantId, pending);
    }
    return pending;
  }

  // The tenant's auth, and whether it came from the cache (false: this request read the store, or shared a read).
  async function getAuth(
    tenantId: string,
  ): Promise<{ auth: TwilioWebhookAuth | undefined; cached: boolean }> {
    const entry = authCache.get(tenantId);
    if (entry && entry.expires > Date.now()) return { auth: entry.auth, cached: true };
    return { auth: await readAuth(tenantId), cached: false };
  }

  // A signature mismatch may force a store re-read once per tenant per refreshInterval (else a forgery amplifier).
  function mayForceRead(tenantId: string): boolean {
    const t = Date.now();
    const last = forcedReadAt.get(tenantId);
    if (last !== undefined && t - last < refreshInterval) return false;
    forcedReadAt.set(tenantId, t);
    return true;
  }

  // True (and logged) when `event` does not advance its message's last status: it is not passed on.
  function isStale(event: SmsStatusEvent, messageKey: string): boolean {
    const current = latest.get(messageKey);
    if (isStatusAdvance(current, event.status)) return false;
    log?.debug(
      { provider: event.provider, messageId: event.messageId, status: event.status, latest: current },
      'stale delivery status ignored',
    );
    return true;
  }

  // true → onEvent ran (or the event was a duplicate / stale); false → onEvent failed.
  async function deliver(event: SmsStatusEvent): Promise<boolean> {
    const key = statusEventKey(event);
    if (seen.has(key)) return true;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const messageKey = statusMessageKey(event);
    if (isStale(event, messageKey)) return true;
    const run = (async () => {
      let askedShared = false;
      let reserved = false;
      let previous: SmsStatus | undefined;
      try {
        if (options.isDuplicate) {
          askedShared = true;
          if (await options.isDuplicate(key)) {
            seen.set(key, true);
            return true;
          }
          // A higher status of this message may have been passed on while the shared store answered.
          if (isStale(event, messageKey)) return true;
        }
        // Reserve (no await since the check above): a concurrent lower status is stale from here on.
        previous = latest.get(messageKey);
        latest.set(messageKey, event.status);
        reserved = true;
        await options.onEvent(event);
        seen.set(key, true);
        return true;
      } catch (err) {
        // Roll back only our own reservation (a higher status may have replaced it meanwhile).
        if (reserved && latest.get(messageKey) === event.status) {
          if (previous === undefined) latest.delete(messageKey);
          else latest.set(messageKey, previous);
        }
        log?.error(
          {
            provider: event.provider,
            messageId: event.messageId,
            status: event.status,
            err: sanitizeCause(err),
          },
          'delivery status handler failed',
        );
        if (askedShared && options.forgetKey)
          await Promise.resolve(options.forgetKey(key)).catch(() => undefined);
        return false;
      } finally {
        inFlight.delete(key);
      }
    })();
    inFlight.set(key, run);
    return run;
  }

  async function deliverAll(events: SmsStatusEvent[]): Promise<Response> {
    let ok = true;
    // In order, so a batch's later statuses of one message rank against its earlier ones.
    for (const e of events) if (!(await deliver(e))) ok = false;
    return ok ? text(200, 'OK') : text(500, 'event handler failed');
  }

  function publicUrl(url: URL, r: Route): string {
    if (!options.publicBaseUrl) return url.href;
    return options.publicBaseUrl.replace(/\/+$/, '') + r.tail + url.search;
  }

  async function handleTwilio(request: Request, url: URL, r: Route): Promise<Response> {
    const tenantId = r.tenantId!;
    const signature = request.headers.get('x-twilio-signature');
    if (!signature) return text(403, 'missing signature');
    if (!loadAuth) return text(404, 'not found');
    let auth: TwilioWebhookAuth | undefined;
    let cached: boolean;
    try {
      ({ auth, cached } = await getAuth(tenantId));
    } catch (err) {
      log?.error(
        { provider: 'twilio', tenantId, err: sanitizeCause(err) },
        'cannot load tenant Twilio config',
      );
      return text(500, 'tenant config unavailable');
    }
    if (!auth) return text(404, 'not found');
    const params = await readFormBody(request);
    if (!params) return text(400, 'expected application/x-www-form-urlencoded');
    const target = publicUrl(url, r);
    const parse = (a: TwilioWebhookAuth) =>
      twilioStatusEventFromForm(params, signature, {
        authToken: a.authToken,
        expectedAccountSid: a.accountSid,
        url: target,
        now,
      });
    let event: SmsStatusEvent;
    try {
      event = parse(auth);
    } catch (err) {
      if (!isSmsError(err)) throw err;
      let final: SmsError = err;
      if (err.httpStatus === 403 && cached && mayForceRead(tenantId)) {
        // The cached token may be an old one (rotated): read the config again, throttled per tenant.
        try {
          const fresh = await readAuth(tenantId);
          if (!fresh) return text(404, 'not found');
          if (fresh.authToken !== auth.authToken || fresh.accountSid !== auth.accountSid) {
            try {
              event = parse(fresh);
              forcedReadAt.delete(tenantId); // a genuine rotation does not use up the budget
              event.tenantId = tenantId;
              return deliverAll([event]);
            } catch (again) {
              if (!isSmsError(again)) throw again;
              final = again;
            }
          }
        } catch (loadErr) {
          log?.error(
            { provider: 'twilio', tenantId, err: sanitizeCause(loadErr) },
            'cannot load tenant Twilio config',
          );
          return text(500, 'tenant config unavailable');
        }
      }
      log?.warn(
        { provider: 'twilio', tenantId, code: final.code, reason: final.message },
        'status callback rejected',
      );
      return text(httpStatusOf(final), httpStatusOf(final) === 403 ? 'forbidden' : 'bad request');
    }
    event.tenantId = tenantId;
    return deliverAll([event]);
  }

  async function handleMsg91(request: Request): Promise<Response> {
    if (!options.msg91Secret) return text(404, 'not found');
    let events: SmsStatusEvent[];
    try {
      events = await parseMsg91DeliveryReport(request, { secret: options.msg91Secret, now });
    } catch (err) {
      const e = isSmsError(err) ? err : malformedWebhook('msg91', 'MSG91 delivery report could not be read');
      // The URL holds the secret: never log it.
      log?.warn({ provider: 'msg91', code: e.code, reason: e.message }, 'delivery report rejected');
      return text(httpStatusOf(e), httpStatusOf(e) === 403 ? 'forbidden' : 'bad request');
    }
    return deliverAll(events);
  }

  return async (request: Request): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return text(400, 'bad request');
    }
    const r = route(url);
    if (!r) return text(404, 'not found');
    if (request.method !== 'POST') return text(405, 'method not allowed', { allow: 'POST' });
    try {
      return r.kind === 'twilio' ? await handleTwilio(request, url, r) : await handleMsg91(request);
    } catch (err) {
      log?.error({ provider: r.kind, err: sanitizeCause(err) }, 'status webhook failed');
      return text(500, 'internal error');
    }
  };
}

/** Options of `toNodeListener`. */
export interface NodeListenerOptions {
  /** Largest accepted body; default 1 MiB (413 beyond). */
  maxBodyBytes?: number;
}

type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

function readBody(req: NodeRequest, limit: number): Promise<Buffer | 'too_large'> {
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body.length > limit ? 'too_large' : req.body);
  if (typeof req.body === 'string') return Promise.resolve(Buffer.from(req.body));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve('too_large');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Adapts a Fetch API handler to a node:http (and Express) listener: `http.createServer(toNodeListener(handler))`. */
export function toNodeListener(
  handler: StatusWebhookHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  return (req, res) => {
    void (async () => {
      const nodeReq = req as NodeRequest;
      const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
      const url = `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${nodeReq.originalUrl ?? req.url ?? '/'}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v !== undefined) headers.set(k, v);
      }
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(nodeReq, limit);
      if (body === 'too_large') {
        res
          .writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
          .end('payload too large');
        return;
      }
      const response = await handler(new Request(url, { method, headers, ...(body ? { body } : {}) }));
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        out[k] = v;
      });
      res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error');
    });
  };
}
