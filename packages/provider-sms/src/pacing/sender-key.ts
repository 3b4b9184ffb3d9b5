import { nodeCrypto } from '../builtins.js';
import { MESSAGING_SERVICE_SID_RE, SHORT_CODE_RE } from '../config/schemas.js';

/** What kind of sender a message leaves from; pacing picks its default rate by kind. */
export type SmsSenderKind =
  | 'us_ca_long_code'
  | 'toll_free'
  | 'short_code'
  | 'messaging_service'
  | 'alphanumeric'
  | 'international_long_code'
  | 'msg91';

/** A provider's sender as pacing sees it: a stable key (no secret in it) and its kind. */
export interface SmsPacingSender {
  /** `twilio:<accountSid>:<From or MG sid>` or `msg91:<first 16 hex of sha256(authKey)>`. */
  readonly key: string;
  readonly kind: SmsSenderKind;
}

/** A provider that can be paced: TwilioProvider and Msg91Provider expose `pacingSender`. */
export interface SmsPacedProvider {
  readonly pacingSender?: SmsPacingSender;
}

// US/CA toll-free area codes (NANP): +1 800, 833, 844, 855, 866, 877, 888.
const TOLL_FREE_RE = /^\+1(800|833|844|855|866|877|888)\d{7}$/;
const NANP_RE = /^\+1\d{10}$/;

/** The kind of a Twilio `fromNumber`: Messaging Service, short code, toll-free, US/CA or international long code, or alphanumeric. */
export function twilioSenderKind(from: string): SmsSenderKind {
  if (MESSAGING_SERVICE_SID_RE.test(from)) return 'messaging_service';
  if (SHORT_CODE_RE.test(from)) return 'short_code';
  if (TOLL_FREE_RE.test(from)) return 'toll_free';
  if (NANP_RE.test(from)) return 'us_ca_long_code';
  if (from.startsWith('+')) return 'international_long_code';
  return 'alphanumeric';
}

/** The pacing sender of a Twilio account and its From number / Messaging Service. */
export function twilioPacingSender(accountSid: string, from: string): SmsPacingSender {
  return Object.freeze({ key: `twilio:${accountSid}:${from}`, kind: twilioSenderKind(from) });
}

/** The pacing sender of an MSG91 account, keyed by a hash prefix of its auth key (never the key itself). */
export function msg91PacingSender(authKey: string): SmsPacingSender {
  const digest = nodeCrypto().createHash('sha256').update(authKey).digest('hex').slice(0, 16);
  return Object.freeze({ key: `msg91:${digest}`, kind: 'msg91' });
}

/** The pacing sender of a provider, or undefined for a provider that does not expose one (it is not paced). */
export function pacingSenderOf(provider: object): SmsPacingSender | undefined {
  const s = (provider as SmsPacedProvider).pacingSender;
  return s && typeof s.key === 'string' && typeof s.kind === 'string' ? s : undefined;
}
