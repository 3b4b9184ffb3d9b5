#!/usr/bin/env node
// Builds the workspace packages only when their sources changed since the last build (`pnpm demo` and
// `pnpm bench` call it): a hash of each package's src/, package.json and build config, kept in
// node_modules/.cache (not in dist/, which is published). Prints what it builds and why; a clean tree costs a few milliseconds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const INPUTS = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'];

/** Every file under `path` (a file or a directory), sorted, test files included (they are cheap to hash). */
function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/** The hash of a package's build inputs. */
function sourceHash(dir) {
  const h = createHash('sha256');
  for (const file of INPUTS.flatMap((p) => files(join(dir, p)))) {
    h.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex');
}

// In dependency order: the library first, then what builds on it.
const packages = process.argv.slice(2).map((p) => join(root, p));
for (const dir of packages) {
  const stamp = join(dir, 'node_modules', '.cache', 'build-if-changed.hash');
  const hash = sourceHash(dir);
  const previous =
    existsSync(stamp) && existsSync(join(dir, 'dist')) ? readFileSync(stamp, 'utf8') : undefined;
  if (previous === hash) continue;
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
  process.stderr.write(`building ${name} (${previous ? 'sources changed' : 'no build yet'}) …\n`);
  // The build's output goes to stderr: stdout belongs to the command that follows (`pnpm -s loadtest --json`).
  execFileSync('pnpm', ['--silent', 'run', 'build'], { cwd: dir, stdio: ['ignore', 2, 2] });
  mkdirSync(join(stamp, '..'), { recursive: true });
  writeFileSync(stamp, hash);
}
