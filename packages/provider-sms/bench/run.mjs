#!/usr/bin/env node
// `pnpm bench`: runs every figure of issue 8 against the built package, prints the table and writes
// BENCHMARKS.md at the repository root. Options: --only <id>[,<id>] (no BENCHMARKS.md unless --write),
// --quick (one short iteration of each, what the smoke test runs), --out <file>, --growth (adds GROWTH_FIGURES:
// minutes of bulk loading on PostgreSQL, so not in the default run).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DIST_DIR, PKG_DIR } from './harness.mjs';

/** Every figure, in the order of the issue's table. */
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
};

/** Runs the named figures (all by default) one after another; resolves the rows. */
export async function runFigures(
  ids = Object.keys(FIGURES),
  { quick = false, log = () => {}, keepGoing = false } = {},
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
    log(`  ${id} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return rows;
}

const verdict = (p) => (p === true ? 'pass' : p === false ? '**MISS**' : 'skipped');
const cell = (s) => String(s).replace(/\|/g, '\\|');

/** The machine the figures were measured on. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    load: os.loadavg(),
  };
}

/** The results as a Markdown table. */
export function markdownTable(rows) {
  const head =
    '| figure | value | baseline (same run) | ratio | target | result | command |\n|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${cell(r.target)} | ${verdict(r.pass)} | \`${r.command}\` |`,
  );
  return [head, ...body].join('\n');
}

/** The whole BENCHMARKS.md. */
export function markdown(rows, m, { seconds, extra = '' } = {}) {
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  return `# Benchmarks — @leadmetrics/provider-sms

Written by \`pnpm bench\` (\`packages/provider-sms/bench/run.mjs\`); do not edit by hand. Every figure is
measured against its baseline **in the same run** (baseline and subject interleaved, medians of paired
ratios), because the machines are shared and noisy. Compare ratios, not absolute numbers.

- date: ${new Date().toISOString()}
- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(1)} GB memory, ${m.platform}
- load average at the end of the run: ${m.load.map((x) => x.toFixed(2)).join(', ')}
- Node ${m.node}; build under test: \`${DIST_DIR.replace(`${join(PKG_DIR, '..', '..')}/`, '')}\`
- total bench time: ${seconds.toFixed(0)} s

${markdownTable(rows)}

Reproduce everything with \`pnpm bench\` (builds first), or one figure with the command in its row after
\`pnpm build\`. The PostgreSQL row needs \`DATABASE_URL\`.

## Notes

${notes.join('\n')}
${extra}`;
}

async function main(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const growth = argv.includes('--growth');
  const only =
    arg('--only')?.split(',').filter(Boolean) ??
    (growth ? [...Object.keys(FIGURES), ...Object.keys(GROWTH_FIGURES)] : undefined);
  const quick = argv.includes('--quick');
  const out = arg('--out') ?? join(PKG_DIR, '..', '..', 'BENCHMARKS.md');
  const write = argv.includes('--write') || (!arg('--only') && !quick);
  const m = machine();
  console.log(
    `provider-sms bench — ${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.load[0].toFixed(2)}`,
  );
  const t = performance.now();
  const rows = await runFigures(only, { quick, keepGoing: true, log: (s) => console.log(s) });
  const seconds = (performance.now() - t) / 1000;
  console.log(`\n${markdownTable(rows)}\n`);
  if (write) {
    // bench/analysis.md: the causes of misses found by profiling, kept beside the numbers.
    const analysis = fileURLToPath(new URL('./analysis.md', import.meta.url));
    const extra = existsSync(analysis) ? `\n${readFileSync(analysis, 'utf8')}` : '';
    writeFileSync(out, markdown(rows, machine(), { seconds, extra }));
    console.log(`wrote ${out}`);
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
