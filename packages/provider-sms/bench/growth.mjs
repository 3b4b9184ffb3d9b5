// What the `--growth` figures on two tables share: the row comparing latencies on the big table with the small one
// (p99 ratio, p50 beside it), and dropping their schemas.
import { figure, median, num, percentile, times } from './harness.mjs';

/**
 * The row of a small-vs-big growth figure from latencies `{ small: number[], big: number[] }` (ms); `limit` is the
 * highest p99 ratio that passes (no verdict in a quick run).
 */
export function growthFigure({ id, figure: name, lat, labels, limit, quick, note }) {
  const p99 = { small: percentile(lat.small, 99), big: percentile(lat.big, 99) };
  const p50 = { small: median(lat.small), big: median(lat.big) };
  const ratio = p99.big / p99.small;
  return figure({
    id,
    figure: name,
    value: `p99 ${num(p99.big)} ms (p50 ${num(p50.big)} ms)`,
    baseline: `${labels.small}: p99 ${num(p99.small)} ms (p50 ${num(p50.small)} ms)`,
    ratio: `${times(ratio)} (p50 ${times(p50.big / p50.small)})`,
    target: `≤ ${limit}×`,
    pass: quick ? null : ratio <= limit,
    note: `${note}${quick ? '; quick run: no verdict' : ''}`,
    numbers: { bigP99Ms: p99.big, smallP99Ms: p99.small, bigP50Ms: p50.big, smallP50Ms: p50.small, ratio },
  });
}

/** Drops the bench schemas (errors ignored: the bench is ending anyway). */
export async function dropSchemas(db, schemas) {
  for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => {});
}
