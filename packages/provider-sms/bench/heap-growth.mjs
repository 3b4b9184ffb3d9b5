// Figure (behind `--growth`): heap per cached tenant with 1 000, 10 000 and 100 000 cached tenants (`maxTenants` raised
// to each), resolved only. Each size runs in its own `node --expose-gc` child (heap-child.mjs resolve-only: heapUsed
// after gc, minus the same resolver empty), so the sizes do not share a heap.
import { fileURLToPath } from 'node:url';
import { figure, median, num, timeChild, times } from './harness.mjs';

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 40;

const TARGET = 1.2;
const CHILD = fileURLToPath(new URL('./heap-child.mjs', import.meta.url));

/** Bytes per cached tenant with `tenants` resolved, median of `runs` children: `{ average, marginal }` (N/2 → N). */
async function bytesPerTenant(tenants, runs) {
  const marginal = [];
  const average = [];
  for (let i = 0; i < runs; i++) {
    const { report } = await timeChild(
      [
        '--expose-gc',
        CHILD,
        'http://127.0.0.1:9',
        `AC${'a'.repeat(32)}`,
        'b'.repeat(32),
        String(tenants),
        'resolve-only',
      ],
      { timeoutMs: 600_000 },
    );
    const second = tenants - (tenants >> 1);
    marginal.push(((report.resolved - report.half) * 2 ** 20) / second);
    average.push(((report.resolved - report.empty) * 2 ** 20) / tenants);
  }
  return { marginal: median(marginal), average: median(average) };
}

export async function run({ quick = false } = {}) {
  const sizes = quick ? [200, 2_000] : [1_000, 10_000, 100_000];
  const per = [];
  for (const n of sizes) per.push(await bytesPerTenant(n, quick || n >= 100_000 ? 1 : 3));
  // Per tenant: (heap at N − heap of the same resolver empty) / N, the empty baseline taken after the resolve path ran.
  const avg = per.map((p) => p.average);
  const worst = Math.max(...avg) / Math.min(...avg);
  const label = (n) => n.toLocaleString('en');
  const bytes = (xs) => xs.map((b) => `${num(b, 0)} B`).join(' / ');
  return [
    figure({
      id: 'heap-growth',
      figure: `heap per cached tenant, ${sizes.map(label).join(' / ')} cached tenants (resolved, maxTenants raised to each)`,
      value: bytes(avg),
      baseline: `${label(sizes[0])} tenants: ${num(avg[0], 0)} B per tenant`,
      ratio: `${avg.map((b) => times(b / avg[0])).join(' / ')}; largest / smallest ${times(worst)}`,
      target: `flat: largest / smallest ≤ ${TARGET}×`,
      pass: quick ? null : worst <= TARGET,
      note: `--expose-gc child per size, heapUsed after gc minus the same resolver empty (2 000 other tenants resolved and cleared before that baseline, so optimized code is not counted as tenants), no send; the second half's growth alone (N/2 → N): ${bytes(per.map((p) => p.marginal))}; median of 3 children (1 at 100 000)${quick ? '; quick run: no verdict' : ''}`,
      numbers: Object.fromEntries(sizes.map((n, i) => [`bytesPerTenant${n}`, avg[i]])),
    }),
  ];
}
