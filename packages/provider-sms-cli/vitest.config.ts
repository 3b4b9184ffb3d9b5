import { defineConfig } from 'vitest/config';
import { clearedSdkEnv } from '../../vitest.shared.js';

export default defineConfig({
  test: {
    name: 'provider-sms-cli',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    env: clearedSdkEnv,
  },
});
