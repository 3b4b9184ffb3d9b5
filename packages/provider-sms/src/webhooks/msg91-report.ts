import { isAttemptId } from '../attempt-id.js';
import { nodeCrypto } from '../builtins.js';
import {
  malformedWebhook,
  msg91ReportStatus,
  type SmsStatusEvent,
  unauthenticatedWebhook,
} from './status.js';

/** Options of `parseMsg91DeliveryReport`. */
export interface Msg91DeliveryReportOptions {
  /** The shared secret the webhook URL must carry (last path segment or `?secret=`). */
  secret: string;
  /** Clock for `at` when a report has no readable date; default `() => new Date()`. */
  now?: () => Date;
}

/** The secret a request carries: `?secret=` when present, else the last path segment (URL-decoded). */
export function msg91SecretFromUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const q = u.searchParams.get('secret');
  if (q !== null) return q;
  const last = u.pathname.split('/').filter(Boolean).pop();
  if (last === undefined) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return undefined;
  }
}

/** Constant-time secret check: both sides hashed (SHA-256) first, so neither content nor length leaks. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (!expected) return false;
  const a = nodeCrypto()
    .createHash('sha256')
    .update(given ?? '')
    .digest();
  const b = nodeCrypto().createHash('sha256').update(expected).digest();
  return nodeCrypto().timingSafeEqual(a, b) && given !== undefined;
}

// MSG91 report dates ("2024-05-22 10:06:20") are Indian Standard Time.
function parseMsg91Date(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(value.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]}+05:30`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

function toEvent(report: Json, request: Json, now: () => Date): SmsStatusEvent {
  const messageId = str(report.requestId) ?? str(request.requestId);
  if (!messageId) throw malformedWebhook('msg91', 'MSG91 delivery report without requestId');
  const digits = str(report.number)?.replace(/^\+/, '');
  if (!digits || !/^\d{6,15}$/.test(digits))
    throw malformedWebhook('msg91', 'MSG91 delivery report without a valid number');
  const rawStatus = str(report.status);
  if (!rawStatus || !/^\d+$/.test(rawStatus))
    throw malformedWebhook('msg91', 'MSG91 delivery report without a numeric status');
  const mapped = msg91ReportStatus(rawStatus);
  const { report: _reports, ...requestFields } = request;
  const event: SmsStatusEvent = {
    provider: 'msg91',
    messageId,
    status: mapped.status,
    to: `+${digits}`,
    at: parseMsg91Date(report.date) ?? now(),
    raw: { ...requestFields, ...report },
  };
  if (mapped.code) {
    event.code = mapped.code;
    event.errorCode = Number(rawStatus);
  }
  const reference = str(report.CRQID) ?? str(request.CRQID);
  if (reference) event.reference = reference;
  if (isAttemptId(reference)) event.attemptId = reference;
  const from = str(report.senderId) ?? str(request.senderId);
  if (from) event.from = from;
  return event;
}

/** Normalizes parsed JSON (v2 requests with `report` arrays, v3 per-number objects, or arrays of either) into events. */
export function msg91EventsFromJson(body: unknown, now: () => Date = () => new Date()): SmsStatusEvent[] {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw malformedWebhook('msg91', 'MSG91 delivery report is empty');
  const events: SmsStatusEvent[] = [];
  for (const item of items) {
    if (!isObject(item)) throw malformedWebhook('msg91', 'MSG91 delivery report entry is not an object');
    if ('report' in item) {
      // v2: one request, its per-number reports.
      if (!Array.isArray(item.report))
        throw malformedWebhook('msg91', 'MSG91 delivery report `report` is not an array');
      for (const r of item.report) {
        if (!isObject(r)) throw malformedWebhook('msg91', 'MSG91 delivery report entry is not an object');
        events.push(toEvent(r, item, now));
      }
    } else {
      events.push(toEvent(item, {}, now)); // v3: one object per number.
    }
  }
  return events;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformedWebhook('msg91', 'MSG91 delivery report is not valid JSON');
  }
}

/** Checks the URL secret (403) and parses an MSG91 delivery report, v2 (form field `data`) or v3 (JSON), into events (400 if malformed). */
export async function parseMsg91DeliveryReport(
  request: Request,
  options: Msg91DeliveryReportOptions,
): Promise<SmsStatusEvent[]> {
  if (!secretMatches(msg91SecretFromUrl(request.url), options.secret)) {
    throw unauthenticatedWebhook('msg91', 'MSG91 delivery report without the expected secret');
  }
  if (request.method !== 'POST') throw malformedWebhook('msg91', 'MSG91 delivery report must be a POST');
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const text = await request.text();
  const now = options.now ?? (() => new Date());
  const looksJson = /^\s*[[{]/.test(text);
  if (type === 'application/x-www-form-urlencoded' || (type !== 'application/json' && !looksJson)) {
    const data = new URLSearchParams(text).get('data');
    if (data === null) throw malformedWebhook('msg91', 'MSG91 delivery report (v2) without a `data` field');
    return msg91EventsFromJson(parseJson(data), now);
  }
  return msg91EventsFromJson(parseJson(text), now);
}
