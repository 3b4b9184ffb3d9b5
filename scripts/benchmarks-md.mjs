// BENCHMARKS.md is written by more than one tool (`pnpm bench`, `pnpm loadtest`): each owns one marked section and
// rewrites only that one, so a run of one never erases the figures of another.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's BENCHMARKS.md. */
export const BENCHMARKS_MD = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

const HEADER = `# Benchmarks — @leadmetrics/provider-sms

Each section below is written by the tool its markers name; do not edit between the markers by hand. Every
figure is measured against its baseline **in the same run**, because the machines are shared and noisy: compare
ratios, not absolute numbers.
`;

const begin = (name) => `<!-- BEGIN ${name}: written by \`pnpm ${name}\`, do not edit by hand -->`;
const end = (name) => `<!-- END ${name} -->`;

/** Checks a section name: lowercase letters, digits and dashes (it goes into an HTML comment). */
function checkName(name) {
  if (!/^[a-z][a-z0-9-]*$/.test(name))
    throw new TypeError(`section name ${JSON.stringify(name)} is not kebab-case`);
}

/** Returns `text` with the section `name` replaced by `body` (appended when absent); other sections untouched. */
export function replaceSection(text, name, body) {
  checkName(name);
  const block = `${begin(name)}\n${body.trim()}\n${end(name)}`;
  const source = text.trim() === '' ? HEADER : text;
  const start = source.indexOf(`<!-- BEGIN ${name}:`);
  if (start < 0) return `${source.trimEnd()}\n\n${block}\n`;
  const stop = source.indexOf(end(name), start);
  if (stop < 0) throw new Error(`BENCHMARKS.md: section "${name}" has a BEGIN marker but no END marker`);
  return `${source.slice(0, start)}${block}${source.slice(stop + end(name).length)}`;
}

/** Rewrites the section `name` of `file` (BENCHMARKS.md by default) with `body`, keeping every other section. */
export function writeBenchmarksSection(name, body, file = BENCHMARKS_MD) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, replaceSection(text, name, body));
}
