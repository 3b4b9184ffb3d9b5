// The SMS sandbox inbox: a loopback web page (plus JSON API and SSE stream) listing what the Twilio and
// MSG91 emulators "sent", with buttons that push delivery outcomes back to the service's webhooks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { countSegments } from '../../message.js';
import type { SmsEncoding } from '../../types.js';
import type {
  EmulatedMsg91Message,
  Msg91Emulator,
  Msg91ReportDelivery,
  Msg91ReportedStatus,
  RejectedMsg91Request,
} from '../msg91-emulator.js';
import type {
  EmulatedMessage,
  RejectedTwilioMessage,
  StatusCallbackDelivery,
  TwilioCallbackStatus,
  TwilioEmulator,
} from '../twilio-emulator.js';
import { hostGuard } from './loopback-host.js';
import { INBOX_CSS, INBOX_HTML, INBOX_JS } from './page.js';

/** Options of `startSmsInbox`. */
export interface SmsInboxOptions {
  /** The Twilio emulator whose messages to show. */
  twilio?: TwilioEmulator;
  /** The MSG91 emulator whose messages to show. */
  msg91?: Msg91Emulator;
  /** Default '127.0.0.1' (loopback only). */
  host?: string;
  /** Default 4012; 0 = a free port. */
  port?: number;
  /** Where MSG91 delivery reports go; default the MSG91 emulator's `dlrUrl`. */
  msg91DlrUrl?: string;
}

/** The last status callback / delivery report pushed for a message, with the webhook's answer. */
export interface SmsInboxDelivery {
  url: string;
  /** The status reported. */
  reported: string;
  /** The error code reported (Twilio ErrorCode, MSG91 report status), if any. */
  errorCode?: number;
  /** HTTP status of the webhook's answer. */
  status?: number;
  /** The webhook's answer body (first 4 KiB). */
  body?: string;
  /** Set when the POST failed (connection refused, …). */
  error?: string;
}

/** One row of the inbox (what `GET /api/messages` and the event stream carry). */
export interface SmsInboxMessage {
  /** Twilio: the SM… sid (RJ… when rejected); MSG91: `<requestId>-<mobile>` (a hex id when rejected). */
  id: string;
  provider: 'twilio' | 'msg91';
  /** False for a send the emulator refused (magic number, missing field…): then `errorCode` is set. */
  accepted: boolean;
  /** Twilio AccountSid; null for MSG91. */
  account: string | null;
  /** Twilio `From` or Messaging Service SID; MSG91 `sender` when given. */
  from: string | null;
  /** Recipient: Twilio `To` as sent; MSG91 '+' and the mobile (several mobiles joined by ', ' when rejected). */
  to: string;
  /** Twilio: the body; MSG91: the `body` variable, or '' when the template has none. */
  body: string;
  /** MSG91 only: the template id. */
  templateId?: string;
  /** MSG91 only: the recipient's template variables. */
  variables?: Record<string, string>;
  /** Twilio: counted on the body; MSG91: an estimate on the variables' text. */
  segments: number;
  encoding: SmsEncoding;
  /** Twilio's status vocabulary; 'rejected' for a refused send. */
  status: string;
  /** Send-time error code of a rejected send (Twilio 21211…, MSG91 '301'…), or the last reported delivery error code. */
  errorCode?: number | string;
  errorMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  /** Where status buttons POST: Twilio StatusCallback, MSG91 DLR URL; null when there is none. */
  callbackUrl: string | null;
  lastDelivery?: SmsInboxDelivery;
}

/** A running inbox. */
export interface SmsInbox {
  /** e.g. `http://127.0.0.1:4012/` (with the trailing slash). */
  url: string;
  /** Stops the server, ends event streams and unsubscribes from the emulators. */
  close(): Promise<void>;
}

