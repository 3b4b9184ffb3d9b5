import { type EmulatorResponse, jsonResponse } from './core.js';
import type { EmulatedMessage } from './twilio-emulator.js';
import { TWILIO_API_VERSION, twilioMessageResource } from './twilio-message-resource.js';

/** Twilio's default `PageSize` of a list. */
export const TWILIO_DEFAULT_PAGE_SIZE = 50;
/** The largest `PageSize` Twilio accepts. */
export const TWILIO_MAX_PAGE_SIZE = 1000;

// The filters a next/previous page keeps, in Twilio's order.
const FILTERS = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'] as const;

/** An answer of the list endpoint that is not a page: Twilio's 400 for a bad parameter. */
export type ListFailure = { code: number; message: string };

/** The UTC day (YYYY-MM-DD) of a `DateSent` value (a day or an ISO date-time: Twilio filters by day), or undefined. */
function dayOf(value: string): string | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const d = new Date(day);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

/** The messages matching `To`, `From` and the `DateSent` filters (an unsent message has no `date_sent`: any DateSent filter hides it). */
function matching(messages: readonly EmulatedMessage[], q: URLSearchParams): EmulatedMessage[] | ListFailure {
  const days: Partial<Record<(typeof FILTERS)[number], string>> = {};
  for (const key of ['DateSent', 'DateSent<', 'DateSent>'] as const) {
    const v = q.get(key);
    if (v === null) continue;
    const day = dayOf(v);
    if (!day) return { code: 20001, message: `Invalid ${key}: ${v}` };
    days[key] = day;
  }
  const to = q.get('To');
  const from = q.get('From');
  return messages.filter((m) => {
    if (to !== null && m.to !== to) return false;
    if (from !== null && m.from !== from) return false;
    if (!days.DateSent && !days['DateSent<'] && !days['DateSent>']) return true;
    const sent = m.sentAt?.toISOString().slice(0, 10);
    if (!sent) return false;
    if (days.DateSent && sent !== days.DateSent) return false;
    if (days['DateSent<'] && sent > days['DateSent<']) return false;
    if (days['DateSent>'] && sent < days['DateSent>']) return false;
    return true;
  });
}

/** Where a page starts: after the `PA<sid>` token's message, before the `PB<sid>` one's, else at `Page × PageSize`. */
function startIndex(
  list: readonly EmulatedMessage[],
  page: number,
  size: number,
  token: string | null,
): number {
  const at = token ? list.findIndex((m) => m.sid === token.slice(2)) : -1;
  if (at >= 0 && token?.startsWith('PA')) return at + 1;
  if (at >= 0 && token?.startsWith('PB')) return Math.max(0, at - size);
  return page * size;
}

/**
 * `GET …/Messages.json` of one account as Twilio answers it: filtered by `To` / `From` / `DateSent` (also `DateSent<`,
 * `DateSent>`, by day), newest first, `PageSize` (default 50, at most 1000) and `Page` / `PageToken` paging, in
 * Twilio's list envelope (`messages`, `page`, `page_size`, `start`, `end`, `uri`, `first_page_uri`,
 * `next_page_uri`, `previous_page_uri`).
 */
export function listTwilioMessages(
  messages: readonly EmulatedMessage[],
  accountSid: string,
  query: URLSearchParams,
): EmulatorResponse {
  const fail = (f: ListFailure) =>
    jsonResponse(400, {
      code: f.code,
      message: f.message,
      more_info: `https://www.twilio.com/docs/errors/${f.code}`,
      status: 400,
    });
  const size = Number(query.get('PageSize') ?? TWILIO_DEFAULT_PAGE_SIZE);
  if (!Number.isInteger(size) || size < 1 || size > TWILIO_MAX_PAGE_SIZE)
    return fail({ code: 20001, message: `PageSize must be an integer from 1 to ${TWILIO_MAX_PAGE_SIZE}` });
  const page = Number(query.get('Page') ?? 0);
  if (!Number.isInteger(page) || page < 0)
    return fail({ code: 20001, message: 'Page must be a non-negative integer' });
  const found = matching(
    messages.filter((m) => m.accountSid === accountSid),
    query,
  );
  if (!Array.isArray(found)) return fail(found);
  // Newest first; messages created in the same millisecond keep the newest-recorded first.
  const list = found
    .map((m, i) => ({ m, i }))
    .sort((a, b) => b.m.createdAt.getTime() - a.m.createdAt.getTime() || b.i - a.i)
    .map((x) => x.m);
  const start = startIndex(list, page, size, query.get('PageToken'));
  const items = list.slice(start, start + size);
  const base = `/${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages.json`;
  const uri = (p: number, token?: string) => {
    const q = new URLSearchParams();
    for (const key of FILTERS) {
      const v = query.get(key);
      if (v !== null) q.set(key, v);
    }
    q.set('PageSize', String(size));
    q.set('Page', String(p));
    if (token) q.set('PageToken', token);
    return `${base}?${q.toString()}`;
  };
  const last = items.at(-1);
  const first = items[0];
  return jsonResponse(200, {
    messages: items.map(twilioMessageResource),
    end: items.length === 0 ? 0 : start + items.length - 1,
    first_page_uri: uri(0),
    next_page_uri: last && start + items.length < list.length ? uri(page + 1, `PA${last.sid}`) : null,
    page,
    page_size: size,
    previous_page_uri: first && page > 0 && start > 0 ? uri(page - 1, `PB${first.sid}`) : null,
    start,
    uri: uri(page, query.get('PageToken') ?? undefined),
  });
}
