import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'provider-sms-cli',
    include: ['src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: {
      TWILIO_ACCOUNT_SID: '',
      TWILIO_AUTH_TOKEN: '',
      HTTP_PROXY: '',
      HTTPS_PROXY: '',
      TWILIO_CA_BUNDLE: '',
      TWILIO_EDGE: '',
      TWILIO_REGION: '',
    },
  },
});
