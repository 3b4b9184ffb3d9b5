import { defineConfig } from 'tsup';

// ESM only: a command, not a library. The library stays external (a dependency, loaded from node_modules).
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  splitting: true,
  sourcemap: false,
  target: 'node20',
  platform: 'node',
});
