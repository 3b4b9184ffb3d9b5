#!/usr/bin/env node
// `pnpm loadtest`: the chaos load test of the dispatch worker (README.md beside this file). The table (or, with
// --json, exactly one JSON line) goes to stdout, everything else to stderr; exit 1 when a zero is not zero.
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, UsageError } from './args.mjs';
import { loadtestSection } from './benchmarks-section.mjs';
import { formatJsonLine, formatTable, throughputEntry, verdict } from './report.mjs';
import { runScenario } from './scenario.mjs';

/** The repository's BENCHMARKS.md writer (scripts/benchmarks-md.mjs: it rewrites only the section it is given). */
const BENCHMARKS_MD = new URL('../../../scripts/benchmarks-md.mjs', import.meta.url).href;

/** Worker counts of the throughput series of a full run. */
export const SERIES_WORKERS = [1, 2, 4];

/** Worker processes of the ceiling point (at the chaos run's concurrency and notification count). */
export const CEILING_WORKERS = 4;

/**
 * The chaos run with `settings`, then (full run) the no-chaos throughput series at `seriesConcurrency` jobs per
 * worker and the ceiling point (4 workers at the chaos run's concurrency); resolves the figures.
 * @param {import('./args.mjs').LoadtestSettings} settings
 * @param {import('./scenario.mjs').RunContext} ctx
 */
export async function runLoadtest(settings, ctx) {
  ctx.log(`[loadtest] chaos run: ${settings.workers} workers, ${settings.notifications} notifications`);
  const chaos = await runScenario(settings, ctx);
  const figures = { ...chaos, verdict: verdict(chaos) };
  if (!settings.throughput) return { figures, series: [], ceiling: undefined };
  const quiet = { ...settings, chaos: false, reenqueueShare: 0 };
  const point = async (/** @type {import('./args.mjs').LoadtestSettings} */ s) => ({
    ...(await runScenario(s, ctx)),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  });
  const series = [];
  for (const workers of SERIES_WORKERS) {
    if (ctx.signal?.aborted) break;
    ctx.log(`[loadtest] throughput: ${workers} worker(s) × ${settings.seriesConcurrency} jobs, no chaos`);
    const { seriesConcurrency: concurrency, seriesNotifications: notifications } = settings;
    series.push(await point({ ...quiet, workers, concurrency, notifications }));
  }
  if (ctx.signal?.aborted) return { figures, series, ceiling: undefined };
  ctx.log(`[loadtest] ceiling: ${CEILING_WORKERS} workers × ${settings.concurrency} jobs, no chaos`);
  const ceiling = await point({ ...quiet, workers: CEILING_WORKERS });
  return { figures, series, ceiling };
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
  const { figures, series, ceiling } = await runLoadtest(settings, ctx);
  const throughput = series.map(throughputEntry);
  const out =
    series.length > 0 ? { ...figures, throughput, ceiling: ceiling && throughputEntry(ceiling) } : figures;
  process.stdout.write(settings.json ? formatJsonLine(out) : formatTable(out));
  if (!settings.json)
    for (const p of ceiling ? [...throughput, throughputEntry(ceiling)] : throughput)
      process.stdout.write(
        `throughput ${p.workers} worker(s) × ${p.concurrency}: ${p.throughputPerSec} accepted/s, ${p.cpuMsPerAccepted} ms CPU/accepted, job held ${p.jobMs?.p50} ms (median)\n`,
      );
  if (settings.write && series.length > 0) {
    const command = `pnpm loadtest ${argv.filter((a) => a !== '--json').join(' ')}`.trim();
    const date = new Date().toISOString().slice(0, 10);
    /** @type {{ writeBenchmarksSection(name: string, body: string): void }} */
    const md = await import(BENCHMARKS_MD);
    md.writeBenchmarksSection(
      'loadtest',
      loadtestSection({ command, date, series, ceiling, chaos: figures, cores: cpus().length }),
    );
    ctx.log('[loadtest] wrote the loadtest section of BENCHMARKS.md');
  }
  const seriesOk = [...series, ...(ceiling ? [ceiling] : [])].every((p) => p.pass);
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
