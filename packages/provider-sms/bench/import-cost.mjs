// Figure 1: cold import of the built package (ESM and CJS), process start to ready, vs `node -e 0`.
// Hyperfine-style: fresh node processes, baseline and subjects interleaved, medians of paired differences.
import { distPath, distUrl, figure, interleave, median, num, timeChild } from './harness.mjs';

// Packages that must not load at import time (the import-cost test checks the same list).
const HEAVY = [
  'twilio',
  'libphonenumber-js',
  'sms-segments-calculator',
  'pg',
  '@electric-sql/pglite',
  'zod',
  'axios',
];

/** Child code that reports which heavy packages are in require.cache (Node 20 also fills it for CJS imported from ESM). */
const reportLoaded = `const h=${JSON.stringify(HEAVY)};const seen=new Set();for(const p of Object.keys(require.cache)){const m=/node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(p.slice(p.lastIndexOf('node_modules/')));if(m&&h.includes(m[1]))seen.add(m[1]);}process.stdout.write('R'+JSON.stringify([...seen])+'\\n');`;

const ESM = [
  '--input-type=module',
  '-e',
  `await import(${JSON.stringify(distUrl('index.js'))});process.stdout.write('R');`,
];
const CJS = ['-e', `require(${JSON.stringify(distPath('index.cjs'))});process.stdout.write('R');`];
const BASE = ['-e', `process.stdout.write('R');`];

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 10;

export async function run({ quick = false } = {}) {
  const rounds = quick ? 2 : 30;
  const s = await interleave(
    {
      base: async () => (await timeChild(BASE)).ms,
      esm: async () => (await timeChild(ESM)).ms,
      cjs: async () => (await timeChild(CJS)).ms,
    },
    rounds,
    { warmup: quick ? 0 : 5 },
  );
  // Which heavy packages each build loads (one extra child each).
  const loadedEsm = (
    await timeChild([
      '--input-type=module',
      '-e',
      `import {createRequire} from 'node:module';const require=createRequire(import.meta.url);await import(${JSON.stringify(distUrl('index.js'))});${reportLoaded}`,
    ])
  ).report;
  const loadedCjs = (
    await timeChild(['-e', `require(${JSON.stringify(distPath('index.cjs'))});${reportLoaded}`])
  ).report;

  const base = median(s.base);
  const rows = [];
  for (const [fmt, xs, loaded] of [
    ['ESM', s.esm, loadedEsm],
    ['CJS', s.cjs, loadedCjs],
  ]) {
    const deltas = xs.map((x, i) => x - s.base[i]);
    const delta = median(deltas);
    const twilioLoaded = loaded.includes('twilio');
    rows.push(
      figure({
        id: 'import-cost',
        figure: `cold import, ${fmt} (\`${fmt === 'ESM' ? 'import' : 'require'}\` of dist), start → ready`,
        value: `${num(median(xs))} ms`,
        baseline: `\`node -e 0\` ${num(base)} ms`,
        ratio: `+${num(delta)} ms`,
        target: '≤ +15 ms; twilio not loaded',
        pass: delta <= 15 && !twilioLoaded,
        note: `${rounds} paired runs; heavy packages loaded: ${loaded.length ? loaded.join(', ') : 'none'}`,
        numbers: { subjectMs: median(xs), baselineMs: base, deltaMs: delta },
      }),
    );
  }
  return rows;
}
