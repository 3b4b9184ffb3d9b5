// The fingerprint of a notification's message: what "the same message" means for an id, without its body.
import { nodeCrypto } from '../builtins.js';
import type { ConfigCipher } from '../config/cipher.js';
import type { SmsMessage } from '../types.js';

/** A message fingerprint: HMAC-SHA256 (hex) keyed by a subkey of the config cipher, and that key's id. */
export interface MessageFingerprint {
  value: string;
  keyId: string;
}

/** Fingerprints recipient (E.164), body, template id and variables, sendAt and validityPeriodSec with `keyId`'s subkey. */
export function fingerprintMessage(
  cipher: Pick<ConfigCipher, 'deriveKey'>,
  recipient: string,
  message: SmsMessage,
  keyId?: string,
): MessageFingerprint {
  const { key, keyId: usedKeyId } = cipher.deriveKey('ledger-fingerprint', keyId);
  const variables = message.template?.variables;
  const canonical = JSON.stringify([
    recipient,
    message.body,
    message.template?.id ?? null,
    variables
      ? Object.keys(variables)
          .sort()
          .map((k) => [k, variables[k]])
      : null,
    message.sendAt ? message.sendAt.getTime() : null,
    message.validityPeriodSec ?? null,
  ]);
  const value = nodeCrypto().createHmac('sha256', key).update(canonical, 'utf8').digest('hex');
  return { value, keyId: usedKeyId };
}
