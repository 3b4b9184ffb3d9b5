// Figure (behind `--growth`): heap per cached tenant with 1 000, 10 000 and 100 000 cached tenants (`maxTenants` raised
// to each), resolved only. Each size runs in its own `node --expose-gc` child (heap-child.mjs resolve-only: heapUsed
// after gc, minus the same resolver empty), so the sizes do not share a heap.
import { fileURLToPath } from 'node:url';
import { figure, median, num, timeChild, times } from './harness.mjs';

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 60;

const TARGET = 1.2;
const CHILD = fileURLToPath(new URL('./heap-child.mjs', import.meta.url));

/** Bytes per cached tenant with `tenants` resolved: the median of `runs` children. */
async function bytesPerTenant(tenants, runs) {
  const out = [];
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
    out.push(((report.resolved - report.empty) * 2 ** 20) / tenants);
  }
  return median(out);
}

export async function run({ quick = false } = {}) {
  const sizes = quick ? [100, 1_000] : [1_000, 10_000, 100_000];
  const per = [];
  for (const n of sizes) per.push(await bytesPerTenant(n, quick || n >= 100_000 ? 1 : 3));
  const first = per[0];
  const worst = Math.max(...per.map((b) => b / first), ...per.map((b) => first / b));
  const label = (n) => n.toLocaleString('en');
  return [
    figure({
      id: 'heap-growth',
      figure: `heap per cached tenant, ${sizes.map(label).join(' / ')} cached tenants (resolved, maxTenants raised to each)`,
      value: per.map((b) => `${num(b, 0)} B`).join(' / '),
      baseline: `${label(sizes[0])} tenants: ${num(first, 0)} B per tenant`,
      ratio: `${per.map((b) => times(b / first)).join(' / ')}`,
      target: `each size within ${TARGET}× of ${label(sizes[0])}`,
      pass: quick ? null : worst <= TARGET,
      note: `--expose-gc child per size, heapUsed after gc minus the same resolver empty; median of 3 children (1 at 100 000)${quick ? '; quick run: no verdict' : ''}`,
      numbers: Object.fromEntries(sizes.map((n, i) => [`bytesPerTenant${n}`, per[i]])),
    }),
  ];
}
