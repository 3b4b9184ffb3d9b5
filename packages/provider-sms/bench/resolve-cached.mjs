// Figure 5: cached `resolve()` vs `await Promise.resolve(map.get(k))`, per call. Each tinybench iteration
// awaits one call per tenant of a warm cache of 1 000 tenants, so the timer's own cost is amortised.
import { cipherOptions, generatedStore, tenantConfig, tenantId, unusedPlatformDefault } from './fixtures.mjs';
import { benchRounds, figure, loadPackage, median, num, pairRatios, times } from './harness.mjs';

const TENANTS = 1000;

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 6;

export async function run({ quick = false } = {}) {
  const { createSmsProviderResolver, createConfigCipher } = await loadPackage([
    'createSmsProviderResolver',
    'createConfigCipher',
  ]);
  const cipher = createConfigCipher(cipherOptions());
  const config = tenantConfig({ accountSid: `AC${'a'.repeat(32)}`, authToken: 'b'.repeat(32) });
  const resolver = createSmsProviderResolver({
    store: generatedStore(cipher, config),
    cipher,
    platformDefault: unusedPlatformDefault,
    cacheTtlMs: 3_600_000,
    twilioOptions: { apiBaseUrl: 'http://127.0.0.1:9' },
  });
  const ids = Array.from({ length: TENANTS }, (_, i) => tenantId(i));
  const map = new Map();
  for (const id of ids) {
    const r = await resolver.resolve(id);
    if (r.source !== 'tenant') throw new Error(`tenant ${id} resolved to ${r.source}`);
    map.set(id, r);
  }
  const opts = quick
    ? { rounds: 1, time: 20, warmupTime: 5, iterations: 2 }
    : { rounds: 5, time: 500, warmupTime: 100, iterations: 20 };
  const r = await benchRounds(
    {
      'resolve()': async () => {
        for (const id of ids) await resolver.resolve(id);
      },
      'map.get': async () => {
        for (const id of ids) await Promise.resolve(map.get(id));
      },
    },
    opts,
  );
  const perCall = (name) => r[name].mean.map((ms) => (ms * 1e6) / TENANTS); // ns
  const o = perCall('resolve()');
  const b = perCall('map.get');
  const ratio = median(pairRatios(o, b));
  return [
    figure({
      id: 'resolve-cached',
      figure: 'cached `resolve()`, per call',
      value: `${num(median(o))} ns`,
      baseline: `\`await Promise.resolve(map.get(k))\` ${num(median(b))} ns`,
      ratio: times(ratio),
      target: '≤ 3×',
      pass: ratio <= 3,
      note: `${TENANTS} cached tenants, ${opts.rounds} paired tinybench rounds`,
      numbers: { subjectNs: median(o), baselineNs: median(b), ratio },
    }),
  ];
}
