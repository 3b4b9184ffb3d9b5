// What the uncached-resolve figures share: tenant rows bulk-loaded into a migrated schema (real envelopes, verified),
// a resolver over them, and the paired loop that times the store read alone against a whole uncached resolve.
import { performance } from 'node:perf_hooks';
import { tenantConfig, tenantId, unusedPlatformDefault } from './fixtures.mjs';

/** The Twilio config every bench tenant stores (the resolver never sends with it). */
export const BENCH_TWILIO_CONFIG = tenantConfig({
  accountSid: `AC${'a'.repeat(32)}`,
  authToken: 'b'.repeat(32),
});

const BATCH = 5_000;

/**
 * Inserts `count` verified Twilio rows (tenants `tenantId(0 … count-1)`) into `schema`'s notification_providers, each
 * envelope encrypted for its own tenant, `BATCH` rows per INSERT … SELECT FROM unnest (one statement per batch), then
 * ANALYZE. Resolves the milliseconds it took.
 */
export async function seedTenants(db, schema, cipher, count) {
  const t = performance.now();
  const plaintext = JSON.stringify(BENCH_TWILIO_CONFIG);
  for (let from = 0; from < count; from += BATCH) {
    const ids = [];
    const tenants = [];
    const envelopes = [];
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      const tenant = tenantId(i);
      ids.push(globalThis.crypto.randomUUID());
      tenants.push(tenant);
      envelopes.push(cipher.encrypt(plaintext, { tenantId: tenant, channel: 'sms', provider: 'twilio' }));
    }
    await db.query(
      `INSERT INTO "${schema}".notification_providers (id, tenant_id, channel, provider, config, verified_at)
       SELECT u.id, u.tenant, 'sms', 'twilio', u.envelope, now()
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, tenant, envelope)`,
      [ids, tenants, envelopes],
    );
  }
  await db.query(`ANALYZE "${schema}".notification_providers`);
  return performance.now() - t;
}

/** A resolver over `store` (maxTenants as given) whose tenant providers point at a closed port. */
export function benchResolver(pkg, store, cipher, maxTenants) {
  return pkg.createSmsProviderResolver({
    store,
    cipher,
    platformDefault: unusedPlatformDefault,
    twilioOptions: { apiBaseUrl: 'http://127.0.0.1:9' },
    ...(maxTenants ? { maxTenants } : {}),
  });
}

/**
 * One timed uncached resolve of `id`: `clear()` first (cold: read, decrypt, schema check, provider built) or
 * `invalidate(id)` (what a change notification leaves: read, an unchanged row reuses its provider).
 */
export async function timedResolve(resolver, id, mode) {
  if (mode === 'cold') resolver.clear();
  else resolver.invalidate(id);
  const t = performance.now();
  const r = await resolver.resolve(id);
  const ms = performance.now() - t;
  if (r.source !== 'tenant') throw new Error(`${id} resolved to ${r.source} (${r.reason})`);
  return ms;
}

/** Times `fn()` once, in milliseconds. */
export async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
