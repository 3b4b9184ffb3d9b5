// The bench's part of BENCHMARKS.md: the results table, the run's context and notes, written into the marked
// section `bench` (or `bench-growth` for a `--growth` run) through scripts/benchmarks-md.mjs, so the sections other
// tools write (`pnpm loadtest`) are never touched.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { replaceSection, writeBenchmarksSection } from '../../../scripts/benchmarks-md.mjs';
import { DIST_DIR, PKG_DIR } from './harness.mjs';

/** The line the single-file BENCHMARKS.md of earlier `pnpm bench` runs began with (no section markers). */
const LEGACY_LINE = 'Written by `pnpm bench` (`packages/provider-sms/bench/run.mjs`); do not edit by hand.';

/** pass / MISS; a row without a verdict is "recorded" when it was measured (a value), else "skipped". */
const verdict = (r) =>
  r.pass === true
    ? 'pass'
    : r.pass === false
      ? '**MISS**'
      : r.value && r.value !== '—'
        ? 'recorded'
        : 'skipped';
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
    '| figure | value | baseline or limit (same run) | ratio | target | result | command |\n|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.baseline)} | ${cell(r.ratio)} | ${cell(r.target)} | ${verdict(r)} | \`${r.command}\` |`,
  );
  return [head, ...body].join('\n');
}

/** "import-cost 7.9 s (budget 12 s), …": the measured time of each figure beside its budget. */
export function timingLine(timings) {
  return timings
    .map(
      (t) =>
        `${t.id} ${t.seconds.toFixed(1)} s (budget ${t.budget} s${t.seconds > t.budget ? ', over' : ''})`,
    )
    .join(', ');
}

/** The body of the bench's section: context, table, notes and `extra` (bench/analysis.md). */
export function sectionBody(rows, m, { seconds, timings = [], title = '`pnpm bench`', extra = '' } = {}) {
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.figure}: ${r.note}`);
  const budget = timings.reduce((s, t) => s + t.budget, 0);
  return `## ${title}

Written by \`packages/provider-sms/bench/run.mjs\`. Every figure is measured against its baseline or limit **in the
same run** (baseline and subject interleaved, medians of paired ratios).

- date: ${new Date().toISOString()}
- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(1)} GB memory, ${m.platform}
- load average at the end of the run: ${m.load.map((x) => x.toFixed(2)).join(', ')}
- Node ${m.node}; build under test: \`${DIST_DIR.replace(`${join(PKG_DIR, '..', '..')}/`, '')}\`
- total bench time: ${seconds.toFixed(0)} s (sum of the figures' budgets: ${budget} s)
- time per figure: ${timingLine(timings) || '—'}

${markdownTable(rows)}

Reproduce everything with \`pnpm bench\` (builds first; \`pnpm bench-growth\` for the growth figures), or one
figure with the command in its row after \`pnpm build\`. PostgreSQL rows need \`DATABASE_URL\`.

### Notes

${notes.join('\n')}
${extra}`;
}

/**
 * `text` without the unmarked BENCHMARKS.md of earlier bench runs (everything before the first section marker, when
 * it is that file), so the new section replaces it instead of following it. Other text is kept as it is.
 */
export function withoutLegacyBench(text) {
  const first = text.indexOf('<!-- BEGIN ');
  const head = first < 0 ? text : text.slice(0, first);
  if (!head.includes(LEGACY_LINE)) return text;
  if (first < 0) return '';
  // Keep the file header scripts/benchmarks-md.mjs starts a new file with, then the marked sections.
  const fresh = replaceSection('', 'bench', '');
  return `${fresh.slice(0, fresh.indexOf('<!-- BEGIN '))}${text.slice(first)}`;
}

/**
 * Rewrites the section `name` of `file` with `body`; every other section of the file stays byte for byte. Writing
 * `bench`, the successor of the unmarked file of earlier runs, also drops that file's content.
 */
export function writeSection(file, name, body) {
  if (name === 'bench' && existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const cleaned = withoutLegacyBench(text);
    if (cleaned !== text) writeFileSync(file, cleaned);
  }
  writeBenchmarksSection(name, body, file);
}
