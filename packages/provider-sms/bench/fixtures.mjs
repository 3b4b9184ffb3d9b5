// Fixtures shared by the benches: the direct-SDK baseline client, tenant configs, an in-memory config store.
import { randomBytes } from 'node:crypto';

/** Twilio's only passing From number with test credentials (the emulator mirrors it). */
export const TWILIO_FROM = '+15005550006';
/** A plain valid recipient. */
export const TO = '+919876543210';

/**
 * The baseline of the Twilio figures: the `twilio` SDK as an application would use it directly — its own
 * axios RequestClient — pointed at the emulator by a RequestClient subclass that rewrites the URI
 * (toolchain pitfall 8: runs after edge/region are applied, works with plain http).
 */
export async function directTwilioClient(twilio, baseUrl, accountSid, authToken) {
  const base = new URL(baseUrl);
  class LoopbackRequestClient extends twilio.RequestClient {
    request(opts) {
      const u = new URL(opts.uri);
      return super.request({ ...opts, uri: `${base.origin}${u.pathname}${u.search}` });
    }
  }
  // RequestClient's constructor reads TWILIO_CA_BUNDLE / HTTP_PROXY; an empty value (vitest.config.ts blanks
  // them) would be read as a file name / proxy: hide empty ones while it is built.
  const saved = {};
  for (const k of ['TWILIO_CA_BUNDLE', 'HTTP_PROXY']) {
    if (process.env[k] === '') {
      saved[k] = '';
      delete process.env[k];
    }
  }
  try {
    return twilio(accountSid, authToken, { httpClient: new LoopbackRequestClient({}), autoRetry: false });
  } finally {
    Object.assign(process.env, saved);
  }
}

/** A fresh 32-byte key ring for the config cipher. */
export const cipherOptions = () => ({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });

/** The Twilio config of tenant `i`, against the emulator's account. */
export const tenantConfig = (emu) => ({
  accountSid: emu.accountSid,
  authToken: emu.authToken,
  fromNumber: TWILIO_FROM,
});

/** Tenant id of index `i`. */
export const tenantId = (i) => `tenant-${String(i).padStart(6, '0')}`;

/**
 * An `SmsConfigStore` (only `get`, what the resolver reads) that builds every tenant's row on demand:
 * enabled, verified, its Twilio config encrypted with `cipher`. Holds no rows, so a heap figure measures
 * the resolver, not the store.
 */
export function generatedStore(cipher, config) {
  const verifiedAt = new Date();
  return {
    changeChannel: 'bench',
    async get({ tenantId: t, provider, channel = 'sms' }) {
      return {
        id: `row-${t}`, // stable: the resolver reuses a provider per row id + config version
        tenantId: t,
        channel,
        provider,
        config: cipher.encrypt(JSON.stringify(config), { tenantId: t, channel, provider }),
        enabled: true,
        verifiedAt,
        verificationError: null,
        configVersion: 1,
        createdAt: verifiedAt,
        updatedAt: verifiedAt,
      };
    },
  };
}

/** A platform default that must never be used by the benches (every tenant has a verified Twilio config). */
export const unusedPlatformDefault = {
  name: 'msg91',
  async send() {
    throw new Error('platform default used');
  },
  async verify() {},
};
