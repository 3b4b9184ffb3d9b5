import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'example-dispatch-worker',
    include: ['src/*.test.ts', 'loadtest/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
