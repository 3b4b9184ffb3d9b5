import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerProject } from './consumer-project.js';

// The subpath entries hand out the root entry's own objects, in ESM and CJS (run `pnpm build` first).
const project = consumerProject();
afterAll(() => project.remove());

/** The value names a facade source re-exports. */
function valueNames(name: string): string[] {
  const source = readFileSync(new URL(`../../src/${name}/index.ts`, import.meta.url), 'utf8');
  return [...source.matchAll(/export \{([^}]*)\} from '\.\.\/index\.js';/g)].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

const run = (file: string, code: string) => {
  project.write(file, code);
  const env = { ...process.env, NODE_PATH: '', NODE_OPTIONS: '' };
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: project.dir, encoding: 'utf8', env }));
};

describe.each(['config', 'ledger', 'webhooks'])('@leadmetrics/provider-sms/%s', (name) => {
  const names = valueNames(name);
  const check = `const out = {}; for (const n of ${JSON.stringify(names)}) out[n] = n in sub && sub[n] !== undefined && sub[n] === root[n]; console.log(JSON.stringify(out));`;
  const all = Object.fromEntries(names.map((n) => [n, true]));

  it('ESM: every name is the root entry’s own object', () => {
    const out = run(
      `${name}.mjs`,
      `import * as root from '@leadmetrics/provider-sms';\nimport * as sub from '@leadmetrics/provider-sms/${name}';\n${check}`,
    );
    expect(names.length).toBeGreaterThan(5);
    expect(out).toEqual(all);
  });

  it('CJS: the same', () => {
    const out = run(
      `${name}.cjs`,
      `const root = require('@leadmetrics/provider-sms');\nconst sub = require('@leadmetrics/provider-sms/${name}');\n${check}`,
    );
    expect(out).toEqual(all);
  });
});
