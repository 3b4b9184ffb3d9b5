#!/usr/bin/env node
// `pnpm bench`: runs every figure against the built package, prints the table and writes its own marked section
// `bench` of BENCHMARKS.md at the repository root (report.mjs; other tools' sections are kept). Options:
// --only <id>[,<id>] (no BENCHMARKS.md unless --write), --quick (one short iteration of each, what the smoke test
// runs), --out <file>, --growth (only GROWTH_FIGURES, bulk loads on PostgreSQL, into the section `bench-growth`).
// Each figure module may export `budgetSeconds` (its share of the default run's 3 minutes; DEFAULT_BUDGET_SECONDS
// otherwise): the run prints every figure's time beside its budget.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PKG_DIR } from './harness.mjs';
import { machine, markdownTable, sectionBody, timingLine, writeSection } from './report.mjs';

export { machine, markdownTable };

/** Every figure, in the order of the table. */
export const FIGURES = {
  'import-cost': () => import('./import-cost.mjs'),
  'first-send': () => import('./first-send.mjs'),
  'twilio-throughput': () => import('./twilio-throughput.mjs'),
  'msg91-throughput': () => import('./msg91-throughput.mjs'),
  'resolve-cached': () => import('./resolve-cached.mjs'),
  'resolve-uncached': () => import('./resolve-uncached.mjs'),
  heap: () => import('./heap.mjs'),
  pacing: () => import('./pacing.mjs'),
  dispatch: () => import('./dispatch.mjs'),
  'dispatch-throughput': () => import('./dispatch-throughput.mjs'),
  'webhook-throughput': () => import('./webhook-throughput.mjs'),
};

/** Figures run only with `--growth` (or named by `--only`): they bulk-load a large table first. */
export const GROWTH_FIGURES = {
  'ledger-growth': () => import('./ledger-growth.mjs'),
  'resolve-growth': () => import('./resolve-growth.mjs'),
  'heap-growth': () => import('./heap-growth.mjs'),
};

/** The time a figure module without `budgetSeconds` is allowed in the default run. */
export const DEFAULT_BUDGET_SECONDS = 20;
/** The default run's limit (issue 18): every figure of FIGURES, one after another. */
export const TOTAL_BUDGET_SECONDS = 180;

/** A figure's time budget in seconds: its module's `budgetSeconds`, else DEFAULT_BUDGET_SECONDS. */
export async function budgetOf(id) {
  const load = FIGURES[id] ?? GROWTH_FIGURES[id];
  const mod = await load();
  return typeof mod.budgetSeconds === 'number' ? mod.budgetSeconds : DEFAULT_BUDGET_SECONDS;
}

/**
 * Runs the named figures (all by default) one after another; resolves the rows. `timings` (when given) receives
 * `{ id, seconds, budget }` per figure.
 */
export async function runFigures(
  ids = Object.keys(FIGURES),
  { quick = false, log = () => {}, keepGoing = false, timings } = {},
) {
  const rows = [];
  for (const id of ids) {
    const load = FIGURES[id] ?? GROWTH_FIGURES[id];
    if (!load)
      throw new Error(
        `unknown figure "${id}" (known: ${[...Object.keys(FIGURES), ...Object.keys(GROWTH_FIGURES)].join(', ')})`,
      );
    const t = performance.now();
    log(`▶ ${id} …`);
    const mod = await load();
    try {
      rows.push(...(await mod.run({ quick })));
    } catch (err) {
      if (!keepGoing) throw err;
      log(`  ${id} failed: ${err?.stack ?? err}`);
      rows.push({
        id,
        figure: id,
        value: 'error',
        baseline: '—',
        ratio: '—',
        target: '—',
        pass: false,
        command: `node packages/provider-sms/bench/run.mjs --only ${id}`,
        note: `failed: ${String(err?.message ?? err).split('\n')[0]}`,
        numbers: {},
      });
    }
    const seconds = (performance.now() - t) / 1000;
    const budget = await budgetOf(id);
    timings?.push({ id, seconds, budget });
    log(`  ${id} done in ${seconds.toFixed(1)} s (budget ${budget} s${seconds > budget ? ': OVER' : ''})`);
  }
  return rows;
}

async function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const growth = argv.includes('--growth');
  const only =
    arg('--only')?.split(',').filter(Boolean) ?? (growth ? Object.keys(GROWTH_FIGURES) : undefined);
  const quick = argv.includes('--quick');
  const out = arg('--out') ?? join(PKG_DIR, '..', '..', 'BENCHMARKS.md');
  const write = argv.includes('--write') || (!arg('--only') && !quick);
  const m = machine();
  console.log(
    `provider-sms bench — ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load[0].toFixed(2)}`,
  );
  const t = performance.now();
  const timings = [];
  const rows = await runFigures(only, { quick, keepGoing: true, log: (s) => console.log(s), timings });
  const seconds = (performance.now() - t) / 1000;
  console.log(`\n${markdownTable(rows)}\n\ntime per figure: ${timingLine(timings)}`);
  if (write) {
    // bench/analysis.md: the causes of misses found by profiling, kept beside the numbers of the default run.
    const analysis = fileURLToPath(new URL('./analysis.md', import.meta.url));
    // Growth figures alone (--growth, or --only naming growth figures only) go to their own section.
    const growthOnly = (only ?? Object.keys(FIGURES)).every((id) => id in GROWTH_FIGURES);
    const extra = !growthOnly && existsSync(analysis) ? `\n${readFileSync(analysis, 'utf8')}` : '';
    const name = growthOnly ? 'bench-growth' : 'bench';
    const title = growthOnly ? '`pnpm bench-growth` (`pnpm bench --growth`): cost growth' : '`pnpm bench`';
    writeSection(out, name, sectionBody(rows, machine(), { seconds, timings, title, extra }));
    console.log(`wrote the section "${name}" of ${out}`);
  }
  const misses = rows.filter((r) => r.pass === false).length;
  console.log(`${rows.length} figures, ${misses} missed target(s), ${seconds.toFixed(0)} s`);
  if (rows.some((r) => r.value === 'error')) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
