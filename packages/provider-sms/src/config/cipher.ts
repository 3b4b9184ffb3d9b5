import { nodeCrypto } from '../builtins.js';
import { SmsError } from '../errors.js';
import { defineRedacted } from '../redact.js';

/** What a ciphertext is bound to (the AAD): a row copied to another tenant, channel or provider fails to decrypt. */
export interface ConfigCipherContext {
  tenantId: string;
  channel: string;
  provider: string;
}

/** Options of `createConfigCipher`: 32-byte keys by id, and the id new ciphertexts use. */
export interface ConfigCipherOptions {
  keys: Record<string, Uint8Array>;
  activeKeyId: string;
}

/** AES-256-GCM for tenant configs, with a key ring (old keys keep decrypting until `reencryptAll`). */
export interface ConfigCipher {
  readonly activeKeyId: string;
  readonly keyIds: readonly string[];
  /** Encrypts with the active key into a `v1:<keyId>:<iv>:<tag>:<ciphertext>` envelope. */
  encrypt(plaintext: string, context: ConfigCipherContext): string;
  /** Decrypts an envelope; throws `ConfigDecryptError` when it is malformed, its key is unknown or the tag fails. */
  decrypt(envelope: string, context: ConfigCipherContext): string;
  /** The key id named by an envelope, or undefined when it is not an envelope. */
  keyIdOf(envelope: string): string | undefined;
  /** A 32-byte subkey for `purpose` (HKDF-SHA256 of the active key, or of `keyId`'s); the ring's keys never leave. */
  deriveKey(purpose: string, keyId?: string): DerivedKey;
}

/** A subkey derived from one key of the ring, with that key's id (store it beside what the subkey protects). */
export interface DerivedKey {
  keyId: string;
  key: Uint8Array;
}

/** Why a stored config could not be decrypted. */
export type ConfigDecryptFailure = 'malformed' | 'unknown_key' | 'authentication_failed';

/** A stored config that cannot be decrypted (the resolver reports `tenant_config_undecryptable`). */
export class ConfigDecryptError extends SmsError {
  readonly failure: ConfigDecryptFailure;
  constructor(failure: ConfigDecryptFailure, message: string) {
    super({ code: 'invalid_config', message });
    this.name = 'ConfigDecryptError';
    this.failure = failure;
  }
}

/** True when `e` is a `ConfigDecryptError`. */
export function isConfigDecryptError(e: unknown): e is ConfigDecryptError {
  return e instanceof ConfigDecryptError;
}

const VERSION = 'v1';
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const invalid = (message: string) => new SmsError({ code: 'invalid_config', message });

const aad = (c: ConfigCipherContext): Buffer =>
  Buffer.from(JSON.stringify(['provider-sms', c.tenantId, c.channel, c.provider]));

const decodeB64 = (s: string): Buffer | undefined =>
  s.length > 0 && BASE64_RE.test(s) ? Buffer.from(s, 'base64') : undefined;

