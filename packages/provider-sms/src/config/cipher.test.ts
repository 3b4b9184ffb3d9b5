import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isSmsError } from '../errors.js';
import { createConfigCipher, generateConfigKey, isConfigDecryptError, parseKeyRing } from './cipher.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ctx = { tenantId: 'tenant-a', channel: 'sms', provider: 'twilio' };
const secret = JSON.stringify({
  accountSid: `AC${'a'.repeat(32)}`,
  authToken: 'super-secret-token',
  fromNumber: '+15005550006',
});

const catchErr = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

describe('createConfigCipher', () => {
  const cipher = createConfigCipher({ keys: { k2, k1 }, activeKeyId: 'k2' });

  it('round-trips with a versioned envelope naming the key, a fresh IV each time', () => {
    const a = cipher.encrypt(secret, ctx);
    const b = cipher.encrypt(secret, ctx);
    expect(a).toMatch(/^v1:k2:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.split(':')[2]!, 'base64')).toHaveLength(12);
    expect(a).not.toContain('super-secret');
    expect(cipher.decrypt(a, ctx)).toBe(secret);
    expect(cipher.keyIdOf(a)).toBe('k2');
  });

  it('rejects tampered ciphertext, tag and IV', () => {
    const env = cipher.encrypt(secret, ctx);
    const parts = env.split(':');
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[0] = buf[0]! ^ 1;
      return buf.toString('base64');
    };
    for (const i of [2, 3, 4]) {
      const bad = parts.map((p, j) => (j === i ? flip(p) : p)).join(':');
      const e = catchErr(() => cipher.decrypt(bad, ctx));
      expect(isConfigDecryptError(e)).toBe(true);
      expect(isSmsError(e) && e.code).toBe('invalid_config');
    }
  });

  it('binds the ciphertext to tenant, channel and provider (AAD)', () => {
    const env = cipher.encrypt(secret, ctx);
    for (const other of [
      { ...ctx, tenantId: 'tenant-b' },
      { ...ctx, channel: 'email' },
      { ...ctx, provider: 'msg91' },
    ]) {
      const e = catchErr(() => cipher.decrypt(env, other));
      expect(isConfigDecryptError(e) && e.failure).toBe('authentication_failed');
    }
  });

  it('reports malformed envelopes and unknown keys', () => {
    for (const bad of ['', 'plain json', 'v2:k2:a:b:c', 'v1:k2:!!:b:c', secret]) {
      const e = catchErr(() => cipher.decrypt(bad, ctx));
      expect(isConfigDecryptError(e) && e.failure).toBe('malformed');
    }
    const other = createConfigCipher({ keys: { k9: randomBytes(32) }, activeKeyId: 'k9' });
    const e = catchErr(() => cipher.decrypt(other.encrypt(secret, ctx), ctx));
    expect(isConfigDecryptError(e) && e.failure).toBe('unknown_key');
  });

  it('keeps old keys decrypting after rotation', () => {
    const old = createConfigCipher({ keys: { k1 }, activeKeyId: 'k1' });
    const env = old.encrypt(secret, ctx);
    expect(cipher.decrypt(env, ctx)).toBe(secret);
  });

  it('never reveals key material through JSON.stringify or util.inspect', () => {
    const dumps = [JSON.stringify(cipher), inspect(cipher, { showHidden: true, depth: 10 }), String(cipher)];
    for (const d of dumps) {
      for (const key of [k1, k2]) {
        expect(d).not.toContain(key.toString('base64'));
        expect(d).not.toContain(key.toString('hex'));
      }
    }
    expect(JSON.parse(JSON.stringify(cipher))).toEqual({ activeKeyId: 'k2', keyIds: ['k2', 'k1'] });
  });

  it('validates keys', () => {
    expect(() => createConfigCipher({ keys: { k1: randomBytes(31) }, activeKeyId: 'k1' })).toThrow(
      /"k1" must be exactly 32 bytes/,
    );
    expect(() => createConfigCipher({ keys: { k1 }, activeKeyId: 'k2' })).toThrow(/active config key "k2"/);
    expect(() => createConfigCipher({ keys: {}, activeKeyId: 'k1' })).toThrow(/empty/);
  });
});

describe('parseKeyRing', () => {
  it('parses "k2:<b64>,k1:<b64>" with the first key active', () => {
    const ring = parseKeyRing(`k2:${k2.toString('base64')}, k1:${k1.toString('base64')}`);
    expect(ring.activeKeyId).toBe('k2');
    expect(Buffer.from(ring.keys.k2!).equals(k2)).toBe(true);
    expect(Buffer.from(ring.keys.k1!).equals(k1)).toBe(true);
    const c = createConfigCipher(ring);
    expect(c.decrypt(c.encrypt('x', ctx), ctx)).toBe('x');
  });

  it('accepts generated keys', () => {
    expect(parseKeyRing(`a:${generateConfigKey()}`).activeKeyId).toBe('a');
  });

  it('names the bad key id but never prints key material', () => {
    const short = randomBytes(16).toString('base64');
    const e = catchErr(() => parseKeyRing(`k2:${k2.toString('base64')},k1:${short}`));
    expect(isSmsError(e) && e.code).toBe('invalid_config');
    expect((e as Error).message).toMatch(/PROVIDER_CONFIG_KEYS key "k1" must be exactly 32 bytes \(got 16\)/);
    expect((e as Error).message).not.toContain(short);
    expect(JSON.stringify(e)).not.toContain(short);
    expect(JSON.stringify(e)).not.toContain(k2.toString('base64'));
  });

  it('rejects missing, malformed and duplicate entries', () => {
    expect(() => parseKeyRing(undefined)).toThrow(/PROVIDER_CONFIG_KEYS is not set/);
    expect(() => parseKeyRing('  ')).toThrow(/is not set/);
    expect(() => parseKeyRing(k1.toString('base64'))).toThrow(/entry 1 must be "<keyId>:<base64>"/);
    expect(() => parseKeyRing('k1:not base64!')).toThrow(/"k1" is not valid base64/);
    expect(() => parseKeyRing(`k1:${k1.toString('base64')},k1:${k2.toString('base64')}`)).toThrow(/twice/);
  });
});

describe('deriveKey', () => {
  it('derives a per-purpose subkey of the active (or named) key, never the key itself', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const c = createConfigCipher({ keys: { k2, k1 }, activeKeyId: 'k2' });
    const a = c.deriveKey('ledger-fingerprint');
    expect(a.keyId).toBe('k2');
    expect(a.key).toHaveLength(32);
    expect(Buffer.from(a.key).equals(k2)).toBe(false);
    expect(Buffer.from(c.deriveKey('ledger-fingerprint').key).equals(Buffer.from(a.key))).toBe(true);
    expect(Buffer.from(c.deriveKey('other').key).equals(Buffer.from(a.key))).toBe(false);
    expect(c.deriveKey('ledger-fingerprint', 'k1').keyId).toBe('k1');
    expect(() => c.deriveKey('ledger-fingerprint', 'k9')).toThrow(/"k9" is not in the key ring/);
    expect(() => c.deriveKey('')).toThrow(/purpose/);
    const hex = Buffer.from(a.key).toString('hex');
    expect(JSON.stringify(a)).toBe('{"keyId":"k2","purpose":"ledger-fingerprint"}');
    expect(inspect(a)).not.toContain(hex.slice(0, 8));
    expect(inspect(a)).toContain('DerivedKey');
  });
});
