import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { machine, sectionBody, withoutLegacyBench, writeSection } from './report.mjs';
import {
  budgetOf,
  DEFAULT_BUDGET_SECONDS,
  FIGURES,
  type Figure,
  GROWTH_FIGURES,
  markdownTable,
  runFigures,
  TOTAL_BUDGET_SECONDS,
} from './run.mjs';

// Smoke of `pnpm bench` (needs `pnpm build`): one short iteration of each figure so the bench code cannot rot.
// It asserts only that every figure produced finite numbers and shows its baseline or limit — never a timing
// threshold (see BENCHMARKS.md).
describe('bench smoke (one short iteration of each figure)', () => {
  for (const id of [...Object.keys(FIGURES), ...Object.keys(GROWTH_FIGURES)]) {
    it(id, { timeout: 120_000 }, async () => {
      const rows = await runFigures([id], { quick: true });
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.id).toBe(id);
        expect(markdownTable([row])).toContain(row.figure);
        if (row.pass === null && Object.keys(row.numbers).length === 0) continue; // skipped: says why in its note
        // Every measured row names what it is compared with, and the target it is held to.
        expect(row.baseline, row.figure).not.toMatch(/^\s*(—|-)?\s*$/);
        expect(row.target, row.figure).not.toMatch(/^\s*(—|-)?\s*$/);
        expect(Object.keys(row.numbers).length, row.figure).toBeGreaterThan(0);
        for (const [k, v] of Object.entries(row.numbers))
          expect(Number.isFinite(v), `${row.figure}: ${k}`).toBe(true);
      }
    });
  }
});

describe('bench figure sets and time budgets', () => {
  it('the default run has the dispatch throughput figure; the growth figures only behind --growth', () => {
    expect(Object.keys(FIGURES)).toContain('dispatch-throughput');
    expect(Object.keys(FIGURES)).not.toContain('ledger-growth');
    expect(Object.keys(GROWTH_FIGURES)).toEqual(
      expect.arrayContaining(['ledger-growth', 'resolve-growth', 'heap-growth']),
    );
    for (const id of Object.keys(GROWTH_FIGURES)) expect(Object.keys(FIGURES)).not.toContain(id);
  });

  it('the budgets of the default figures add up to at most 3 minutes', async () => {
    const budgets = await Promise.all(Object.keys(FIGURES).map(budgetOf));
    for (const b of budgets) expect(b).toBeGreaterThan(0);
    expect(budgets.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(TOTAL_BUDGET_SECONDS);
  });

  it('a figure module without budgetSeconds gets the default budget', async () => {
    const budgets = await Promise.all(
      Object.entries(FIGURES).map(async ([id, load]) => [
        id,
        (await load()).budgetSeconds,
        await budgetOf(id),
      ]),
    );
    for (const [id, own, budget] of budgets)
      expect(budget, String(id)).toBe(typeof own === 'number' ? own : DEFAULT_BUDGET_SECONDS);
  });
});

describe('the bench section of BENCHMARKS.md', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-md-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const row: Figure = {
    id: 'x',
    figure: 'a figure',
    value: '1 ms',
    baseline: '`SELECT 1` 0.5 ms',
    ratio: '2.00×',
    target: '≤ 3×',
    pass: true,
    command: 'node packages/provider-sms/bench/run.mjs --only x',
    note: 'a note',
    numbers: { v: 1 },
  };
  const body = (value: string) =>
    sectionBody([{ ...row, value }], machine(), {
      seconds: 12,
      timings: [{ id: 'x', seconds: 11.5, budget: 20 }],
    });

  it('has the table with the baseline column, the command and the time of each figure beside its budget', () => {
    const text = body('1 ms');
    expect(text).toContain('| a figure | 1 ms | `SELECT 1` 0.5 ms | 2.00× | ≤ 3× | pass |');
    expect(text).toContain('`node packages/provider-sms/bench/run.mjs --only x`');
    expect(text).toContain('time per figure: x 11.5 s (budget 20 s)');
    expect(text).toContain('- a figure: a note');
  });

  /** The marked section `name` of `text`, markers included. */
  const block = (text: string, name: string) => {
    const start = text.indexOf(`<!-- BEGIN ${name}:`);
    const end = `<!-- END ${name} -->`;
    return start < 0 ? '' : text.slice(start, text.indexOf(end, start) + end.length);
  };
  /** A file holding only a `loadtest` section (as `pnpm loadtest` writes it); resolves its text. */
  const loadtestFile = (name: string) => {
    const file = join(dir, name);
    writeSection(file, 'loadtest', 'load figures | 1 | 2 |');
    return { file, loadtest: readFileSync(file, 'utf8') };
  };

  it('rewrites only its own section: the loadtest section survives byte for byte', () => {
    const { file, loadtest } = loadtestFile('BENCHMARKS.md');
    writeSection(file, 'bench', body('1 ms'));
    const first = readFileSync(file, 'utf8');
    expect(first.startsWith(loadtest.trimEnd())).toBe(true);
    writeSection(file, 'bench', body('2 ms'));
    writeSection(file, 'bench-growth', body('3 ms'));
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(loadtest.trimEnd())).toBe(true);
    expect(text.match(/<!-- BEGIN bench:/g)).toHaveLength(1);
    expect(text).toContain('| a figure | 2 ms |');
    expect(text).not.toContain('| a figure | 1 ms |');
    expect(text).toContain('| a figure | 3 ms |');
    // A bench run after the growth run keeps the growth section too.
    writeSection(file, 'bench', body('4 ms'));
    const after = readFileSync(file, 'utf8');
    expect(block(after, 'bench-growth')).toBe(block(text, 'bench-growth'));
    expect(block(after, 'loadtest')).toBe(block(loadtest, 'loadtest'));
  });

  it('replaces the unmarked BENCHMARKS.md of earlier runs instead of appending to it', () => {
    const legacy =
      '# Benchmarks — @leadmetrics/provider-sms\n\nWritten by `pnpm bench` (`packages/provider-sms/bench/run.mjs`); do not edit by hand. Every\n\n| old | table |\n';
    expect(withoutLegacyBench(legacy)).toBe('');
    const { file, loadtest } = loadtestFile('LEGACY.md');
    const withLoadtest = `${legacy}\n${block(loadtest, 'loadtest')}\n`;
    const cleaned = withoutLegacyBench(withLoadtest);
    expect(cleaned).not.toContain('| old | table |');
    expect(cleaned).toMatch(/^# Benchmarks/);
    expect(cleaned).toContain('<!-- BEGIN loadtest:');
    writeFileSync(file, withLoadtest);
    // The growth section keeps the old text (it is not the old table's successor); the bench section replaces it.
    writeSection(file, 'bench-growth', body('6 ms'));
    expect(readFileSync(file, 'utf8')).toContain('| old | table |');
    writeSection(file, 'bench', body('5 ms'));
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('| old | table |');
    expect(block(text, 'loadtest')).toBe(block(loadtest, 'loadtest'));
    expect(text).toContain('| a figure | 5 ms |');
    expect(text).toContain('| a figure | 6 ms |');
    // A hand-written file without the legacy line is kept as it is.
    expect(withoutLegacyBench('# Mine\n\nprose\n')).toBe('# Mine\n\nprose\n');
  });
});
