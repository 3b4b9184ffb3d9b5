import type { ConfigCipher } from '../config/cipher.js';
import type { SmsConfigStore } from '../config/store.js';
import { decodeTwilioConfig } from '../config/twilio-config.js';

/** What the handler needs of a tenant's Twilio config to verify its callbacks. */
export interface TwilioWebhookAuth {
  accountSid: string;
  authToken: string;
  /** While the tenant rotates its token: the previous one, accepted until `previousAuthTokenExpiresAt`. */
  previousAuthToken?: string;
  previousAuthTokenExpiresAt?: Date;
  /** Drops the previous token from the stored config (a compare-and-set: a concurrent change wins); called once a callback validates with the new token. */
  retirePreviousAuthToken?: () => Promise<void>;
}

/** Loads a tenant's Twilio account SID and token (and a rotating previous token) from the config store, decrypting the row (AAD tenant+channel+provider). */
export function twilioAuthFromStore(store: SmsConfigStore, cipher: ConfigCipher) {
  return async (tenantId: string): Promise<TwilioWebhookAuth | undefined> => {
    const row = await store.get({ tenantId, provider: 'twilio', channel: 'sms' });
    if (!row) return undefined;
    const decoded = decodeTwilioConfig(row, cipher);
    if (!decoded.ok) throw decoded.error;
    const { config, previous } = decoded;
    const auth: TwilioWebhookAuth = { accountSid: config.accountSid, authToken: config.authToken };
    if (!previous) return auth;
    auth.previousAuthToken = previous.authToken;
    auth.previousAuthTokenExpiresAt = previous.expiresAt;
    auth.retirePreviousAuthToken = async () => {
      const ctx = { tenantId: row.tenantId, channel: row.channel, provider: row.provider };
      // Same config without the previous token; replaced only if the row still holds what was read.
      const next = cipher.encrypt(JSON.stringify(config), ctx);
      const replaced = await store.replaceConfigs([{ id: row.id, expected: row.config, next }]);
      if (replaced > 0) await store.notify(tenantId); // other replicas stop accepting the old token too
    };
    return auth;
  };
}
