import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: true,
  // CJS output gets an import.meta.url shim (createRequire in builtins.ts).
  shims: true,
  target: 'node20',
  platform: 'node',
  // Bundled, tree-shaken: zod/mini (import cost), and the phone-number and segment libraries, which load
  // as one lazy chunk on the first send (≈ 13 ms instead of ≈ 60 ms from ~100 separate files).
  noExternal: ['zod', 'libphonenumber-js', 'sms-segments-calculator', 'grapheme-splitter'],
};

// The main entry is built on its own so that importing it reads one file (plus lazy chunks on first use),
// not the chunks it would otherwise share with the testing and CLI entries. `pnpm build` empties dist first.
export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts' } },
  { ...shared, entry: { 'testing/index': 'src/testing/index.ts', 'cli/index': 'src/cli/index.ts' } },
]);
