import { SmsError } from './errors.js';
import { BoundedLru } from './lru.js';
import { MAX_BODY_LENGTH } from './message-limits.js';
import { snapshotMessage } from './snapshot-message.js';
import { hasLoneSurrogate } from './text-checks.js';
import type { SmsEncoding, SmsMessage, SmsProviderName } from './types.js';

export { MAX_BODY_LENGTH } from './message-limits.js';

/** E.164 phone number: '+', a non-zero digit, up to 15 digits in all. */
export const E164_RE = /^\+[1-9]\d{1,14}$/;

/** A message that passed the local checks, with its recipient in E.164. */
export interface CheckedMessage {
  to: string;
  body: string;
  segments: number;
  encoding: SmsEncoding;
}

/** Segment count and encoding of a body, as Twilio counts them (GSM-7 153/160, UCS-2 67/70). */
export interface SegmentInfo {
  segments: number;
  encoding: SmsEncoding;
}

type PhoneLib = typeof import('libphonenumber-js/min');
type SegmentsLib = typeof import('sms-segments-calculator');

let phoneLib: Promise<PhoneLib> | undefined;
let segmentsLib: Promise<SegmentsLib> | undefined;

// Both libraries cost tens of milliseconds at import: load them on first use.
const loadPhoneLib = (): Promise<PhoneLib> => {
  phoneLib ??= import('libphonenumber-js/min');
  return phoneLib;
};
const loadSegmentsLib = (): Promise<SegmentsLib> => {
  segmentsLib ??= import('sms-segments-calculator').then(
    (m) => ((m as { default?: SegmentsLib }).default ?? m) as SegmentsLib,
  );
  return segmentsLib;
};

// Printable ASCII that GSM-7 encodes in one septet each (its basic set minus the backtick; the
// extension characters ^ { } \ [ ] ~ | take two). Most bodies are only these: count them directly.
const GSM7_BASIC_ASCII = /^[\n\r !"#$%&'()*+,\-./0-9:;<=>?@A-Z_a-z]*$/;

/** Segments of a body of only basic GSM-7 ASCII (counted directly, synchronously); undefined for any other body. */
function basicGsm7Segments(body: string): SegmentInfo | undefined {
  if (!GSM7_BASIC_ASCII.test(body)) return undefined;
  return { segments: body.length <= 160 ? 1 : Math.ceil(body.length / 153), encoding: 'GSM-7' };
}

/** Counts the segments and picks the encoding of a body. */
export async function countSegments(body: string): Promise<SegmentInfo> {
  const basic = basicGsm7Segments(body);
  if (basic) return basic;
  const { SegmentedMessage } = await loadSegmentsLib();
  const seg = new SegmentedMessage(body, 'auto');
  return { segments: Math.max(1, seg.segmentsCount), encoding: seg.encodingName };
}

/** How many distinct recipients that passed the check are remembered (least recently used dropped first). */
export const MAX_CACHED_RECIPIENTS = 4096;

// The check is pure (the input string and the library's static metadata), so a recipient that passed it once
// passes again: raw input → E.164. Only successes are kept; a bad number always runs the whole check.
const checkedRecipients = new BoundedLru<string, string>(MAX_CACHED_RECIPIENTS);

/** The E.164 form of a recipient that already passed `normalizeRecipient`, without running the check again. */
function cachedRecipient(to: unknown): string | undefined {
  return typeof to === 'string' ? checkedRecipients.get(to) : undefined;
}

/** Number of remembered recipients (at most `MAX_CACHED_RECIPIENTS`). @internal */
export function cachedRecipientCount(): number {
  return checkedRecipients.size;
}

/** Normalizes a recipient to E.164 ('+' and digits) or throws `invalid_recipient`; a recipient seen before costs a lookup. */
export async function normalizeRecipient(to: unknown, provider?: SmsProviderName): Promise<string> {
  return cachedRecipient(to) ?? checkRecipient(to, provider);
}

/** The whole recipient check (format, then the library's possible-number test); remembers a success. */
async function checkRecipient(to: unknown, provider?: SmsProviderName): Promise<string> {
  const fail = (why: string) =>
    new SmsError({
      code: 'invalid_recipient',
      message: `message.to ${why}`,
      ...(provider ? { provider } : {}),
    });
  if (typeof to !== 'string') throw fail('must be a string in E.164 format, e.g. "+14155552671"');
  const compact = to.trim().replace(/[\s\-.()]/g, '');
  if (!compact.startsWith('+')) {
    throw fail('must start with "+" and a country code (E.164); no default region is guessed');
  }
  if (!E164_RE.test(compact)) throw fail('is not an E.164 phone number');
  const { isPossiblePhoneNumber } = await loadPhoneLib();
  if (!isPossiblePhoneNumber(compact)) throw fail('is not a possible phone number');
  checkedRecipients.set(to, compact);
  return compact;
}

// A body of only whitespace and control characters shows nothing.
const BLANK_BODY_RE = /^[\s\p{Cc}]*$/u;

/**
 * Runs the local checks before any network call on a snapshot of the message (see `snapshotMessage`):
 * recipient, body (not blank, no lone surrogates, ≤ `MAX_BODY_LENGTH`), template and reference shape.
 */
export async function checkMessage(message: SmsMessage, provider?: SmsProviderName): Promise<CheckedMessage> {
  const invalid = (why: string) =>
    new SmsError({ code: 'invalid_message', message: why, ...(provider ? { provider } : {}) });
  const snapshot = snapshotMessage(message, provider);
  // A remembered recipient and a basic GSM-7 body need no await (each one costs a microtask turn).
  const to = cachedRecipient(snapshot.to) ?? (await checkRecipient(snapshot.to, provider));
  const { body } = snapshot;
  if (typeof body !== 'string') throw invalid('message.body must be a string');
  if (body.length > MAX_BODY_LENGTH) {
    throw invalid(`message.body is ${body.length} characters; the maximum is ${MAX_BODY_LENGTH}`);
  }
  if (BLANK_BODY_RE.test(body)) throw invalid('message.body is empty');
  // A basic GSM-7 body is ASCII, which holds no surrogate at all.
  const basic = basicGsm7Segments(body);
  if (!basic && hasLoneSurrogate(body))
    throw invalid('message.body contains a lone surrogate (not well-formed UTF-16)');
  const { segments, encoding } = basic ?? (await countSegments(body));
  return { to, body, segments, encoding };
}

/** Masks a phone number for logs: keeps the first 5 and last 2 characters, e.g. +1415*****71. */
export function maskPhone(to: unknown): string | undefined {
  if (typeof to !== 'string') return undefined;
  const compact = to.replace(/[^\d+]/g, '').slice(0, 20);
  if (compact.length < 9) return '*'.repeat(compact.length);
  return `${compact.slice(0, 5)}${'*'.repeat(compact.length - 7)}${compact.slice(-2)}`;
}
