import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  // No source maps in the package: they were two thirds of its size and the code is not minified.
  sourcemap: false,
  // CJS output gets an import.meta.url shim (createRequire in builtins.ts).
  shims: true,
  target: 'node20',
  platform: 'node',
  // Bundled, tree-shaken: zod/mini (import cost), and the phone-number and segment libraries, which load
  // as one lazy chunk on the first send (≈ 13 ms instead of ≈ 60 ms from ~100 separate files).
  // Their licenses ship in dist/THIRD_PARTY_LICENSES.md (third-party-notices.mjs reads the same list).
  noExternal: JSON.parse(
    readFileSync(new URL('./bundled-packages.json', import.meta.url), 'utf8'),
  ) as string[],
};

const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), 'src');
const testingDir = resolve(srcDir, 'testing');
// Internal helpers /testing uses that the main entry does not export: small, dependency-free, bundled.
const bundledInternals = new Set([resolve(srcDir, 'abort-relay.js')]);

/**
 * In the /testing build, everything outside src/testing is the library itself: it is imported from the
 * package's own main entry (a self-reference), so each bundled library and each class exists once (what it
 * imports must be exported there; test/package/optional-peers.test.ts loads the built /testing to prove it).
 */
const libraryIsExternal: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'testing-imports-the-library',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(testingDir)) return undefined;
      const target = resolve(dirname(args.importer), args.path);
      if (target.startsWith(testingDir) || bundledInternals.has(target)) return undefined;
      return { path: '@leadmetrics/provider-sms', external: true };
    });
  },
};

// The main entry is built on its own so that importing it reads one file (plus lazy chunks on first use).
// `pnpm build` empties dist first.
export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts' } },
  { ...shared, entry: { 'testing/index': 'src/testing/index.ts' }, esbuildPlugins: [libraryIsExternal] },
]);
