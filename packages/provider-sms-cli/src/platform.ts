import type { SmsProvider } from '@leadmetrics/provider-sms';
import { createPlatformDefaultFromEnv } from '@leadmetrics/provider-sms';
import { errorMessage } from './context.js';

/** The platform default from the MSG91_* env vars, or why it is unavailable (commands that only resolve go on without it). */
export function platformDefaultFromEnv(env: NodeJS.ProcessEnv): { provider?: SmsProvider; missing: string } {
  try {
    return { provider: createPlatformDefaultFromEnv(env), missing: '' };
  } catch (err) {
    return { missing: errorMessage(err) };
  }
}
