import { isSmsError, redactSecrets, SmsError, sanitizeCause } from '../errors.js';
import { twilioSecrets } from '../providers/twilio.js';
import { defaultTwilioProviderFactory, type TwilioProviderFactory } from '../resolver.js';
import { assertTenantId } from '../tenant-id.js';
import type { Logger, ProviderOptions, SmsCallOptions } from '../types.js';
import type { ConfigCipher } from './cipher.js';
import { withStoreErrors } from './driver-errors.js';
import { parseConfig, type TwilioConfig, twilioConfigSchema } from './schemas.js';
import type { ConfigRowKey, ConfigRowVersion, SmsConfigStore } from './store.js';
import { checkRotationWindowMs, twilioConfigPlaintext } from './token-rotation.js';
import { decodeTwilioConfig } from './twilio-config.js';

/** Options of `createSmsConfigService`. */
export interface SmsConfigServiceOptions {
  store: SmsConfigStore;
  cipher: ConfigCipher;
  /** This process's resolver: invalidated after every change (other replicas learn through NOTIFY). */
  resolver?: { invalidate(tenantId: string): void };
  /** Options of the TwilioProvider used to verify credentials (timeouts, apiBaseUrl for emulators). */
  twilioOptions?: ProviderOptions;
  logger?: Logger;
  /**
   * After a token change (same account), how long callbacks signed with the previous token are still accepted (the
   * webhook handler drops it earlier, once a callback validates with the new one); default 72 h, 0 = not at all.
   */
  authTokenRotationWindowMs?: number;
  /** @internal Tests: how the verifying TwilioProvider is built. */
  createTwilioProvider?: TwilioProviderFactory;
}

/** Outcome of saving or verifying a config: a failed verification is a result, not an exception. */
export interface VerificationResult {
  verified: boolean;
  /** Redacted: code and message only, never a secret. */
  error?: SmsError;
}

/** A stored verification failure, as `get()` shows it. */
export interface StoredVerificationError {
  code: string;
  message: string;
}

/** A tenant's Twilio config as an admin may see it: the token reduced to its last 4 characters. */
export interface RedactedTwilioConfig {
  tenantId: string;
  provider: 'twilio';
  /** Null when the stored config cannot be read (see `problem`). */
  accountSid: string | null;
  fromNumber: string | null;
  /** `'••••' + last 4`, or null when unreadable. */
  authToken: string | null;
  enabled: boolean;
  verified: boolean;
  verifiedAt: Date | null;
  verificationError: StoredVerificationError | null;
  configVersion: number;
  createdAt: Date;
  updatedAt: Date;
  /** Why the stored config cannot be used as is (the resolver falls back), else null. */
  problem: 'undecryptable' | 'invalid' | null;
}

/** What an admin API calls to manage a tenant's Twilio config. */
export interface SmsConfigService {
  /** Validates (throws `invalid_config`, nothing written), encrypts, saves un-verified, verifies, records the outcome. */
  saveTwilioConfig(
    tenantId: string,
    config: TwilioConfig,
    options?: SmsCallOptions,
  ): Promise<VerificationResult>;
  /**
   * Re-verifies the stored credentials; throws `invalid_config` when the tenant has no config. Only a credential or
   * sender problem (authentication_failed, permission_denied, invalid_config, invalid_sender) un-verifies; a
   * transient failure (timeout, network, 5xx, 429, abort…) records the error, keeps `verified_at` (the tenant keeps
   * sending) and resolves `{ verified: false, error }`.
   */
  verify(tenantId: string, options?: SmsCallOptions): Promise<VerificationResult>;
  /** Stops using the tenant's Twilio (the config is kept); false when there is none. */
  disable(tenantId: string): Promise<boolean>;
  /** Uses the tenant's Twilio again (still only once verified); false when there is none. */
  enable(tenantId: string): Promise<boolean>;
  /** Deletes the tenant's Twilio config; false when there was none. */
  remove(tenantId: string): Promise<boolean>;
  /** The config, redacted, or undefined when the tenant has none. */
  get(tenantId: string): Promise<RedactedTwilioConfig | undefined>;
}

const MASK = '••••';

/** `'••••' + the last 4 characters` of a secret. */
export function maskSecret(secret: string): string {
  return `${MASK}${secret.length > 8 ? secret.slice(-4) : ''}`;
}

const secretsOf = (c: TwilioConfig): string[] => twilioSecrets(c.accountSid, c.authToken);

/** An error reduced to what may be stored and shown: code, message (secrets removed) and the safe fields. */
function redactedError(err: unknown, secrets: readonly string[]): SmsError {
  if (isSmsError(err)) {
    const cause = sanitizeCause(err.cause, secrets);
    return new SmsError({
      code: err.code,
      message: redactSecrets(err.message, secrets),
      outcome: err.outcome,
      retryable: err.retryable,
      ...(err.provider ? { provider: err.provider } : {}),
      ...(err.providerCode !== undefined ? { providerCode: err.providerCode } : {}),
      ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
      ...(cause ? { cause } : {}),
    });
  }
  return new SmsError({
    code: 'unknown',
    provider: 'twilio',
    message: `Verification failed: ${redactSecrets(err instanceof Error ? err.message : String(err), secrets)}`,
    outcome: 'not_sent',
  });
}

/** Failures that show the credentials or sender are wrong: only these un-verify a verified config. */
const UNVERIFYING_CODES: ReadonlySet<string> = new Set([
  'authentication_failed',
  'permission_denied',
  'invalid_config',
  'invalid_sender',
]);

const parseStoredError = (s: string | null): StoredVerificationError | null => {
  if (!s) return null;
  try {
    const v = JSON.parse(s) as Partial<StoredVerificationError>;
    return { code: String(v.code ?? 'unknown'), message: String(v.message ?? '') };
  } catch {
    return { code: 'unknown', message: s };
  }
};

