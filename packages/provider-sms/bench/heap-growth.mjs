// Figure (behind `--growth`): heap per cached tenant with 1 000, 10 000 and 100 000 cached tenants (`maxTenants` raised
// to each), resolved only. Each size runs in its own `node --expose-gc` child (heap-child.mjs resolve-only: heapUsed
// after gc, minus the same resolver empty), so the sizes do not share a heap.
import { fileURLToPath } from 'node:url';
import { figure, median, num, timeChild, times } from './harness.mjs';

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 40;

const TARGET = 1.2;
const CHILD = fileURLToPath(new URL('./heap-child.mjs', import.meta.url));

/** Bytes per cached tenant with `tenants` resolved, median of `runs` children: `{ marginal, average }`. */
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
  const m = per.map((p) => p.marginal);
  // Growth is what the figure is about: no larger size may cost more per tenant than TARGET × the smallest's.
  const worst = Math.max(...m.map((b) => b / m[0]));
  const label = (n) => n.toLocaleString('en');
  const bytes = (xs) => xs.map((b) => `${num(b, 0)} B`).join(' / ');
  return [
    figure({
      id: 'heap-growth',
      figure: `heap per cached tenant (marginal: the second half's growth), ${sizes.map(label).join(' / ')} cached tenants, maxTenants raised to each`,
      value: bytes(m),
      baseline: `${label(sizes[0])} tenants: ${num(m[0], 0)} B per tenant`,
      ratio: m.map((b) => times(b / m[0])).join(' / '),
      target: `no growth: each ≤ ${TARGET}× the ${label(sizes[0])} figure`,
      pass: quick ? null : worst <= TARGET,
      note: `--expose-gc child per size, heapUsed after gc at N/2 and N tenants (resolved, no send; 2 000 other tenants resolved and cleared before the empty baseline); average over all N: ${bytes(per.map((p) => p.average))}; median of 3 children (1 at 100 000)${quick ? '; quick run: no verdict' : ''}`,
      numbers: Object.fromEntries(sizes.map((n, i) => [`bytesPerTenant${n}`, m[i]])),
    }),
  ];
}
