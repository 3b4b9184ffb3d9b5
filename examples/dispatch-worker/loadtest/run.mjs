#!/usr/bin/env node
// `pnpm loadtest`: the chaos load test of the dispatch worker (README.md beside this file). The table (or, with
// --json, exactly one JSON line) goes to stdout, everything else to stderr; exit 1 when a zero is not zero.
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, UsageError } from './args.mjs';
import { loadtestSection } from './benchmarks-section.mjs';
import { formatJsonLine, formatTable, verdict } from './report.mjs';
import { runScenario } from './scenario.mjs';

/** The repository's BENCHMARKS.md writer (scripts/benchmarks-md.mjs: it rewrites only the section it is given). */
const BENCHMARKS_MD = new URL('../../../scripts/benchmarks-md.mjs', import.meta.url).href;

/** Worker counts of the throughput series of a full run. */
export const SERIES_WORKERS = [1, 2, 4];

/**
 * The chaos run with `settings`, then (full run) the no-chaos throughput series; resolves the figures.
 * @param {import('./args.mjs').LoadtestSettings} settings
 * @param {import('./scenario.mjs').RunContext} ctx
 */
export async function runLoadtest(settings, ctx) {
  ctx.log(`[loadtest] chaos run: ${settings.workers} workers, ${settings.notifications} notifications`);
  const chaos = await runScenario(settings, ctx);
  const figures = { ...chaos, verdict: verdict(chaos) };
  if (!settings.throughput) return { figures, series: [] };
  const series = [];
  for (const workers of SERIES_WORKERS) {
    if (ctx.signal?.aborted) break;
    ctx.log(`[loadtest] throughput: ${workers} worker(s), no chaos`);
    const point = await runScenario({ ...settings, workers, chaos: false, reenqueueShare: 0 }, ctx);
    series.push({ ...point, loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10 });
  }
  return { figures, series };
}

/**
 * The command-line entry: resolves the exit code (0 pass, 1 a figure failed, 2 bad usage or environment).
 * @param {string[]} argv
 */
export async function main(argv) {
  /** @type {import('./args.mjs').LoadtestSettings} */
  let settings;
  try {
    settings = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (settings.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write(
      'pnpm loadtest needs DATABASE_URL (a PostgreSQL server every worker process shares; it creates and drops a database of its own there), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test\n',
    );
    return 2;
  }
  const stop = new AbortController();
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.once(sig, () => stop.abort());
  const ctx = {
    signal: stop.signal,
    databaseUrl,
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    log: (/** @type {string} */ line) => process.stderr.write(`${line}\n`),
  };
  const { figures, series } = await runLoadtest(settings, ctx);
  const throughput = series.map((p) => ({
    workers: p.workers,
    throughputPerSec: p.throughputPerSec,
    drainedMs: p.drainedMs,
    cpuMsPerAccepted: p.cpuMsPerAccepted,
    loadAverage: p.loadAverage,
    pass: p.pass,
  }));
  const out = series.length > 0 ? { ...figures, throughput } : figures;
  process.stdout.write(settings.json ? formatJsonLine(out) : formatTable(out));
  if (!settings.json)
    for (const p of throughput)
      process.stdout.write(`throughput ${p.workers} worker(s): ${p.throughputPerSec} accepted/s\n`);
  if (settings.write && series.length > 0) {
    const command = `pnpm loadtest ${argv.filter((a) => a !== '--json').join(' ')}`.trim();
    const date = new Date().toISOString().slice(0, 10);
    /** @type {{ writeBenchmarksSection(name: string, body: string): void }} */
    const md = await import(BENCHMARKS_MD);
    md.writeBenchmarksSection(
      'loadtest',
      loadtestSection({ command, date, series, chaos: figures, cores: cpus().length }),
    );
    ctx.log('[loadtest] wrote the loadtest section of BENCHMARKS.md');
  }
  const seriesOk = series.every((p) => p.pass);
  return figures.pass && seriesOk ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`loadtest failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