/** Creates the config service (docs/design.md §4): save → verify → mark verified, each state change one transaction + NOTIFY. */
export function createSmsConfigService(options: SmsConfigServiceOptions): SmsConfigService {
  const { cipher, resolver, logger } = options;
  // A custom store's driver errors are typed too (the Postgres store's already are; SmsErrors pass through).
  const store = withStoreErrors(options.store);
  const factory = options.createTwilioProvider ?? defaultTwilioProviderFactory;
  const rotationWindowMs = checkRotationWindowMs(options.authTokenRotationWindowMs);
  const twilioOptions: ProviderOptions = { ...options.twilioOptions };
  if (logger && !twilioOptions.logger) twilioOptions.logger = logger;
  const keyOf = (tenantId: string): ConfigRowKey => ({
    tenantId: assertTenantId(tenantId),
    provider: 'twilio',
    channel: 'sms',
  });
  const ctxOf = (tenantId: string) => ({ tenantId, channel: 'sms', provider: 'twilio' });

  const changed = (tenantId: string) => resolver?.invalidate(tenantId);

  // The row id is part of the target: a removed and re-created row restarts at version 1.
  const record = async (
    tenantId: string,
    row: ConfigRowVersion,
    error: SmsError | undefined,
  ): Promise<VerificationResult> => {
    const version = row.configVersion;
    // A new save is unverified already; a re-verification keeps verified_at through a transient failure.
    const keepVerified = error !== undefined && !UNVERIFYING_CODES.has(error.code);
    const applied = await store.markVerified(
      keyOf(tenantId),
      { id: row.id, configVersion: row.configVersion },
      error
        ? {
            ok: false,
            error: JSON.stringify({ code: error.code, message: error.message }),
            ...(keepVerified ? { keepVerified } : {}),
          }
        : { ok: true },
    );
    changed(tenantId);
    if (!applied) {
      logger?.warn(
        { tenantId, configVersion: version },
        'SMS config changed while it was being verified; result not recorded',
      );
      return {
        verified: false,
        error: new SmsError({
          code: 'unknown',
          provider: 'twilio',
          outcome: 'not_sent',
          message: 'The config was changed or removed while it was being verified; nothing was recorded',
        }),
      };
    }
    logger?.info(
      {
        tenantId,
        configVersion: version,
        verified: !error,
        ...(error ? { code: error.code, keptVerified: keepVerified } : {}),
      },
      error ? 'tenant Twilio config failed verification' : 'tenant Twilio config verified',
    );
    return error ? { verified: false, error } : { verified: true };
  };

  const verifyVersion = async (
    tenantId: string,
    config: TwilioConfig,
    row: ConfigRowVersion,
    call: SmsCallOptions | undefined,
  ): Promise<VerificationResult> => {
    let error: SmsError | undefined;
    try {
      const provider = await factory(config, twilioOptions);
      await provider.verify(call?.signal ? { signal: call.signal } : undefined);
    } catch (err) {
      error = redactedError(err, secretsOf(config));
    }
    return record(tenantId, row, error);
  };

  return {
    async saveTwilioConfig(tenantId, input, call) {
      const key = keyOf(tenantId);
      const config = parseConfig(twilioConfigSchema, input, 'config', 'twilio');
      // A token change keeps the old token (inside the envelope only) for the rotation window.
      const existing = await store.get(key);
      const stored = existing ? decodeTwilioConfig(existing, cipher) : undefined;
      const plaintext = twilioConfigPlaintext(
        config,
        stored?.ok ? stored : undefined,
        new Date(),
        rotationWindowMs,
      );
      const envelope = cipher.encrypt(plaintext, ctxOf(tenantId));
      const row = await store.upsert(key, envelope);
      changed(tenantId);
      logger?.info({ tenantId, configVersion: row.configVersion }, 'tenant Twilio config saved (unverified)');
      return verifyVersion(tenantId, config, row, call);
    },
    async verify(tenantId, call) {
      const row = await store.get(keyOf(tenantId));
      if (!row) {
        throw new SmsError({
          code: 'invalid_config',
          provider: 'twilio',
          message: `Tenant "${tenantId}" has no Twilio config`,
        });
      }
      const decoded = decodeTwilioConfig(row, cipher);
      if (!decoded.ok) return record(tenantId, row, redactedError(decoded.error, []));
      return verifyVersion(tenantId, decoded.config, row, call);
    },
    async disable(tenantId) {
      const ok = await store.setEnabled(keyOf(tenantId), false);
      changed(tenantId);
      return ok;
    },
    async enable(tenantId) {
      const ok = await store.setEnabled(keyOf(tenantId), true);
      changed(tenantId);
      return ok;
    },
    async remove(tenantId) {
      const ok = await store.remove(keyOf(tenantId));
      changed(tenantId);
      return ok;
    },
    async get(tenantId) {
      const row = await store.get(keyOf(tenantId));
      if (!row) return undefined;
      const decoded = decodeTwilioConfig(row, cipher);
      const config = decoded.ok ? decoded.config : undefined;
      return {
        tenantId,
        provider: 'twilio',
        accountSid: config?.accountSid ?? null,
        fromNumber: config?.fromNumber ?? null,
        authToken: config ? maskSecret(config.authToken) : null,
        enabled: row.enabled,
        verified: row.verifiedAt !== null,
        verifiedAt: row.verifiedAt,
        verificationError: parseStoredError(row.verificationError),
        configVersion: row.configVersion,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
        problem: decoded.ok ? null : decoded.reason,
      };
    },
  };
}
