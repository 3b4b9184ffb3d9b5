import { SmsError } from './errors.js';
import {
  MAX_REFERENCE_LENGTH,
  MAX_TEMPLATE_ID_LENGTH,
  MAX_TEMPLATE_VARIABLE_LENGTH,
  MAX_TEMPLATE_VARIABLE_NAME_LENGTH,
  MAX_TEMPLATE_VARIABLES,
} from './message-limits.js';
import { hasControlOrLoneSurrogate, hasLoneSurrogate } from './text-checks.js';
import type { SmsMessage, SmsProviderName } from './types.js';

const PRINTABLE_ASCII_RE = /^[\x20-\x7e]+$/;

// Messages this module built: frozen, already checked, so passing one on costs a lookup, not a copy.
const snapshots = new WeakSet<object>();

type Fail = (why: string) => SmsError;

/** Reads one property once; a throwing getter or Proxy trap becomes `invalid_message` naming it. */
function read(obj: object, key: string, path: string, fail: Fail): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    throw fail(`${path} could not be read (its getter or Proxy threw)`);
  }
}

/** A frozen copy of `template.variables`: own enumerable string keys, string values, within the bounds. */
function copyVariables(variables: unknown, fail: Fail): Readonly<Record<string, string>> {
  const path = 'message.template.variables';
  if (typeof variables !== 'object' || variables === null) throw fail(`${path} must be an object of strings`);
  let entries: [string, unknown][];
  try {
    entries = Object.entries(variables);
  } catch {
    throw fail(`${path} could not be read (its getter or Proxy threw)`);
  }
  if (entries.length > MAX_TEMPLATE_VARIABLES) {
    throw fail(`${path} has ${entries.length} variables; the maximum is ${MAX_TEMPLATE_VARIABLES}`);
  }
  for (const [name, value] of entries) {
    if (name.length > MAX_TEMPLATE_VARIABLE_NAME_LENGTH || hasControlOrLoneSurrogate(name)) {
      throw fail(
        `${path} has a variable name that is over ${MAX_TEMPLATE_VARIABLE_NAME_LENGTH} characters or holds control characters or lone surrogates`,
      );
    }
    if (typeof value !== 'string') throw fail(`${path}.${name} must be a string`);
    if (value.length > MAX_TEMPLATE_VARIABLE_LENGTH) {
      throw fail(
        `${path}.${name} is ${value.length} characters; the maximum is ${MAX_TEMPLATE_VARIABLE_LENGTH}`,
      );
    }
    if (hasLoneSurrogate(value)) throw fail(`${path}.${name} contains a lone surrogate`);
  }
  // fromEntries defines each key (a "__proto__" key stays a plain property).
  return Object.freeze(Object.fromEntries(entries) as Record<string, string>);
}

/** A frozen copy of `message.template`, each field read once. */
function copyTemplate(template: unknown, fail: Fail): SmsMessage['template'] {
  if (typeof template !== 'object' || template === null) throw fail('message.template must be an object');
  const id = read(template, 'id', 'message.template.id', fail);
  const variables = read(template, 'variables', 'message.template.variables', fail);
  if (id !== undefined) {
    if (typeof id !== 'string' || id.length === 0)
      throw fail('message.template.id must be a non-empty string');
    if (id.length > MAX_TEMPLATE_ID_LENGTH || hasControlOrLoneSurrogate(id)) {
      throw fail(
        `message.template.id must be at most ${MAX_TEMPLATE_ID_LENGTH} characters, without control characters or lone surrogates`,
      );
    }
  }
  // Plain assignments, not conditional spreads: several times cheaper on the hot path.
  const copy: NonNullable<SmsMessage['template']> = {};
  if (id !== undefined) copy.id = id;
  if (variables !== undefined) copy.variables = copyVariables(variables, fail);
  return Object.freeze(copy);
}

/** Checks `reference`: 1–`MAX_REFERENCE_LENGTH` printable ASCII characters. */
function checkReference(reference: unknown, fail: Fail): string {
  if (typeof reference !== 'string') throw fail('message.reference must be a string');
  if (reference.length > MAX_REFERENCE_LENGTH || !PRINTABLE_ASCII_RE.test(reference)) {
    throw fail(`message.reference must be 1 to ${MAX_REFERENCE_LENGTH} printable ASCII characters`);
  }
  return reference;
}

/**
 * Reads a message exactly once into a frozen plain object (`to`, `body`, `template`, `reference`) and checks
 * the shape of `template` and `reference`; any throw (getter, Proxy trap, non-object) becomes
 * `SmsError('invalid_message')` naming the field. A snapshot passed in again is returned as is.
 */
export function snapshotMessage(message: unknown, provider?: SmsProviderName): SmsMessage {
  if (typeof message === 'object' && message !== null && snapshots.has(message)) return message as SmsMessage;
  const fail: Fail = (why) =>
    new SmsError({ code: 'invalid_message', message: why, ...(provider ? { provider } : {}) });
  if (typeof message !== 'object' || message === null) throw fail('message must be an object');
  const to = read(message, 'to', 'message.to', fail);
  const body = read(message, 'body', 'message.body', fail);
  const template = read(message, 'template', 'message.template', fail);
  const reference = read(message, 'reference', 'message.reference', fail);
  const validityPeriodSec = read(message, 'validityPeriodSec', 'message.validityPeriodSec', fail);
  const snapshot = { to, body } as SmsMessage;
  if (template !== undefined) snapshot.template = copyTemplate(template, fail);
  if (reference !== undefined) snapshot.reference = checkReference(reference, fail);
  // Copied as given (the providers check its range); pacing reads it to bound the wait for a slot.
  if (validityPeriodSec !== undefined) snapshot.validityPeriodSec = validityPeriodSec as number;
  Object.freeze(snapshot);
  snapshots.add(snapshot);
  return snapshot;
}
