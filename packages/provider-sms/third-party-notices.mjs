#!/usr/bin/env node
// Writes dist/THIRD_PARTY_LICENSES.md after the build: the name, version, license and license texts of each
// package bundled into dist (bundled-packages.json, the list tsup.config.ts bundles), as their licenses ask.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(join(pkg, 'package.json'));
const bundled = JSON.parse(readFileSync(join(pkg, 'bundled-packages.json'), 'utf8'));

const sections = bundled.map((name) => {
  const dir = dirname(require.resolve(`${name}/package.json`));
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f));
  if (files.length === 0) throw new Error(`${name}: no license file to include`);
  const texts = files.map((f) => `#### ${f}\n\n\`\`\`\n${readFileSync(join(dir, f), 'utf8').trim()}\n\`\`\``);
  return `## ${name} ${meta.version} (${meta.license})\n\n${texts.join('\n\n')}`;
});
writeFileSync(
  join(pkg, 'dist', 'THIRD_PARTY_LICENSES.md'),
  `# Third-party software bundled in @leadmetrics/provider-sms\n\n${sections.join('\n\n')}\n`,
);
