#!/usr/bin/env node
// Writes the subpath entries (/config, /webhooks) after tsup: each is src/<name>/index.ts, a list of
// re-exports from the root entry, emitted as-is (ESM and its .d.ts) and as a CommonJS file that hands out
// the root's own objects. No bundling, so a subpath costs what the root costs and shares its classes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('.', import.meta.url));
export const FACADES = ['config', 'ledger', 'webhooks'];

for (const name of FACADES) {
  const source = readFileSync(join(pkg, 'src', name, 'index.ts'), 'utf8');
  const values = [];
  const types = [];
  for (const m of source.matchAll(/export (type )?\{([^}]*)\} from '\.\.\/index\.js';/g)) {
    const names = m[2]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    (m[1] ? types : values).push(...names);
  }
  if (values.length === 0) throw new Error(`src/${name}/index.ts re-exports nothing from '../index.js'`);
  const list = (names) => `{ ${names.join(', ')} }`;
  const out = join(pkg, 'dist', name);
  mkdirSync(out, { recursive: true });
  const header = `// @leadmetrics/provider-sms/${name}: re-exports of the root entry.\n`;
  writeFileSync(join(out, 'index.js'), `${header}export ${list(values)} from '../index.js';\n`);
  writeFileSync(
    join(out, 'index.cjs'),
    `${header}'use strict';\nconst root = require('../index.cjs');\n${values
      .map((v) => `exports.${v} = root.${v};`)
      .join('\n')}\n`,
  );
  for (const [file, from] of [
    ['index.d.ts', '../index.js'],
    ['index.d.cts', '../index.cjs'],
  ]) {
    writeFileSync(
      join(out, file),
      `${header}export type ${list(types)} from '${from}';\nexport ${list(values)} from '${from}';\n`,
    );
  }
}
