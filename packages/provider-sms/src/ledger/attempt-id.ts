import { nodeCrypto } from '../builtins.js';

/** A new attempt id: 128 random bits, base64url (22 characters), unguessable (MSG91 reports are unsigned). */
export function newAttemptId(): string {
  return nodeCrypto().randomBytes(16).toString('base64url');
}
