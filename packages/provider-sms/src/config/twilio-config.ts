import { isSmsError, SmsError } from '../errors.js';
import { type ConfigCipher, isConfigDecryptError } from './cipher.js';
import { parseConfig, type TwilioConfig, twilioConfigSchema } from './schemas.js';
import type { StoredProviderConfig } from './store.js';
import { type PreviousAuthToken, previousAuthTokenOf } from './token-rotation.js';

/**
 * A stored Twilio config, decoded: the validated config (plus, while its token rotates, the previous token), or why
 * it cannot be used (never a secret in `error`).
 */
export type DecodedTwilioConfig =
  | { ok: true; config: TwilioConfig; previous?: PreviousAuthToken }
  | { ok: false; reason: 'undecryptable' | 'invalid'; error: SmsError };

/** What decoding needs of a row: the envelope and the AAD fields (tenant, channel, provider). */
export type EncryptedConfigRow = Pick<StoredProviderConfig, 'tenantId' | 'channel' | 'provider' | 'config'>;

/** Decrypts a stored row (AAD tenant+channel+provider), parses the JSON and checks it against the zod schema. */
export function decodeTwilioConfig(row: EncryptedConfigRow, cipher: ConfigCipher): DecodedTwilioConfig {
  let plaintext: string;
  try {
    plaintext = cipher.decrypt(row.config, {
      tenantId: row.tenantId,
      channel: row.channel,
      provider: row.provider,
    });
  } catch (err) {
    return {
      ok: false,
      reason: 'undecryptable',
      error: isConfigDecryptError(err)
        ? err
        : new SmsError({ code: 'invalid_config', message: 'The stored config cannot be decrypted' }),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(plaintext);
  } catch {
    // JSON.parse quotes its input in the message: never let the decrypted config reach an error.
    return {
      ok: false,
      reason: 'invalid',
      error: new SmsError({
        code: 'invalid_config',
        provider: 'twilio',
        message: 'The stored config is not JSON',
      }),
    };
  }
  try {
    const config = parseConfig(twilioConfigSchema, json, 'config', 'twilio');
    const previous = previousAuthTokenOf(json);
    return previous ? { ok: true, config, previous } : { ok: true, config };
  } catch (err) {
    // parseConfig names fields and rules, never values.
    return {
      ok: false,
      reason: 'invalid',
      error: isSmsError(err)
        ? err
        : new SmsError({
            code: 'invalid_config',
            provider: 'twilio',
            message: 'The stored config is invalid',
          }),
    };
  }
}
