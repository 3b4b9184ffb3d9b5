// The load test's tenants: `count` tenants, the first `twilioCount` with their own Twilio account saved (encrypted,
// verified against the emulator) through the library's config service; the rest have no config and fall back to
// the MSG91 platform default. Runs `migrate` first, so the workers find the tables.
import {
  createConfigCipher,
  createPostgresConfigStore,
  createSmsConfigService,
  migrate,
  openDatabase,
  parseKeyRing,
} from '@leadmetrics/provider-sms';

/** The From number the Twilio emulator (and Twilio's test credentials) accept. */
export const TWILIO_FROM = '+15005550006';

/**
 * @typedef {{ tenantId: string, provider: 'twilio' | 'msg91', accountSid?: string }} SeededTenant
 */

/**
 * The tenant list: `count` ids, the first `twilioCount` bound to the emulator's accounts round-robin (pure).
 * @param {number} count
 * @param {number} twilioCount
 * @param {string[]} accountSids
 * @returns {SeededTenant[]}
 */
export function planTenants(count, twilioCount, accountSids) {
  return Array.from({ length: count }, (_, i) => {
    const tenantId = `lt-tenant-${String(i).padStart(2, '0')}`;
    const accountSid = accountSids[i % accountSids.length];
    return i < twilioCount && accountSid
      ? { tenantId, provider: 'twilio', accountSid }
      : { tenantId, provider: 'msg91' };
  });
}

/**
 * Migrates the database and saves each Twilio tenant's config through `saveTwilioConfig` (which verifies it).
 * @param {{ databaseUrl: string, configKeys: string, twilioUrl: string,
 *   accounts: { accountSid: string, authToken: string }[], tenants: SeededTenant[] }} o
 */
export async function seedTenants(o) {
  const database = await openDatabase({ databaseUrl: o.databaseUrl });
  try {
    await migrate(database.db);
    const store = createPostgresConfigStore(database.db);
    const cipher = createConfigCipher(parseKeyRing(o.configKeys));
    const service = createSmsConfigService({ store, cipher, twilioOptions: { apiBaseUrl: o.twilioUrl } });
    const tokens = new Map(o.accounts.map((a) => [a.accountSid, a.authToken]));
    for (const t of o.tenants) {
      if (t.provider !== 'twilio' || !t.accountSid) continue;
      const saved = await service.saveTwilioConfig(t.tenantId, {
        accountSid: t.accountSid,
        authToken: /** @type {string} */ (tokens.get(t.accountSid)),
        fromNumber: TWILIO_FROM,
      });
      if (!saved.verified) throw new Error(`seed: the Twilio config of ${t.tenantId} did not verify`);
    }
  } finally {
    await database.close();
  }
}
