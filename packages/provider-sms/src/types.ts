/** Which provider sent (or would send) a message. */
export type SmsProviderName = 'twilio' | 'msg91';

/** One SMS to send. */
export interface SmsMessage {
  /** E.164, e.g. "+919876543210". Spaces, dashes, dots and parentheses are stripped; no leading '+' → invalid_recipient. */
  to: string;
  /** Rendered text: what Twilio sends, and MSG91's `bodyVariable` when no template variables are given. */
  body: string;
  /** Template-based providers (MSG91 Flow / India DLT). */
  template?: {
    /** MSG91 flow/template id; falls back to the config's templateId. */
    id?: string;
    /** At most 100; names ≤ 64 characters, values ≤ 1600 (own enumerable string keys, string values). */
    variables?: Record<string, string>;
  };
  /** Caller's id (e.g. a notification id), 1–64 printable ASCII characters; MSG91 sends it as CRQID. */
  reference?: string;
  /**
   * How long the message is worth sending, an integer 1–36 000 s; OTPs set it short. Twilio `ValidityPeriod`;
   * MSG91 has no equivalent, so there it is local only (the sender's pacing, and later the ledger, use it).
   */
  validityPeriodSec?: number;
  /**
   * Scheduled send; the result's status is 'scheduled'. Twilio: `ScheduleType=fixed` + `SendAt`, only through a
   * Messaging Service (fromNumber MG…) and 15 min – 35 days ahead, else `invalid_message` (nothing sent).
   * MSG91: `schtime` (Unix seconds), in the future. Rounded up to the whole second.
   */
  sendAt?: Date;
}

/** Message status as the providers name it (Twilio's vocabulary). */
export type SmsStatus =
  | 'accepted'
  | 'scheduled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'canceled'
  | 'read'
  | 'partially_delivered';

/** Character encoding a message is sent in. */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** What a successful `send()` resolves with. */
export interface SmsSendResult {
  /** Twilio SID (SM…) or MSG91 request id. */
  messageId: string;
  provider: SmsProviderName;
  /** Twilio's own status; MSG91 success → 'queued'; a `sendAt` → 'scheduled'. */
  status: SmsStatus;
  /** Twilio num_segments when given, else computed locally. */
  segments: number;
  encoding: SmsEncoding;
}

/** Per-call options of `send()` and `verify()`. */
export interface SmsCallOptions {
  /** Cancels the HTTP request (not just the wait). */
  signal?: AbortSignal;
  /**
   * The dispatch ledger's id of this attempt (128-bit random, URL-safe; docs/design.md §10): Twilio appends it to
   * the StatusCallback URL as `sms_attempt`, MSG91 sends it as CRQID.
   */
  attemptId?: string;
}

/** An SMS provider: Twilio or MSG91. */
export interface SmsProvider {
  readonly name: SmsProviderName;
  /** Sends one message; throws `SmsError` on failure. */
  send(message: SmsMessage, options?: SmsCallOptions): Promise<SmsSendResult>;
  /** Checks the credentials; throws `SmsError` when they are bad. */
  verify(options?: SmsCallOptions): Promise<void>;
}

/** A pino-style logger. It never receives secrets. */
export interface Logger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

/** Options shared by both providers. */
export interface ProviderOptions {
  /** Per-request timeout, 1 to 2^31 − 1 ms (`setTimeout`'s limit); default 10 000 ms. */
  timeoutMs?: number;
  /** Emulators/tests. Twilio default 'https://api.twilio.com'; MSG91 default 'https://control.msg91.com'. */
  apiBaseUrl?: string;
  /** Twilio: sent as StatusCallback with every message; an absolute http(s) URL of printable ASCII, sent normalized. */
  statusCallbackUrl?: string;
  logger?: Logger;
}
