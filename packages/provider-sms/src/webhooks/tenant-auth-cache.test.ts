import { describe, expect, it, vi } from 'vitest';
import { createTenantAuthCache } from './tenant-auth-cache.js';
import type { TwilioWebhookAuth } from './twilio-auth-store.js';

const OLD: TwilioWebhookAuth = { accountSid: `AC${'1'.repeat(32)}`, authToken: 'old-token-0001' };
const NEW: TwilioWebhookAuth = { accountSid: `AC${'1'.repeat(32)}`, authToken: 'new-token-0002' };

describe('createTenantAuthCache', () => {
  it('shares one read between concurrent callers and caches known and unknown tenants', async () => {
    const load = vi.fn(async (t: string) => (t === 'known' ? OLD : undefined));
    const cache = createTenantAuthCache({
      load,
      ttlMs: 600_000,
      unknownTtlMs: 600_000,
      refreshIntervalMs: 0,
    });
    const [a, b] = await Promise.all([cache.get('known'), cache.get('known')]);
    expect([a.auth, b.auth, a.cached]).toEqual([OLD, OLD, false]);
    expect(await cache.get('known')).toEqual({ auth: OLD, cached: true });
    await cache.get('nobody');
    expect(await cache.get('nobody')).toEqual({ auth: undefined, cached: true });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not cache a read that was in flight when the tenant was invalidated', async () => {
    let current = OLD;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = vi.fn(async () => {
      const seen = current;
      if (load.mock.calls.length === 1) await gate;
      return seen;
    });
    const cache = createTenantAuthCache({ load, ttlMs: 600_000, unknownTtlMs: 0, refreshIntervalMs: 0 });
    const first = cache.get('t');
    await Promise.resolve();
    current = NEW;
    cache.invalidate('t'); // the config changed while the first read was under way
    release();
    expect((await first).auth).toBe(OLD);
    expect((await cache.get('t')).auth).toBe(NEW);
  });
});
