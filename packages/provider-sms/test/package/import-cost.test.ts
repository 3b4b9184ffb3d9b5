import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Importing the built package must stay cheap: no SDK, phone metadata, database driver or zod runtime.
const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const HEAVY = [
  'twilio',
  'libphonenumber-js',
  'sms-segments-calculator',
  'pg',
  '@electric-sql/pglite',
  'zod',
  'axios',
];
const tmp = mkdtempSync(join(tmpdir(), 'import-cost-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The node_modules packages a file path or URL lies in. */
function packageOf(path: string): string | undefined {
  const i = path.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const m = /^((?:@[^/]+\/)?[^/]+)/.exec(path.slice(i + 'node_modules/'.length));
  return m?.[1];
}

/** Runs `code` in a fresh node process and returns every package it loaded (CJS cache + ESM resolutions). */
function packagesLoadedBy(code: string, type: 'commonjs' | 'module'): Set<string> {
  const log = join(tmp, `${type}-${Math.random().toString(36).slice(2)}.log`);
  // An ESM resolve hook (it runs on the loader thread) appends every resolved URL to the log file.
  const hooks = `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }
  `)}`;
  const register = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hooks)});`)}`;
  const report = `;process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));`;
  const prelude =
    type === 'module'
      ? `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);`
      : '';
  execFileSync(
    process.execPath,
    ['--import', register, `--input-type=${type}`, '-e', `${prelude}${code}${report}`],
    {
      cwd: pkgDir,
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  const names = new Set<string>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const name = packageOf(line);
    if (name) names.add(name);
  }
  return names;
}

describe('import cost of the built package (run `pnpm build` first)', () => {
  it('the build exists', () => expect(existsSync(join(pkgDir, 'dist/index.js'))).toBe(true));
  it('require() of the CJS build loads no heavy dependency', () => {
    const names = packagesLoadedBy(`require('./dist/index.cjs');`, 'commonjs');
    for (const h of HEAVY) expect(names.has(h), `${h} was loaded`).toBe(false);
  });

  it('import() of the ESM build loads no heavy dependency', () => {
    const names = packagesLoadedBy(`await import('./dist/index.js');`, 'module');
    for (const h of HEAVY) expect(names.has(h), `${h} was loaded`).toBe(false);
  });

  it('the detector itself sees twilio when it is loaded', () => {
    const names = packagesLoadedBy(`await import('twilio');`, 'module');
    expect(names.has('twilio')).toBe(true);
  });
});
