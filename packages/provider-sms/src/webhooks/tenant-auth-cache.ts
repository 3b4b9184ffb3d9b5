import { BoundedLru } from '../lru.js';
import type { TwilioWebhookAuth } from './twilio-auth-store.js';

/** Options of `createTenantAuthCache`. */
export interface TenantAuthCacheOptions {
  /** Reads a tenant's auth; undefined = the tenant has no Twilio config. */
  load: (tenantId: string) => Promise<TwilioWebhookAuth | undefined>;
  /** How long a known tenant's auth is reused; 0 = never. */
  ttlMs: number;
  /** How long "no such tenant" is remembered; 0 = never. */
  unknownTtlMs: number;
  /** Least time between two re-reads of one tenant forced by a signature mismatch. */
  refreshIntervalMs: number;
}

/** Per-tenant cache of Twilio webhook auth: known and unknown tenants (separately bounded), one read at a time per tenant. */
export interface TenantAuthCache {
  /** The tenant's auth, and whether it came from the cache (false: this request read the store, or shared a read). */
  get(tenantId: string): Promise<{ auth: TwilioWebhookAuth | undefined; cached: boolean }>;
  /** Reads the tenant again (shared with a concurrent read) and caches the result. */
  read(tenantId: string): Promise<TwilioWebhookAuth | undefined>;
  /** Whether a signature mismatch may force a re-read now (once per tenant per refresh interval: else a forgery amplifier). */
  mayForceRead(tenantId: string): boolean;
  /** Gives back the forced-read budget (a genuine rotation does not use it up). */
  refundForcedRead(tenantId: string): void;
  /** Replaces a cached entry's auth (e.g. without its retired previous token), keeping its expiry. */
  update(tenantId: string, auth: TwilioWebhookAuth): void;
  /** Forgets a tenant (known or unknown) at once, also a read in flight: its config changed. */
  invalidate(tenantId: string): void;
  /** Forgets every tenant. */
  clear(): void;
}

/** Creates the tenant auth cache of the webhook handler. */
export function createTenantAuthCache(options: TenantAuthCacheOptions): TenantAuthCache {
  const known = new BoundedLru<string, { auth: TwilioWebhookAuth; expires: number }>(1_000);
  // Separate bound: a spray of made-up tenant ids cannot evict the known tenants.
  const unknown = new BoundedLru<string, number>(1_000);
  const reads = new Map<string, Promise<TwilioWebhookAuth | undefined>>();
  const owners = new Map<string, object>();
  const forcedReadAt = new BoundedLru<string, number>(1_000);
  const refresh = Math.max(0, options.refreshIntervalMs);

  function read(tenantId: string): Promise<TwilioWebhookAuth | undefined> {
    const shared = reads.get(tenantId);
    if (shared) return shared;
    // A token of this read: `invalidate` replaces the map entry, so a stale result is not cached.
    const mine = {};
    const pending = (async () => {
      await null; // the map holds `mine` before anything below runs
      try {
        const auth = await options.load(tenantId);
        // Invalidated meanwhile: answer this request, cache nothing (the result may predate the change).
        if (owners.get(tenantId) !== mine) return auth;
        known.delete(tenantId);
        unknown.delete(tenantId);
        if (auth && options.ttlMs > 0) known.set(tenantId, { auth, expires: Date.now() + options.ttlMs });
        if (!auth && options.unknownTtlMs > 0) unknown.set(tenantId, Date.now() + options.unknownTtlMs);
        return auth;
      } finally {
        if (owners.get(tenantId) === mine) {
          reads.delete(tenantId);
          owners.delete(tenantId);
        }
      }
    })();
    reads.set(tenantId, pending);
    owners.set(tenantId, mine);
    return pending;
  }

  return {
    async get(tenantId) {
      const t = Date.now();
      const entry = known.get(tenantId);
      if (entry && entry.expires > t) return { auth: entry.auth, cached: true };
      const unknownUntil = unknown.get(tenantId);
      if (unknownUntil !== undefined && unknownUntil > t) return { auth: undefined, cached: true };
      return { auth: await read(tenantId), cached: false };
    },
    read,
    mayForceRead(tenantId) {
      const t = Date.now();
      const last = forcedReadAt.get(tenantId);
      if (last !== undefined && t - last < refresh) return false;
      forcedReadAt.set(tenantId, t);
      return true;
    },
    refundForcedRead(tenantId) {
      forcedReadAt.delete(tenantId);
    },
    update(tenantId, auth) {
      const entry = known.get(tenantId);
      if (entry) known.set(tenantId, { auth, expires: entry.expires });
    },
    invalidate(tenantId) {
      known.delete(tenantId);
      unknown.delete(tenantId);
      reads.delete(tenantId);
      owners.delete(tenantId);
    },
    clear() {
      known.clear();
      unknown.clear();
      reads.clear();
      owners.clear();
    },
  };
}