/** Builds the AES-256-GCM config cipher; validates every key (32 bytes) without ever printing one. */
export function createConfigCipher(options: ConfigCipherOptions): ConfigCipher {
  const keys = new Map<string, Buffer>();
  for (const [id, key] of Object.entries(options?.keys ?? {})) {
    if (!KEY_ID_RE.test(id)) throw invalid(`Config key id "${id.slice(0, 32)}" must match ${KEY_ID_RE}`);
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key;
      throw invalid(`Config key "${id}" must be exactly ${KEY_BYTES} bytes (got ${got})`);
    }
    keys.set(id, Buffer.from(key)); // a private copy
  }
  const activeKeyId = options?.activeKeyId;
  if (keys.size === 0) throw invalid('The config key ring is empty');
  if (typeof activeKeyId !== 'string' || !keys.has(activeKeyId)) {
    throw invalid(`The active config key "${String(activeKeyId)}" is not in the key ring`);
  }
  const keyIds = Object.freeze([...keys.keys()]);

  const parse = (envelope: string) => {
    const parts = typeof envelope === 'string' ? envelope.split(':') : [];
    if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
    const [, keyId, ivB64, tagB64, ctB64] = parts as [string, string, string, string, string];
    const iv = decodeB64(ivB64);
    const tag = decodeB64(tagB64);
    const ct = ctB64 === '' ? Buffer.alloc(0) : decodeB64(ctB64);
    if (!KEY_ID_RE.test(keyId) || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || !ct)
      return undefined;
    return { keyId, iv, tag, ct };
  };

  const cipher: ConfigCipher = {
    activeKeyId,
    keyIds,
    encrypt(plaintext, context) {
      const iv = nodeCrypto().randomBytes(IV_BYTES);
      const c = nodeCrypto().createCipheriv('aes-256-gcm', keys.get(activeKeyId)!, iv, {
        authTagLength: TAG_BYTES,
      });
      c.setAAD(aad(context));
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      const tag = c.getAuthTag();
      return [
        VERSION,
        activeKeyId,
        iv.toString('base64'),
        tag.toString('base64'),
        ct.toString('base64'),
      ].join(':');
    },
    decrypt(envelope, context) {
      const p = parse(envelope);
      if (!p)
        throw new ConfigDecryptError('malformed', 'The stored config is not a valid encrypted envelope');
      const key = keys.get(p.keyId);
      if (!key)
        throw new ConfigDecryptError(
          'unknown_key',
          `The stored config uses key "${p.keyId}", which is not in the key ring`,
        );
      try {
        const d = nodeCrypto().createDecipheriv('aes-256-gcm', key, p.iv, { authTagLength: TAG_BYTES });
        d.setAAD(aad(context));
        d.setAuthTag(p.tag);
        return Buffer.concat([d.update(p.ct), d.final()]).toString('utf8');
      } catch {
        throw new ConfigDecryptError(
          'authentication_failed',
          'The stored config failed authentication (tampered, or bound to another tenant)',
        );
      }
    },
    keyIdOf(envelope) {
      return parse(envelope)?.keyId;
    },
    deriveKey(purpose, keyId = activeKeyId) {
      const key = keys.get(keyId);
      if (!key) throw invalid(`The config key "${String(keyId).slice(0, 32)}" is not in the key ring`);
      if (typeof purpose !== 'string' || purpose === '')
        throw invalid('deriveKey(purpose): purpose must be a non-empty string');
      const info = Buffer.from(`provider-sms:${purpose}`);
      const derived = nodeCrypto().hkdfSync('sha256', key, Buffer.alloc(0), info, KEY_BYTES);
      // A subkey is a secret too: logging it shows its key id and purpose only.
      return defineRedacted({ keyId, key: new Uint8Array(derived) }, 'DerivedKey', () => ({
        keyId,
        purpose,
      }));
    },
  };
  // Keys live only in the closure; make logging the object show nothing more than ids.
  defineRedacted(cipher, 'ConfigCipher', () => ({ activeKeyId, keyIds }));
  return Object.freeze(cipher);
}

/**
 * Parses `PROVIDER_CONFIG_KEYS` (`k2:<base64>,k1:<base64>`, first = active) into `createConfigCipher` options;
 * each key must decode to exactly 32 bytes. Errors name the key id, never the key.
 */
export function parseKeyRing(
  value: string | undefined,
  variable = 'PROVIDER_CONFIG_KEYS',
): ConfigCipherOptions {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`${variable} is not set: expected "<keyId>:<base64 of 32 bytes>[,<keyId>:<base64>…]"`);
  }
  const keys: Record<string, Uint8Array> = {};
  let activeKeyId: string | undefined;
  const entries = value.split(',').map((s) => s.trim());
  entries.forEach((entry, i) => {
    const sep = entry.indexOf(':');
    const id = sep > 0 ? entry.slice(0, sep).trim() : '';
    if (!KEY_ID_RE.test(id)) {
      throw invalid(
        `${variable} entry ${i + 1} must be "<keyId>:<base64>" with a key id of letters, digits, "_" or "-"`,
      );
    }
    if (Object.hasOwn(keys, id)) throw invalid(`${variable} names key "${id}" twice`);
    const material = entry.slice(sep + 1).trim();
    const bytes =
      BASE64_RE.test(material) || BASE64URL_RE.test(material)
        ? Buffer.from(material, BASE64_RE.test(material) ? 'base64' : 'base64url')
        : undefined;
    if (!bytes || material.length === 0) throw invalid(`${variable} key "${id}" is not valid base64`);
    if (bytes.length !== KEY_BYTES) {
      throw invalid(`${variable} key "${id}" must be exactly ${KEY_BYTES} bytes (got ${bytes.length})`);
    }
    keys[id] = bytes;
    activeKeyId ??= id;
  });
  // The key bytes print as nothing more than their ids.
  const view = () => ({ activeKeyId, keyIds: Object.keys(keys) });
  return defineRedacted(
    { keys: defineRedacted(keys, 'ConfigKeys', view), activeKeyId: activeKeyId! },
    'ConfigKeyRing',
    view,
  );
}

/** A new random key as base64, for a `PROVIDER_CONFIG_KEYS` entry. */
export function generateConfigKey(): string {
  return nodeCrypto().randomBytes(KEY_BYTES).toString('base64');
}
