import { checkCallbackUrl } from './callback-url.js';
import type { ConfigCipher } from './config/cipher.js';
import type { TwilioConfig } from './config/schemas.js';
import type { SmsConfigStore, StoredProviderConfig } from './config/store.js';
import { decodeTwilioConfig } from './config/twilio-config.js';
import { checkDurationMs } from './duration.js';
import { isSmsError, SmsError, sanitizeCause } from './errors.js';
import { parseTransportOptions } from './http.js';
import { BoundedLru } from './lru.js';
import { DEFAULT_TWILIO_API_BASE_URL } from './providers/twilio-http-client.js';
import { assertTenantId } from './tenant-id.js';
import type { Logger, ProviderOptions, SmsProvider } from './types.js';

/** Why the platform default was chosen for a tenant (checked in this order). */
export type SmsFallbackReason =
  | 'no_tenant_config'
  | 'tenant_config_disabled'
  | 'tenant_config_unverified'
  | 'tenant_config_undecryptable'
  | 'tenant_config_invalid';

/** Whose account sends: the tenant's Twilio, or the platform's MSG91. */
export type SmsProviderSource = 'tenant' | 'platform-default';

/** What `resolve()` returns; `reason` only for the platform default. */
export interface SmsProviderResolution {
  readonly provider: SmsProvider;
  readonly source: SmsProviderSource;
  readonly reason?: SmsFallbackReason;
}

/** Builds a tenant's Twilio provider (default: `new TwilioProvider(config, options)`, loaded on first use). */
export type TwilioProviderFactory = (
  config: TwilioConfig,
  options: ProviderOptions,
) => SmsProvider | Promise<SmsProvider>;

/** Options of `createSmsProviderResolver` (docs/design.md §4). */
export interface SmsProviderResolverOptions {
  store: SmsConfigStore;
  cipher: ConfigCipher;
  /** Normally `createPlatformDefaultFromEnv(process.env)` (MSG91). */
  platformDefault: SmsProvider;
  /** Bound on staleness; default 60 000. */
  cacheTtlMs?: number;
  /** LRU bound; default 10 000. */
  maxTenants?: number;
  /** Options of tenant TwilioProviders (timeouts, apiBaseUrl for emulators). */
  twilioOptions?: ProviderOptions;
  /** How long past its TTL a cached entry may be served while the store is down; default 900 000. */
  staleIfErrorMs?: number;
  /** How long one store read may take before it counts as a store outage (stale-if-error applies); default 5 000. */
  storeTimeoutMs?: number;
  /** Tenant providers get `statusCallbackUrl = base + '/' + encodeURIComponent(tenantId)`; an absolute http(s) URL without query, fragment or credentials. */
  statusCallbackBaseUrl?: string;
  logger?: Logger;
  /** @internal Tests and advanced wiring: how tenant Twilio providers are built. */
  createTwilioProvider?: TwilioProviderFactory;
  /** @internal Clock for tests. */
  now?: () => number;
}

/** Picks a tenant's SMS provider: its verified Twilio config, else the platform default. */
export interface SmsProviderResolver {
  /** Resolves the provider for a tenant; rejects `provider_unavailable` when the store is down and nothing is cached. */
  resolve(tenantId: string): Promise<SmsProviderResolution>;
  /** Drops a tenant's cached entry (an in-flight load for it will not repopulate the cache). */
  invalidate(tenantId: string): void;
  /**
   * Marks every cached entry expired but keeps it for stale-if-error (a healthy store refreshes it, an outage
   * serves it up to `staleIfErrorMs`); loads already in flight cache their result expired too. Invalidated
   * entries stay unservable. For a lost LISTEN connection, where notifications may have been missed.
   */
  expireAll(): void;
  /** Drops every cached entry. */
  clear(): void;
  /** Number of cached tenants. */
  readonly size: number;
}

// The provider module, imported once: a dynamic import() of a loaded module still goes through the ESM loader's
// job lookup on every call (≈ 5 % of a cold resolve's CPU in the bench profile). A failed import is retried next time.
let twilioModule: Promise<typeof import('./providers/twilio.js')> | undefined;

/** The default `TwilioProviderFactory`: imports `TwilioProvider` on first use. */
export const defaultTwilioProviderFactory: TwilioProviderFactory = async (config, options) => {
  twilioModule ??= import('./providers/twilio.js').catch((err: unknown) => {
    twilioModule = undefined;
    throw err;
  });
  const { TwilioProvider } = await twilioModule;
  return new TwilioProvider(config, options);
};

