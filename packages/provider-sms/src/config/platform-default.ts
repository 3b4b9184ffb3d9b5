import { redactSecrets, SmsError } from '../errors.js';
import { Msg91Provider } from '../providers/msg91.js';
import type { ProviderOptions } from '../types.js';
import { type Msg91Config, msg91EnvSchema } from './schemas.js';

const VARIABLES = [
  'MSG91_AUTH_KEY',
  'MSG91_TEMPLATE_ID',
  'MSG91_SENDER_ID',
  'MSG91_API_BASE_URL',
  'MSG91_BODY_VARIABLE',
] as const;

/**
 * Builds the platform default `Msg91Provider` from `MSG91_AUTH_KEY`, `MSG91_TEMPLATE_ID` (required),
 * `MSG91_SENDER_ID`, `MSG91_API_BASE_URL`, `MSG91_BODY_VARIABLE`; errors name the variable, never the key.
 */
export function createPlatformDefaultFromEnv(
  env: Record<string, string | undefined>,
  options: Omit<ProviderOptions, 'statusCallbackUrl'> = {},
): Msg91Provider {
  const picked: Record<string, string> = {};
  for (const name of VARIABLES) {
    const v = env?.[name];
    if (typeof v === 'string' && v.trim() !== '') picked[name] = v;
  }
  const r = msg91EnvSchema().safeParse(picked);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      return `${name} ${picked[name] === undefined ? 'is required' : i.message}`;
    });
    throw new SmsError({
      code: 'invalid_config',
      provider: 'msg91',
      message: `Invalid platform SMS environment: ${problems.join('; ')}`,
    });
  }
  const e = r.data;
  const config: Msg91Config = { authKey: e.MSG91_AUTH_KEY, templateId: e.MSG91_TEMPLATE_ID };
  if (e.MSG91_SENDER_ID) config.senderId = e.MSG91_SENDER_ID;
  if (e.MSG91_BODY_VARIABLE) config.bodyVariable = e.MSG91_BODY_VARIABLE;
  const providerOptions: ProviderOptions = { ...options };
  if (e.MSG91_API_BASE_URL && !providerOptions.apiBaseUrl) providerOptions.apiBaseUrl = e.MSG91_API_BASE_URL;
  try {
    return new Msg91Provider(config, providerOptions);
  } catch (err) {
    // Name the variable rather than the config field.
    const message = (err as Error)?.message ?? '';
    const renamed = message
      .replace(/config\.authKey/g, 'MSG91_AUTH_KEY')
      .replace(/config\.templateId/g, 'MSG91_TEMPLATE_ID')
      .replace(/config\.senderId/g, 'MSG91_SENDER_ID')
      .replace(/config\.bodyVariable/g, 'MSG91_BODY_VARIABLE')
      .replace(/options\.apiBaseUrl/g, 'MSG91_API_BASE_URL');
    throw new SmsError({
      code: 'invalid_config',
      provider: 'msg91',
      message: redactSecrets(renamed, [e.MSG91_AUTH_KEY]) || 'Invalid platform SMS environment',
    });
  }
}
