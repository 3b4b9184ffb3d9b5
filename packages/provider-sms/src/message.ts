import { SmsError } from './errors.js';
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

/** Counts the segments and picks the encoding of a body. */
export async function countSegments(body: string): Promise<SegmentInfo> {
  if (GSM7_BASIC_ASCII.test(body)) {
    return { segments: body.length <= 160 ? 1 : Math.ceil(body.length / 153), encoding: 'GSM-7' };
  }
  const { SegmentedMessage } = await loadSegmentsLib();
  const seg = new SegmentedMessage(body, 'auto');
  return { segments: Math.max(1, seg.segmentsCount), encoding: seg.encodingName };
}

/** Normalizes a recipient to E.164 ('+' and digits) or throws `invalid_recipient`. */
export async function normalizeRecipient(to: unknown, provider?: SmsProviderName): Promise<string> {
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
  const to = await normalizeRecipient(snapshot.to, provider);
  const { body } = snapshot;
  if (typeof body !== 'string') throw invalid('message.body must be a string');
  if (body.length > MAX_BODY_LENGTH) {
    throw invalid(`message.body is ${body.length} characters; the maximum is ${MAX_BODY_LENGTH}`);
  }
  if (BLANK_BODY_RE.test(body)) throw invalid('message.body is empty');
  if (hasLoneSurrogate(body))
    throw invalid('message.body contains a lone surrogate (not well-formed UTF-16)');
  return { to, body, ...(await countSegments(body)) };
}

/** Masks a phone number for logs: keeps the first 5 and last 2 characters, e.g. +1415*****71. */
export function maskPhone(to: unknown): string | undefined {
  if (typeof to !== 'string') return undefined;
  const compact = to.replace(/[^\d+]/g, '').slice(0, 20);
  if (compact.length < 9) return '*'.repeat(compact.length);
  return `${compact.slice(0, 5)}${'*'.repeat(compact.length - 7)}${compact.slice(-2)}`;
}
