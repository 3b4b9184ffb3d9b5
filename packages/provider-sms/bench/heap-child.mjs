// Runs inside `node --expose-gc` (started by heap.mjs): heap of a resolver holding N tenants vs an empty one.
// argv: <twilio emulator url> <accountSid> <authToken> <tenants> [resolve-only]. Prints 'R' + one JSON line of MB
// figures. With `resolve-only` (heap-growth.mjs) it sends nothing (no emulator needed): heap empty, at N/2 and at N tenants.
import {
  cipherOptions,
  generatedStore,
  TO,
  TWILIO_FROM,
  tenantId,
  unusedPlatformDefault,
} from './fixtures.mjs';
import { loadPackage } from './harness.mjs';

const [url, accountSid, authToken, n, mode] = process.argv.slice(2);
const resolveOnly = mode === 'resolve-only';
const N = Number(n);
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

const heapMb = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const { createSmsProviderResolver, createConfigCipher } = await loadPackage([
  'createSmsProviderResolver',
  'createConfigCipher',
]);
const cipher = createConfigCipher(cipherOptions());
const resolver = createSmsProviderResolver({
  store: generatedStore(cipher, { accountSid, authToken, fromNumber: TWILIO_FROM }),
  cipher,
  platformDefault: unusedPlatformDefault,
  maxTenants: N,
  cacheTtlMs: 3_600_000,
  twilioOptions: { apiBaseUrl: url },
});

/** Resolves tenants [from, to) (and sends once through each when `send`), 50 at a time. */
async function pass(from, to, send) {
  for (let i = from; i < to; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 50); j++) {
      batch.push(
        resolver.resolve(tenantId(j)).then(async (r) => {
          if (r.source !== 'tenant') throw new Error(`${tenantId(j)} resolved to ${r.source}`);
          if (send) await r.provider.send({ to: TO, body: 'Your code is 4821' });
        }),
      );
    }
    await Promise.all(batch);
  }
}

// Code (the lazily imported TwilioProvider, twilio SDK, phone metadata) is loaded before the empty baseline.
await pass(N * 10, N * 10 + 1, !resolveOnly);
// resolve-only: 2 000 more tenants first, so the resolve path's optimized code exists before the empty baseline
// (otherwise it lands inside a small N's measured half).
if (resolveOnly) await pass(N * 10 + 1, N * 10 + 2_001, false);
resolver.clear();
const empty = await heapMb();
if (resolveOnly) {
  // Half, then all: the second half's growth is the marginal cost of a tenant (code optimized while the first half
  // resolved, and other one-time costs, land in the first half).
  await pass(0, N >> 1, false);
  const half = await heapMb();
  await pass(N >> 1, N, false);
  const resolved = await heapMb();
  if (resolver.size !== N) throw new Error(`resolver holds ${resolver.size} tenants, expected ${N}`);
  process.stdout.write(`R${JSON.stringify({ empty, half, resolved })}\n`);
  process.exit(0);
}
await pass(0, N, false);
const resolved = await heapMb();
await pass(N, 2 * N, false); // LRU full: every new tenant evicts one
const resolvedTwice = await heapMb();
await pass(N, 2 * N, true); // the cached tenants each send once (their SDK clients now exist)
const sent = await heapMb();
await pass(2 * N, 3 * N, true); // new tenants, resolve + send, evicting the senders
const sentTwice = await heapMb();
if (resolver.size !== N) throw new Error(`resolver holds ${resolver.size} tenants, expected ${N}`);
process.stdout.write(`R${JSON.stringify({ empty, resolved, resolvedTwice, sent, sentTwice })}\n`);