const TWILIO_STATUSES: readonly TwilioCallbackStatus[] = ['sent', 'delivered', 'undelivered', 'failed'];
const MSG91_STATUSES: readonly Msg91ReportedStatus[] = ['delivered', 'undelivered', 'failed'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Builds the inbox rows from the emulators' state (shared by the API and the event stream). */
class InboxModel {
  private readonly segmentCache = new Map<string, { segments: number; encoding: SmsEncoding }>();

  constructor(
    readonly twilio: TwilioEmulator | undefined,
    readonly msg91: Msg91Emulator | undefined,
    readonly msg91DlrUrl: string | undefined,
  ) {}

  get dlrUrl(): string | undefined {
    return this.msg91DlrUrl ?? this.msg91?.dlrUrl;
  }

  private async count(key: string, text: string) {
    let hit = this.segmentCache.get(key);
    if (!hit) {
      hit = await countSegments(text);
      this.segmentCache.set(key, hit);
    }
    return hit;
  }

  async fromTwilio(m: EmulatedMessage): Promise<SmsInboxMessage> {
    const row: SmsInboxMessage = {
      id: m.sid,
      provider: 'twilio',
      accepted: true,
      account: m.accountSid,
      from: m.from ?? m.messagingServiceSid ?? null,
      to: m.to,
      body: m.body,
      segments: m.segments,
      encoding: m.encoding,
      status: m.status,
      createdAt: m.createdAt.toISOString(),
      callbackUrl: m.statusCallback ?? null,
    };
    if (m.errorCode !== undefined) row.errorCode = m.errorCode;
    const last = this.twilio?.callbacks.findLast((c) => c.params.MessageSid === m.sid);
    if (last) row.lastDelivery = twilioDelivery(last);
    return row;
  }

  async fromTwilioRejected(r: RejectedTwilioMessage): Promise<SmsInboxMessage> {
    const { segments, encoding } = await this.count(r.id, r.body);
    return {
      id: r.id,
      provider: 'twilio',
      accepted: false,
      account: r.accountSid,
      from: r.from ?? r.messagingServiceSid ?? null,
      to: r.to,
      body: r.body,
      segments,
      encoding,
      status: 'rejected',
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      createdAt: r.createdAt.toISOString(),
      callbackUrl: null,
    };
  }

  async fromMsg91(m: EmulatedMsg91Message): Promise<SmsInboxMessage> {
    const id = `${m.requestId}-${m.mobile}`;
    const { segments, encoding } = await this.count(id, variablesText(m.variables));
    const row: SmsInboxMessage = {
      id,
      provider: 'msg91',
      accepted: true,
      account: null,
      from: m.sender ?? null,
      to: `+${m.mobile}`,
      body: m.variables.body ?? '',
      templateId: m.templateId,
      variables: { ...m.variables },
      segments,
      encoding,
      status: m.status ?? 'queued',
      createdAt: m.createdAt.toISOString(),
      callbackUrl: this.dlrUrl ?? null,
    };
    if (m.reportStatus !== undefined && m.status !== 'delivered') row.errorCode = m.reportStatus;
    const last = this.msg91?.reports.findLast((d) => reportCovers(d, m.requestId, m.mobile));
    if (last) row.lastDelivery = msg91Delivery(last, m.mobile);
    return row;
  }

  async fromMsg91Rejected(r: RejectedMsg91Request): Promise<SmsInboxMessage> {
    const { segments, encoding } = await this.count(r.id, variablesText(r.variables));
    const row: SmsInboxMessage = {
      id: r.id,
      provider: 'msg91',
      accepted: false,
      account: null,
      from: null,
      to: r.mobiles.map((m) => (/^\d+$/.test(m) ? `+${m}` : m)).join(', '),
      body: r.variables.body ?? '',
      templateId: r.templateId,
      variables: { ...r.variables },
      segments,
      encoding,
      status: 'rejected',
      errorMessage: r.errorMessage,
      createdAt: r.createdAt.toISOString(),
      callbackUrl: null,
    };
    if (r.errorCode !== undefined) row.errorCode = r.errorCode;
    return row;
  }

  /** Every row, newest first. */
  async all(): Promise<SmsInboxMessage[]> {
    const rows: { row: SmsInboxMessage; order: number }[] = [];
    let order = 0;
    const add = async <T>(items: readonly T[] | undefined, map: (x: T) => Promise<SmsInboxMessage>) => {
      for (const x of items ?? []) rows.push({ row: await map(x), order: order++ });
    };
    await add(this.twilio?.messages, (m) => this.fromTwilio(m));
    await add(this.twilio?.rejected, (r) => this.fromTwilioRejected(r));
    await add(this.msg91?.messages, (m) => this.fromMsg91(m));
    await add(this.msg91?.rejected, (r) => this.fromMsg91Rejected(r));
    rows.sort((a, b) => b.row.createdAt.localeCompare(a.row.createdAt) || b.order - a.order);
    return rows.map((r) => r.row);
  }

  /** Finds the row `id` refers to (accepted messages only). */
  find(id: string): { twilio: EmulatedMessage } | { msg91: EmulatedMsg91Message } | undefined {
    const tw = this.twilio?.messages.find((m) => m.sid === id);
    if (tw) return { twilio: tw };
    const m91 = this.msg91?.messages.find((m) => `${m.requestId}-${m.mobile}` === id);
    if (m91) return { msg91: m91 };
    return undefined;
  }

  isRejected(id: string): boolean {
    return Boolean(
      this.twilio?.rejected.some((r) => r.id === id) || this.msg91?.rejected.some((r) => r.id === id),
    );
  }

  /** Empties the recorded messages, rejected attempts and deliveries (faults, balance and accounts stay). */
  clear(): number {
    let n = 0;
    for (const list of [
      this.twilio?.messages,
      this.twilio?.rejected,
      this.msg91?.messages,
      this.msg91?.rejected,
    ]) {
      n += list?.length ?? 0;
      if (list) list.length = 0;
    }
    if (this.twilio) this.twilio.callbacks.length = 0;
    if (this.msg91) this.msg91.reports.length = 0;
    this.segmentCache.clear();
    return n;
  }
}

function variablesText(variables: Record<string, string>): string {
  return variables.body ?? Object.values(variables).join(' ');
}

function twilioDelivery(c: StatusCallbackDelivery): SmsInboxDelivery {
  const d: SmsInboxDelivery = { url: c.url, reported: c.params.MessageStatus ?? '' };
  if (c.params.ErrorCode) d.errorCode = Number(c.params.ErrorCode);
  if (c.responseStatus !== undefined) d.status = c.responseStatus;
  if (c.responseBody !== undefined) d.body = c.responseBody;
  if (c.error !== undefined) d.error = c.error;
  return d;
}

type ReportRequest = { requestId?: string; report?: { number?: string; status?: string }[] };

function reportCovers(d: Msg91ReportDelivery, requestId: string, mobile: string): boolean {
  return (d.data as ReportRequest[]).some(
    (r) => r.requestId === requestId && (r.report ?? []).some((x) => x.number === mobile),
  );
}

function msg91Delivery(d: Msg91ReportDelivery, mobile: string): SmsInboxDelivery {
  const entry = (d.data as ReportRequest[]).flatMap((r) => r.report ?? []).find((x) => x.number === mobile);
  const code = Number(entry?.status);
  const out: SmsInboxDelivery = { url: d.url, reported: d.reported };
  if (d.reported !== 'delivered' && Number.isFinite(code)) out.errorCode = code;
  if (d.responseStatus !== undefined) out.status = d.responseStatus;
  if (d.responseBody !== undefined) out.body = d.responseBody;
  if (d.error !== undefined) out.error = d.error;
  return out;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'content-length': String(buf.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...headers,
  });
  res.end(buf);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json; charset=utf-8' });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // Requiring JSON also keeps other web pages out: a cross-site form cannot send it without a preflight.
  if (type !== 'application/json') throw new HttpError(415, 'expected Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** Starts the SMS sandbox inbox: the page at `/`, `GET|DELETE /api/messages`, `POST /api/messages/:id/status` and SSE at `/api/events`. */
export async function startSmsInbox(opts: SmsInboxOptions): Promise<SmsInbox> {
  const { twilio, msg91 } = opts;
  if (!twilio && !msg91) throw new TypeError('startSmsInbox needs a twilio and/or msg91 emulator');
  const host = opts.host ?? '127.0.0.1';
  const model = new InboxModel(twilio, msg91, opts.msg91DlrUrl);
  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let port = 0;

  // Events go out in the order they happened, although building a row is async.
  let queue: Promise<void> = Promise.resolve();
  const broadcast = (build: () => Promise<{ event: string; data: unknown }[]>) => {
    queue = queue
      .then(async () => {
        const events = await build();
        for (const { event, data } of events) {
          const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
          for (const s of streams) s.write(frame);
        }
      })
      .catch(() => undefined);
  };
  const snapshot = async () => [{ event: 'snapshot', data: { messages: await model.all() } }];
  const unsubscribers: (() => void)[] = [];
  if (twilio) {
    unsubscribers.push(
      twilio.subscribe((e) => {
        if (e.type === 'reset') return broadcast(snapshot);
        broadcast(async () => [
          {
            event: 'message',
            data:
              e.type === 'rejected'
                ? await model.fromTwilioRejected(e.rejected)
                : await model.fromTwilio(e.message),
          },
        ]);
      }),
    );
  }
  if (msg91) {
    unsubscribers.push(
      msg91.subscribe((e) => {
        if (e.type === 'reset') return broadcast(snapshot);
        broadcast(async () => {
          if (e.type === 'rejected')
            return [{ event: 'message', data: await model.fromMsg91Rejected(e.rejected) }];
          const out = [];
          for (const m of e.messages) out.push({ event: 'message', data: await model.fromMsg91(m) });
          return out;
        });
      }),
    );
  }

  const hostAllowed = hostGuard(host, () => port);

  const fireStatus = async (id: string, input: unknown): Promise<SmsInboxDelivery> => {
    if (typeof input !== 'object' || input === null)
      throw new HttpError(400, 'body must be { status, errorCode? }');
    const { status, errorCode } = input as { status?: unknown; errorCode?: unknown };
    let code: number | undefined;
    if (errorCode !== undefined && errorCode !== null && errorCode !== '') {
      code = Number(errorCode);
      if (!Number.isInteger(code) || code < 0)
        throw new HttpError(400, 'errorCode must be a non-negative integer');
    }
    const target = model.find(id);
    if (!target) {
      if (model.isRejected(id)) throw new HttpError(409, 'a rejected send has no delivery status to report');
      throw new HttpError(404, `no message ${id}`);
    }
    if ('twilio' in target) {
      if (!TWILIO_STATUSES.includes(status as TwilioCallbackStatus))
        throw new HttpError(400, `status must be one of ${TWILIO_STATUSES.join(', ')}`);
      if (!target.twilio.statusCallback)
        throw new HttpError(409, 'this message was sent without a StatusCallback URL');
      const d = await twilio!.fireStatusCallback(target.twilio.sid, {
        status: status as TwilioCallbackStatus,
        ...(code !== undefined ? { errorCode: code } : {}),
      });
      return twilioDelivery(d);
    }
    if (!MSG91_STATUSES.includes(status as Msg91ReportedStatus))
      throw new HttpError(400, `status must be one of ${MSG91_STATUSES.join(', ')}`);
    const url = model.dlrUrl;
    if (!url) throw new HttpError(409, 'no MSG91 delivery report URL configured');
    const d = await msg91!.fireDeliveryReport(target.msg91.requestId, {
      status: status as Msg91ReportedStatus,
      mobile: target.msg91.mobile,
      url,
      ...(code !== undefined ? { code } : {}),
    });
    return msg91Delivery(d, target.msg91.mobile);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host)) throw new HttpError(421, 'unexpected Host header');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://inbox.local');
    const path = url.pathname;
    if (method !== 'GET' && method !== 'HEAD') {
      const origin = req.headers.origin;
      if (origin && origin !== 'null' && new URL(origin).host !== req.headers.host)
        throw new HttpError(403, 'cross-origin request refused');
    }
    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      return send(res, 200, INBOX_HTML, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy':
          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
      });
    }
    if (method === 'GET' && path === '/inbox.js')
      return send(res, 200, INBOX_JS, { 'content-type': 'text/javascript; charset=utf-8' });
    if (method === 'GET' && path === '/inbox.css')
      return send(res, 200, INBOX_CSS, { 'content-type': 'text/css; charset=utf-8' });
    if (method === 'GET' && path === '/favicon.ico') return send(res, 204, '', {});
    if (path === '/api/messages') {
      if (method === 'GET') {
        const to = url.searchParams.get('to')?.trim() ?? '';
        const provider = url.searchParams.get('provider')?.trim().toLowerCase() ?? '';
        const messages = (await model.all()).filter(
          (m) => (!to || m.to.includes(to)) && (!provider || m.provider === provider),
        );
        return sendJson(res, 200, { messages });
      }
      if (method === 'DELETE') {
        const cleared = model.clear();
        broadcast(snapshot);
        return sendJson(res, 200, { cleared });
      }
      throw new HttpError(405, 'use GET or DELETE');
    }
    const statusPath = /^\/api\/messages\/([^/]+)\/status$/.exec(path);
    if (statusPath) {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      const delivered = await fireStatus(decodeURIComponent(statusPath[1]!), await readJson(req));
      return sendJson(res, 200, { delivered });
    }
    if (path === '/api/config' && method === 'GET') {
      return sendJson(res, 200, {
        twilio: twilio ? { url: twilio.url, accountSid: twilio.accountSid } : null,
        msg91: msg91 ? { url: msg91.url, templateId: msg91.templateId, dlrUrl: model.dlrUrl ?? null } : null,
      });
    }
    if (path === '/api/events' && method === 'GET') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      res.write('retry: 1000\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      // The snapshot goes through the queue: nothing that happens after it is lost or reordered.
      queue = queue
        .then(async () => {
          if (!res.destroyed)
            res.write(`event: snapshot\ndata: ${JSON.stringify({ messages: await model.all() })}\n\n`);
        })
        .catch(() => undefined);
      return;
    }
    throw new HttpError(404, `no route ${method} ${path}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      const status = err instanceof HttpError ? err.status : 500;
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 4012, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    clearInterval(heartbeat);
    for (const u of unsubscribers) u();
    throw err;
  }
  const address = server.address() as AddressInfo;
  port = address.port;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${address.port}/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const u of unsubscribers) u();
        for (const s of streams) s.end();
        streams.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
