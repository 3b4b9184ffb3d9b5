// Reconciliation step 2–3 (docs/design.md §11): list the account's messages to the recipient and match the attempts.
import { MESSAGING_SERVICE_SID_RE } from '../config/schemas.js';
import type { TwilioListedMessage, TwilioListQuery } from '../providers/twilio-listed-message.js';
import type { SmsLedgerAttempt } from './ledger-row.js';

/** What can list a Twilio account's messages (`TwilioProvider.listMessages`). */
export interface TwilioMessageLister {
  listMessages(query: TwilioListQuery): AsyncIterable<TwilioListedMessage[]>;
}

/** What a lookup found: the message, only look-alikes (`ambiguous`), nothing, or it stopped before the window ended. */
export type TwilioLookupResult =
  | { kind: 'found'; message: TwilioListedMessage }
  | { kind: 'ambiguous' }
  | { kind: 'none' }
  | { kind: 'incomplete' };

/** Inputs of `findTwilioMessage`. */
export interface TwilioLookupInput {
  to: string;
  attempts: readonly SmsLedgerAttempt[];
  /** Whether a listed body is the notification's (compared by fingerprint: the body is never stored). */
  bodyMatches(body: string): boolean;
  /** Whether another notification already holds this SID (then it is not a candidate at all). */
  taken(sid: string): Promise<boolean>;
  /** Pages to read before giving up (`incomplete`); default 20. */
  maxPages?: number;
  pageSize?: number;
}

// Twilio's date_created has whole seconds; our start is taken just before the request left: allow that much early.
const EARLY_MS = 1_000;

const windowOf = (a: SmsLedgerAttempt) => ({
  from: Math.floor(a.startedAt.getTime() / 1000) * 1000 - EARLY_MS,
  until: a.settleBy.getTime(),
  sender: a.sender,
});

/** Whether the message was sent by the attempt's sender (a From number, or a Messaging Service SID). */
const sentBy = (m: TwilioListedMessage, sender: string | undefined) =>
  sender === undefined ||
  (MESSAGING_SERVICE_SID_RE.test(sender) ? m.messagingServiceSid === sender : m.from === sender);

/**
 * Lists by `To` (plus `From` when every attempt used the same number) without a DateSent filter, newest first,
 * paging until `date_created` is before the earliest attempt's start. A message inside an attempt's window from its
 * sender whose body matches → found; one whose body differs or is empty → ambiguous (never proves absence).
 */
export async function findTwilioMessage(
  lister: TwilioMessageLister,
  input: TwilioLookupInput,
): Promise<TwilioLookupResult> {
  const windows = input.attempts.map(windowOf);
  const start = Math.min(...windows.map((w) => w.from));
  const senders = new Set(windows.map((w) => w.sender));
  const only = senders.size === 1 ? [...senders][0] : undefined;
  const query: TwilioListQuery = {
    to: input.to,
    pageSize: input.pageSize ?? 50,
    ...(only !== undefined && !MESSAGING_SERVICE_SID_RE.test(only) ? { from: only } : {}),
  };
  let ambiguous = false;
  let pages = 0;
  for await (const page of lister.listMessages(query)) {
    for (const m of page) {
      const t = m.dateCreated.getTime();
      if (t < start) return ambiguous ? { kind: 'ambiguous' } : { kind: 'none' };
      if (m.to !== input.to || !windows.some((w) => t >= w.from && t <= w.until && sentBy(m, w.sender)))
        continue;
      if (await input.taken(m.sid)) continue;
      if (m.body !== '' && input.bodyMatches(m.body)) return { kind: 'found', message: m };
      ambiguous = true;
    }
    if (++pages >= (input.maxPages ?? 20)) return ambiguous ? { kind: 'ambiguous' } : { kind: 'incomplete' };
  }
  return ambiguous ? { kind: 'ambiguous' } : { kind: 'none' };
}
