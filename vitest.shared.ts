// Settings every test project shares (imported by packages/*/vitest.config.ts).

/** The twilio SDK reads these from the environment: tests run with all of them cleared. */
export const clearedSdkEnv: Record<string, string> = {
  TWILIO_ACCOUNT_SID: '',
  TWILIO_AUTH_TOKEN: '',
  HTTP_PROXY: '',
  HTTPS_PROXY: '',
  TWILIO_CA_BUNDLE: '',
  TWILIO_EDGE: '',
  TWILIO_REGION: '',
};
