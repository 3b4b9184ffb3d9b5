import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'cli/index': 'src/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  splitting: true,
  sourcemap: true,
  // CJS output gets an import.meta.url shim (createRequire in http.ts).
  shims: true,
  target: 'node20',
  platform: 'node',
  // zod is bundled (tree-shaken zod/mini): importing the package must stay cheap.
  noExternal: ['zod'],
});
