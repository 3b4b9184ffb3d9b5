// Shared bench harness: where the built package is, child-process timing, paired (interleaved)
// measurements, medians/percentiles and formatting. Plain ESM so `node bench/run.mjs` needs no build step
// of its own; the package itself is imported from its build (`dist/`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';

/** packages/provider-sms */
export const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The build under test: `dist/`, or `BENCH_DIST` (another build of the same sources). */
export const DIST_DIR = process.env.BENCH_DIST ? resolve(process.env.BENCH_DIST) : join(PKG_DIR, 'dist');
/** file: URL of a file of the build. */
export const distUrl = (rel) => pathToFileURL(join(DIST_DIR, rel)).href;
/** Absolute path of a file of the build. */
export const distPath = (rel) => join(DIST_DIR, rel);

/** The command line that reproduces one figure (from the repository root). */
export const commandFor = (id) => `node packages/provider-sms/bench/run.mjs --only ${id}`;

/** Imports the built package and checks that it exports what the benches use. */
export async function loadPackage(names = []) {
  const file = distPath('index.js');
  if (!existsSync(file))
    throw new Error(`${file} is missing: run \`pnpm --filter @leadmetrics/provider-sms build\``);
  const pkg = await import(distUrl('index.js'));
  const missing = names.filter((n) => !(n in pkg));
  if (missing.length) throw new Error(`The built package does not export ${missing.join(', ')}`);
  return pkg;
}

/** Imports the built `/testing` entry (the loopback emulators). */
export async function loadTesting() {
  return import(distUrl('testing/index.js'));
}

/** The environment of child processes: no Twilio/proxy variables (the SDK reads them), no NODE_OPTIONS. */
// What the twilio SDK would read from the environment: the benches talk only to their emulators.
const { TWILIO_SDK_ENV_VARS } = await loadTesting();

export function childEnv() {
  const env = { ...process.env, NODE_OPTIONS: '', BENCH_DIST: DIST_DIR };
  for (const k of TWILIO_SDK_ENV_VARS) {
    delete env[k];
  }
  return env;
}

/**
 * Starts `node ...args` and resolves the milliseconds from spawn to the first 'R' on its stdout ("ready"),
 * plus whatever the child printed after it (one JSON line, when it reports something). The child is killed
 * once it reported (keep-alive sockets may otherwise hold it open for seconds).
 */
export function timeChild(args, { cwd = PKG_DIR, env = childEnv(), timeoutMs = 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let readyAt;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child timed out after ${timeoutMs} ms: node ${args.join(' ')}\n${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      if (readyAt === undefined && out.includes('R')) readyAt = performance.now() - t0;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (readyAt === undefined) {
        reject(
          new Error(`child exited (${code ?? signal}) before it was ready: node ${args.join(' ')}\n${err}`),
        );
        return;
      }
      const rest = out.slice(out.indexOf('R') + 1).trim();
      resolvePromise({ ms: readyAt, report: rest ? JSON.parse(rest) : undefined });
    });
    // Wait for the report (a JSON line after 'R' ending in '\n'), then stop the child.
    child.stdout.on('data', () => {
      if (readyAt !== undefined && /R[\s\S]*\n/.test(out)) child.kill('SIGKILL');
    });
  });
}

/**
 * Paired measurement: runs every variant once per round, rotating the order each round, so baseline and
 * subject see the same machine load. Resolves `{ name: number[] }`.
 */
export async function interleave(variants, rounds, { warmup = 1 } = {}) {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -warmup; r < rounds; r++) {
    const rot = ((r % names.length) + names.length) % names.length;
    const order = [...names.slice(rot), ...names.slice(0, rot)];
    for (const n of order) {
      const v = await variants[n]();
      if (r >= 0) samples[n].push(v);
    }
  }
  return samples;
}

/**
 * tinybench in paired rounds: each round is one `Bench` holding every task (order rotated per round).
 * Resolves `{ name: { mean: number[], p99: number[] } }` (latency in ms per task iteration, one value per round).
 */
export async function benchRounds(
  tasks,
  { rounds = 3, time = 1000, warmupTime = 200, iterations = 10, afterRound = () => {} } = {},
) {
  const names = Object.keys(tasks);
  const out = Object.fromEntries(names.map((n) => [n, { mean: [], p99: [], samples: [] }]));
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, warmupTime, iterations, warmupIterations: 2, throws: true });
    const rot = r % names.length;
    for (const n of [...names.slice(rot), ...names.slice(0, rot)]) {
      const t = tasks[n];
      if (typeof t === 'function') bench.add(n, t);
      else bench.add(n, t.fn, t.opts);
    }
    await bench.run();
    for (const task of bench.tasks) {
      const res = task.result;
      if (!res.latency) throw new Error(`bench task ${task.name} ${res.state}: ${res.error?.message ?? ''}`);
      out[task.name].mean.push(res.latency.mean);
      out[task.name].p99.push(res.latency.p99);
      out[task.name].samples.push(res.latency.samplesCount);
    }
    await afterRound();
  }
  return out;
}

/** Median (of a copy). */
export function median(xs) {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(xs, p) {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Element-wise a[i] / b[i]. */
export const pairRatios = (a, b) => a.map((x, i) => x / b[i]);

/** Formats a number with sensible precision. */
export function num(n, digits) {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : Math.abs(n) >= 1 ? 2 : 3);
  return n.toFixed(d);
}

/** "1.23×" */
export const times = (r) => `${num(r, 2)}×`;

/** Sleeps (lets sockets drain between phases). */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One row of the results table.
 * @typedef {{ id: string, figure: string, value: string, baseline: string, ratio: string, target: string,
 *   pass: boolean | null, command: string, note?: string, numbers: Record<string, number> }} Figure
 */

/** Builds a figure row; `numbers` are the raw values the smoke test checks for finiteness. */
export function figure(f) {
  return { note: '', command: commandFor(f.id), ...f };
}

/**
 * Calls `await step(i)` for i = 0, 1, … up to `max` times, stopping early after `seconds` once `min` calls are in (a
 * loaded machine then costs the run at most `seconds`, not `max` slow calls). Resolves the number of calls made.
 */
export async function boundedLoop({ max, min = max, seconds = Infinity }, step) {
  const stopAt = performance.now() + seconds * 1000;
  let i = 0;
  while (i < max && (i < min || performance.now() < stopAt)) await step(i++);
  return i;
}

/** "+0.12" / "−0.05": a signed difference. */
export const signed = (d) => `${d < 0 ? '−' : '+'}${num(Math.abs(d))}`;
