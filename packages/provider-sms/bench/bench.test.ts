import { describe, expect, it } from 'vitest';
import { FIGURES, GROWTH_FIGURES, markdownTable, runFigures } from './run.mjs';

// Smoke of `pnpm bench` (needs `pnpm build`): one short iteration of each figure so the bench code cannot rot.
// It asserts only that every figure produced finite numbers — never a timing threshold (see BENCHMARKS.md).
describe('bench smoke (one short iteration of each figure)', () => {
  for (const id of [...Object.keys(FIGURES), ...Object.keys(GROWTH_FIGURES)]) {
    it(id, { timeout: 120_000 }, async () => {
      const rows = await runFigures([id], { quick: true });
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.id).toBe(id);
        expect(markdownTable([row])).toContain(row.figure);
        if (row.pass === null) continue; // skipped (e.g. no DATABASE_URL): says why in its note
        expect(Object.keys(row.numbers).length, row.figure).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(row.numbers))
          expect(Number.isFinite(v), `${row.figure}: ${k}`).toBe(true);
      }
    });
  }
});

describe('bench figure sets', () => {
  it('the default run has the dispatch throughput figure; the growth figure only behind --growth', () => {
    expect(Object.keys(FIGURES)).toContain('dispatch-throughput');
    expect(Object.keys(FIGURES)).not.toContain('ledger-growth');
    expect(Object.keys(GROWTH_FIGURES)).toEqual(['ledger-growth']);
  });
});