/** `base + '/' + encodeURIComponent(tenantId)`, without a doubled slash. */
export function tenantStatusCallbackUrl(base: string, tenantId: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(assertTenantId(tenantId))}`;
}

interface TenantProviderSlot {
  /** Row id + config_version: a removed and re-created row never reuses an old instance. */
  key: string;
  provider: SmsProvider;
  /** The envelope it was built from: the same envelope under the same cipher decrypts to the same config. */
  envelope: string;
  /** The resolution handed out for it (reused, not rebuilt). */
  result: SmsProviderResolution;
}

interface CacheEntry {
  /** Undefined once invalidated (the provider slot is kept for reuse). */
  result: SmsProviderResolution | undefined;
  /** Fresh until then (0 once expired by `expireAll` or `invalidate`). */
  expiresAt: number;
  /** Servable during a store outage until then: the TTL it was loaded with + `staleIfErrorMs`. */
  staleUntil: number;
  tenant: TenantProviderSlot | undefined;
}

interface Flight {
  cancelled: boolean;
  /** The resolver's `expireAll` generation when the load started: an older one caches its result expired. */
  generation: number;
  promise: Promise<SmsProviderResolution>;
}

const nonNegative = (name: string, v: number | undefined, dflt: number, min = 0): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new SmsError({ code: 'invalid_config', message: `${name} must be a number ≥ ${min}` });
  }
  return v;
};

/** `promise`, or a `timeout` rejection after `ms` (the timer is always cleared; a late result is ignored). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SmsError({
            code: 'timeout',
            message: `The SMS config store did not answer within ${ms} ms`,
            outcome: 'not_sent',
          }),
        ),
      ms,
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * True when a provider factory rejected the tenant's config itself (`invalid_config` not about `options.…`):
 * the tenant falls back. Anything else (bad options, a failed import, a bug) is the platform's problem.
 */
function isTenantConfigError(err: unknown): boolean {
  return isSmsError(err) && err.code === 'invalid_config' && !/\boptions\./.test(err.message);
}

/** Checks `twilioOptions` (apiBaseUrl, timeoutMs, statusCallbackUrl) once, so a bad option fails at startup, not as a tenant fallback. */
function checkTwilioOptions(twilioOptions: ProviderOptions | undefined): void {
  if (twilioOptions === undefined) return;
  try {
    parseTransportOptions('twilio', twilioOptions, DEFAULT_TWILIO_API_BASE_URL);
    if (twilioOptions.statusCallbackUrl !== undefined) {
      checkCallbackUrl(twilioOptions.statusCallbackUrl, { option: 'options.statusCallbackUrl' });
    }
  } catch (err) {
    const message = isSmsError(err) ? err.message : 'Invalid options';
    throw new SmsError({
      code: 'invalid_config',
      provider: 'twilio',
      message: `createSmsProviderResolver: ${message.replace(/\boptions\b/g, 'twilioOptions')}`,
    });
  }
}

/** Creates the resolver of docs/design.md §4: LRU + TTL cache, single-flight per tenant, stale-if-error on store outages. */
export function createSmsProviderResolver(options: SmsProviderResolverOptions): SmsProviderResolver {
  const { store, cipher, platformDefault, logger } = options;
  if (!store || !cipher || !platformDefault) {
    throw new SmsError({
      code: 'invalid_config',
      message: 'createSmsProviderResolver needs store, cipher and platformDefault',
    });
  }
  const duration = (option: string, value: number | undefined, dflt: number, min = 0) =>
    checkDurationMs(value ?? dflt, { option, owner: 'createSmsProviderResolver', min });
  const ttl = duration('cacheTtlMs', options.cacheTtlMs, 60_000);
  const maxTenants = Math.floor(nonNegative('maxTenants', options.maxTenants, 10_000, 1));
  const staleIfErrorMs = duration('staleIfErrorMs', options.staleIfErrorMs, 900_000);
  const storeTimeoutMs = duration('storeTimeoutMs', options.storeTimeoutMs, 5_000, 1);
  checkTwilioOptions(options.twilioOptions);
  const statusCallbackBaseUrl =
    options.statusCallbackBaseUrl === undefined
      ? undefined
      : checkCallbackUrl(options.statusCallbackBaseUrl, {
          option: 'statusCallbackBaseUrl',
          owner: 'createSmsProviderResolver',
          provider: 'twilio',
          base: true,
        });
  const now = options.now ?? Date.now;
  const factory = options.createTwilioProvider ?? defaultTwilioProviderFactory;
  const baseTwilioOptions: ProviderOptions = { ...options.twilioOptions };
  if (logger && !baseTwilioOptions.logger) baseTwilioOptions.logger = logger;

  const cache = new BoundedLru<string, CacheEntry>(maxTenants);
  const inflight = new Map<string, Flight>();
  let generation = 0;
  const fallbacks = new Map<SmsFallbackReason, SmsProviderResolution>();
  const fallback = (reason: SmsFallbackReason): SmsProviderResolution => {
    let r = fallbacks.get(reason);
    if (!r) {
      r = Object.freeze({ provider: platformDefault, source: 'platform-default' as const, reason });
      fallbacks.set(reason, r);
    }
    return r;
  };

  const broken = (tenantId: string, row: StoredProviderConfig, reason: SmsFallbackReason, err: unknown) => {
    logger?.warn(
      {
        tenantId,
        reason,
        configVersion: row.configVersion,
        error: isSmsError(err) ? err.message : 'unusable tenant config',
      },
      'tenant SMS config is unusable; using the platform default',
    );
    return { result: fallback(reason), tenant: undefined };
  };

  const build = async (
    tenantId: string,
    row: StoredProviderConfig | undefined,
    previous: TenantProviderSlot | undefined,
  ): Promise<{ result: SmsProviderResolution; tenant: TenantProviderSlot | undefined }> => {
    if (!row) return { result: fallback('no_tenant_config'), tenant: undefined };
    if (!row.enabled) return { result: fallback('tenant_config_disabled'), tenant: previous };
    if (!row.verifiedAt) return { result: fallback('tenant_config_unverified'), tenant: undefined };
    const slotKey = `${row.id}:${row.configVersion}`;
    // Same row, version and ciphertext as the provider already built: nothing to decrypt or check again.
    if (previous?.key === slotKey && previous.envelope === row.config)
      return { result: previous.result, tenant: previous };
    const decoded = decodeTwilioConfig(row, cipher);
    if (!decoded.ok) {
      const reason =
        decoded.reason === 'undecryptable' ? 'tenant_config_undecryptable' : 'tenant_config_invalid';
      return broken(tenantId, row, reason, decoded.error);
    }
    if (previous?.key === slotKey) {
      const tenant = { ...previous, envelope: row.config };
      return { result: previous.result, tenant };
    }
    let provider: SmsProvider;
    try {
      const providerOptions: ProviderOptions = { ...baseTwilioOptions };
      if (statusCallbackBaseUrl) {
        providerOptions.statusCallbackUrl = tenantStatusCallbackUrl(statusCallbackBaseUrl, tenantId);
      }
      provider = await factory(decoded.config, providerOptions);
    } catch (err) {
      if (isTenantConfigError(err)) return broken(tenantId, row, 'tenant_config_invalid', err);
      // Not the tenant's fault: neither a fallback nor cached; the caller retries.
      const cause = sanitizeCause(err, [decoded.config.authToken]);
      logger?.error(
        { tenantId, configVersion: row.configVersion, error: cause?.message },
        'cannot build the tenant Twilio provider',
      );
      throw new SmsError({
        code: 'provider_unavailable',
        provider: 'twilio',
        message: `Cannot build the Twilio provider of tenant "${tenantId}"`,
        outcome: 'not_sent',
        retryable: true,
        cause,
      });
    }
    const result: SmsProviderResolution = Object.freeze({ provider, source: 'tenant' });
    return { result, tenant: { key: slotKey, provider, envelope: row.config, result } };
  };

  const load = (tenantId: string): Flight => {
    const flight: Flight = {
      cancelled: false,
      generation,
      promise: undefined as unknown as Promise<SmsProviderResolution>,
    };
    flight.promise = (async () => {
      let row: StoredProviderConfig | undefined;
      try {
        row = await withTimeout(store.get({ tenantId, provider: 'twilio', channel: 'sms' }), storeTimeoutMs);
      } catch (err) {
        const cached = cache.get(tenantId);
        if (!flight.cancelled && cached?.result && now() < cached.staleUntil) {
          logger?.warn(
            {
              tenantId,
              source: cached.result.source,
              error: isSmsError(err) ? err.code : (err as Error)?.name,
            },
            'SMS config store unavailable; serving the cached provider',
          );
          return cached.result;
        }
        throw new SmsError({
          code: 'provider_unavailable',
          message: `The SMS config store is unavailable: cannot tell which provider tenant "${tenantId}" uses`,
          outcome: 'not_sent',
          retryable: true,
          cause: err,
        });
      }
      const { result, tenant } = await build(tenantId, row, cache.get(tenantId)?.tenant);
      if (!flight.cancelled) {
        // Started before an expireAll(): it may have read a row whose change notification was missed.
        const fresh = now() + ttl;
        const expiresAt = flight.generation === generation ? fresh : 0;
        cache.set(tenantId, { result, expiresAt, staleUntil: fresh + staleIfErrorMs, tenant });
      }
      return result;
    })().finally(() => {
      if (inflight.get(tenantId) === flight) inflight.delete(tenantId);
    });
    return flight;
  };

  return {
    async resolve(tenantId) {
      // Only checked ids are ever cached, so a hit needs no check; anything else is checked before it is read.
      const entry = cache.get(tenantId);
      if (entry?.result && now() < entry.expiresAt) return entry.result;
      assertTenantId(tenantId);
      let flight = inflight.get(tenantId);
      if (!flight) {
        flight = load(tenantId);
        inflight.set(tenantId, flight);
      }
      return flight.promise;
    },
    invalidate(tenantId) {
      assertTenantId(tenantId);
      const entry = cache.get(tenantId);
      if (entry) {
        entry.result = undefined;
        entry.expiresAt = 0;
      }
      const flight = inflight.get(tenantId);
      if (flight) {
        flight.cancelled = true;
        inflight.delete(tenantId);
      }
    },
    expireAll() {
      generation++;
      for (const entry of cache.values()) entry.expiresAt = 0;
    },
    clear() {
      cache.clear();
      for (const f of inflight.values()) f.cancelled = true;
      inflight.clear();
    },
    get size() {
      return cache.size;
    },
  };
}
