import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'example-quickstart', include: ['*.test.ts'], testTimeout: 60_000 },
});
