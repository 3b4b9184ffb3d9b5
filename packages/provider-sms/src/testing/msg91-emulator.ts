import { MAX_TIMER_MS } from '../duration.js';
import {
  type BehaviourResult,
  EMULATOR_MAX_BODY_BYTES,
  type EmulatorFault,
  EmulatorListeners,
  type EmulatorRequest,
  type EmulatorResponse,
  EmulatorRuntime,
  jsonResponse,
  type ReceivedRequest,
  randomHex,
  seededHex,
  sleep,
  startServer,
} from './core.js';
import { msg91DeliveryReport, postMsg91Report } from './msg91-delivery-report.js';
import { MSG91_INVALID_SCHTIME_MESSAGE, parseMsg91Schtime } from './msg91-schtime.js';
import { PendingWork } from './pending-work.js';

/** A MSG91 Flow template the emulator knows, with the variables every recipient must carry. */
export interface Msg91Template {
  id: string;
  /** Variable names each recipient object must hold; default `['body']`. */
  variables?: string[];
}

/** One recipient of a message the MSG91 emulator accepted (a request with N mobiles records N entries). */
export interface EmulatedMsg91Message {
  /** The request id returned as `message` (24 hex), shared by the request's recipients. */
  requestId: string;
  templateId: string;
  /** Country code + number, digits only. */
  mobile: string;
  /** The recipient's variables (every key except `mobiles`), as sent. */
  variables: Record<string, string>;
  /** The request's `CRQID`, when given. */
  crqid?: string;
  /** The request's `sender`, when given. */
  sender?: string;
  shortUrl: boolean;
  /** The request's `schtime`, as sent, when it was scheduled. */
  schtime?: string;
  /** The time `schtime` names (its date-time forms read as India time, +05:30). */
  sendAt?: Date;
  createdAt: Date;
  /** Set by `fireDeliveryReport`: the status reported last. */
  status?: Msg91ReportedStatus;
  /** Set by `fireDeliveryReport`: the MSG91 report status code sent last (1 delivered, 2 failed…). */
  reportStatus?: number;
}

/** A status `fireDeliveryReport` can report. */
export type Msg91ReportedStatus = 'delivered' | 'failed' | 'undelivered';

/** A send request with the valid auth key that the emulator refused (magic mobile, unknown template…). */
export interface RejectedMsg91Request {
  /** 24 hex: an emulator-only id (MSG91 gives refused requests none). */
  id: string;
  /** '' when the request carried none. */
  templateId: string;
  /** Every mobile of the request, as sent. */
  mobiles: string[];
  /** The first recipient's variables (every key except `mobiles`). */
  variables: Record<string, string>;
  /** MSG91's error code (`code` of the answer), when it gave one, e.g. '301'. */
  errorCode?: string;
  errorMessage: string;
  httpStatus: number;
  createdAt: Date;
}

/** One delivery report (DLR v2: form field `data` = JSON array of requests) the emulator POSTed. */
export interface Msg91ReportDelivery {
  url: string;
  /** The status reported. */
  reported: Msg91ReportedStatus;
  /** The JSON array sent as the form field `data`. */
  data: unknown[];
  /** HTTP status of the endpoint's answer. */
  responseStatus?: number;
  /** The endpoint's answer body (first 4 KiB). */
  responseBody?: string;
  /** Set when the POST failed (connection refused, …). */
  error?: string;
}

/** What a MSG91 emulator reports to `subscribe()` listeners. */
export type Msg91EmulatorEvent =
  | { type: 'message'; messages: EmulatedMsg91Message[] }
  | { type: 'rejected'; rejected: RejectedMsg91Request }
  | { type: 'status'; messages: EmulatedMsg91Message[]; delivery: Msg91ReportDelivery }
  | { type: 'reset' };

/** Options of `fireDeliveryReport`. */
export interface FireDeliveryReportOptions {
  status: Msg91ReportedStatus;
  /** Only this recipient (digits, as recorded); default every recipient of the request. */
  mobile?: string;
  /** The report status code; default 1 (delivered), 2 (failed), 26 (undelivered: any code our parser does not list). */
  code?: number;
  /** Overrides the emulator's `dlrUrl`. */
  url?: string;
}

/** Options of `startMsg91Emulator`. */
export interface Msg91EmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** The valid auth key; default a generated one. */
  authKey?: string;
  /**
   * Derives the generated auth key and template id from this string: the same seed gives the same ones
   * across restarts. `authKey` / `templates`, when given, win.
   */
  seed?: string;
  /** Known templates; default one generated template (24 hex id) with the variable `body`. */
  templates?: Msg91Template[];
  /** Starting balance in SMS credits (one per mobile sent); default 1000. Running out answers 301. */
  balance?: number;
  /** An identical request within this window answers 311 (duplicate); default 10 000 ms, 0 disables. */
  duplicateWindowMs?: number;
  /** Where `fireDeliveryReport` POSTs delivery reports (MSG91's dashboard setting); none by default. */
  dlrUrl?: string;
  /**
   * 'test' (default): reports only through `fireDeliveryReport`. 'live': after each accepted send the emulator
   * POSTs a 'delivered' report (CRQID echoed) to `dlrUrl` by itself, `dlrDelayMs` later.
   */
  mode?: 'test' | 'live';
  /** Live mode: how long after a send its delivery report is POSTed (ms); default 10. */
  dlrDelayMs?: number;
}

/** A running MSG91 emulator (a real HTTP server). */
export interface Msg91Emulator {
  /** Base URL, e.g. `http://127.0.0.1:54321`: use it as `apiBaseUrl`. */
  url: string;
  authKey: string;
  /** The first template's id. */
  templateId: string;
  templates: readonly Msg91Template[];
  /** Recipients accepted, oldest first. */
  messages: EmulatedMsg91Message[];
  /** Send requests with the valid auth key that were refused, oldest first. */
  rejected: RejectedMsg91Request[];
  /** Delivery reports POSTed by `fireDeliveryReport`. */
  reports: Msg91ReportDelivery[];
  /** Where delivery reports go (settable); undefined = not configured. */
  dlrUrl: string | undefined;
  /** Send requests (POST /api/v5/flow) received, including faulted ones. */
  readonly received: number;
  /** Every request received (method and path, without the query string), faulted or not. */
  requests: ReceivedRequest[];
  /** Current balance. */
  readonly balance: number;
  /** 'test' or 'live'. */
  readonly mode: 'test' | 'live';
  /** Sets the balance (SMS credits, a non-negative integer): what `balance.php` answers, and 301 once used up. */
  setBalance(credits: number): void;
  /** Resolves when every delivery report started so far (by itself or `fireDeliveryReport`) has been POSTed (or failed). */
  settled(): Promise<void>;
  /** Queues a fault for the next request(s). */
  inject(fault: EmulatorFault): void;
  /** Clears messages, rejected requests, reports, requests, pending faults and the duplicate window; restores the starting balance. */
  reset(): void;
  /** Calls `listener` on each accepted or rejected request, delivery report and reset; returns the unsubscribe function. */
  subscribe(listener: (event: Msg91EmulatorEvent) => void): () => void;
  /** POSTs a DLR v2 batch (form field `data`) for request `requestId` to `dlrUrl`; resolves with the delivery. */
  fireDeliveryReport(requestId: string, options: FireDeliveryReportOptions): Promise<Msg91ReportDelivery>;
  /** Stops the server, drops open connections and frees the port. */
  close(): Promise<void>;
}

/**
 * Magic mobiles of the MSG91 emulator (MSG91 defines none): a request containing one of these numbers
 * answers HTTP 200 `{ type: 'error', code, message }` with that code, and sends nothing.
 *
 * | mobile | code | meaning |
 * |---|---|---|
 * | 910000000203 | 203 | invalid sender id / DLT mismatch |
 * | 910000000207 | 207 | authentication failure (key blocked) |
 * | 910000000301 | 301 | insufficient balance |
 * | 910000000311 | 311 | duplicate request |
 * | 910000000418 | 418 | IP not whitelisted |
 *
 * The other errors come from real inputs: no `authkey` header → 106; a wrong key → 201 "Invalid authkey";
 * no `template_id`, or a recipient missing a template variable → 102; an unknown template →
 * "The provided flow ID or template ID is invalid."; no recipients / no `mobiles` → 101; a mobile that is
 * not 10–15 digits (e.g. with '+') → 202; a `schtime` in none of MSG91's documented formats →
 * `MSG91_INVALID_SCHTIME_MESSAGE`; an identical request within `duplicateWindowMs` → 311; a
 * balance below the number of mobiles → 301.
 */
export const MSG91_MAGIC_MOBILES: Readonly<Record<string, { code: string; message: string }>> = {
  '910000000203': {
    code: '203',
    message: 'Invalid sender id or template not approved for this sender (DLT)',
  },
  '910000000207': { code: '207', message: 'Invalid authentication key or account blocked' },
  '910000000301': { code: '301', message: 'Insufficient balance' },
  '910000000311': { code: '311', message: 'Request rejected: same request repeated within 10 seconds' },
  '910000000418': { code: '418', message: 'IP not whitelisted' },
};

/** The message MSG91 gives for an unknown flow/template id. */
export const MSG91_INVALID_TEMPLATE_MESSAGE = 'The provided flow ID or template ID is invalid.';

/** The mutable account state `handleMsg91Request` reads. */
export interface Msg91State {
  authKey: string;
  templates: readonly Msg91Template[];
  balance: number;
  duplicateWindowMs: number;
  /** Request fingerprint → time (ms) it was accepted. */
  recent: Map<string, number>;
}

/** The outcome of `handleMsg91Request`: a response, and what to record when the send was accepted. */
export interface Msg91Handled {
  response: EmulatorResponse;
  accepted?: { messages: EmulatedMsg91Message[]; fingerprint: string };
}

/** Generates a MSG91-looking auth key (6 digits, "A", 24 hex). */
export function createMsg91AuthKey(seed?: string): string {
  const digits =
    seed === undefined ? Math.random() : Number.parseInt(seededHex(seed, 'msg91-key-n', 6), 16) / 2 ** 48;
  return `${Math.floor(100000 + digits * 899999)}A${seededHex(seed, 'msg91-auth-key', 12)}`;
}

const error = (code: string | undefined, message: string, status = 200): Msg91Handled => ({
  response: jsonResponse(
    status,
    code === undefined ? { type: 'error', message } : { type: 'error', message, code },
  ),
});

/**
 * MSG91's behaviour as a function from request to response (shared by the HTTP server and the msw
 * handlers): `POST /api/v5/flow` and `GET /api/balance.php`; errors are HTTP 200 with `type: "error"`.
 */
export function handleMsg91Request(req: EmulatorRequest, state: Msg91State, now = Date.now()): Msg91Handled {
  const url = new URL(req.path, 'http://msg91.local');
  const pathname = url.pathname.replace(/\/+$/, '');
  if (pathname === '/api/balance.php') {
    if (req.method !== 'GET' && req.method !== 'POST') return error(undefined, 'Method not allowed', 405);
    if (url.searchParams.get('authkey') !== state.authKey) {
      return { response: jsonResponse(200, { msg: 'Invalid authkey', msgType: 'error' }) };
    }
    return {
      response: {
        status: 200,
        headers: { 'content-type': 'text/html; charset=UTF-8' },
        body: String(state.balance),
      },
    };
  }
  if (pathname !== '/api/v5/flow') return error('404', `Route ${pathname} not found`, 404);
  if (req.method !== 'POST') return error('405', 'Method not allowed', 405);

  const authKey = req.headers.authkey;
  if (!authKey) return error('106', 'Missing authkey');
  if (authKey !== state.authKey) return error('201', 'Invalid authkey');

  let payload: unknown;
  try {
    payload = JSON.parse(req.body);
  } catch {
    return error('400', 'Invalid JSON body', 400);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return error('400', 'Invalid JSON body', 400);
  }
  const p = payload as Record<string, unknown>;
  const templateId =
    typeof p.template_id === 'string' ? p.template_id : typeof p.flow_id === 'string' ? p.flow_id : '';
  if (!templateId) return error('102', 'Missing template_id');
  const template = state.templates.find((t) => t.id === templateId);
  if (!template) return error(undefined, MSG91_INVALID_TEMPLATE_MESSAGE);
  const recipients = p.recipients;
  if (!Array.isArray(recipients) || recipients.length === 0) return error('101', 'Missing mobile');

  const messages: EmulatedMsg91Message[] = [];
  const requestId = randomHex(12);
  const createdAt = new Date(now);
  const crqid = typeof p.CRQID === 'string' ? p.CRQID : undefined;
  const sender = typeof p.sender === 'string' && p.sender ? p.sender : undefined;
  const shortUrl = p.short_url === '1' || p.short_url === 1 || p.short_url === true;
  const sendAt = p.schtime === undefined ? undefined : parseMsg91Schtime(p.schtime);
  if (p.schtime !== undefined && !sendAt) return error(undefined, MSG91_INVALID_SCHTIME_MESSAGE);
  const schedule = sendAt ? { schtime: String(p.schtime), sendAt } : {};
  for (const r of recipients) {
    if (typeof r !== 'object' || r === null) return error('101', 'Missing mobile');
    const rec = r as Record<string, unknown>;
    if (typeof rec.mobiles !== 'string' && typeof rec.mobiles !== 'number')
      return error('101', 'Missing mobile');
    const mobiles = String(rec.mobiles)
      .split(',')
      .map((s) => s.trim());
    if (mobiles.every((s) => s === '')) return error('101', 'Missing mobile');
    const variables: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec)) if (k !== 'mobiles') variables[k] = String(v);
    for (const name of template.variables ?? ['body']) {
      if (!(name in variables)) return error('102', `Missing template variable '${name}'`);
    }
    for (const mobile of mobiles) {
      if (!/^\d{10,15}$/.test(mobile)) return error('202', `Invalid mobile number: ${mobile}`);
      const magic = MSG91_MAGIC_MOBILES[mobile];
      if (magic) return error(magic.code, magic.message);
      messages.push({
        requestId,
        templateId,
        mobile,
        variables,
        shortUrl,
        createdAt,
        ...(crqid !== undefined ? { crqid } : {}),
        ...(sender !== undefined ? { sender } : {}),
        ...schedule,
      });
    }
  }
  const fingerprint = `${state.authKey}\n${JSON.stringify(payload)}`;
  const seen = state.recent.get(fingerprint);
  if (state.duplicateWindowMs > 0 && seen !== undefined && now - seen < state.duplicateWindowMs) {
    return error('311', 'Request rejected: same request repeated within 10 seconds');
  }
  if (state.balance < messages.length) return error('301', 'Insufficient balance');
  return {
    response: jsonResponse(200, { type: 'success', message: requestId }),
    accepted: { messages, fingerprint },
  };
}

/** State shared by the MSG91 HTTP server and its msw handlers. @internal */
export class Msg91EmulatorCore {
  readonly runtime = new EmulatorRuntime();
  readonly messages: EmulatedMsg91Message[];
  readonly state: Msg91State;
  readonly rejected: RejectedMsg91Request[] = [];
  readonly reports: Msg91ReportDelivery[] = [];
  dlrUrl: string | undefined;
  readonly mode: 'test' | 'live';
  private readonly dlrDelayMs: number;
  private readonly startBalance: number;
  private readonly listeners = new EmulatorListeners<Msg91EmulatorEvent>();
  private readonly pending = new PendingWork();

  constructor(opts: Omit<Msg91EmulatorOptions, 'host' | 'port'> & { messages?: EmulatedMsg91Message[] }) {
    this.dlrUrl = opts.dlrUrl;
    this.mode = opts.mode ?? 'test';
    if (this.mode !== 'test' && this.mode !== 'live')
      throw new RangeError(`mode must be 'test' or 'live' (got ${String(opts.mode)})`);
    this.dlrDelayMs = opts.dlrDelayMs ?? 10;
    if (!Number.isFinite(this.dlrDelayMs) || this.dlrDelayMs < 0 || this.dlrDelayMs > MAX_TIMER_MS)
      throw new RangeError(`dlrDelayMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}`);
    if (opts.balance !== undefined) checkCredits(opts.balance, 'balance');
    const templates = opts.templates?.length
      ? [...opts.templates]
      : [{ id: seededHex(opts.seed, 'msg91-template-id', 12), variables: ['body'] }];
    this.startBalance = opts.balance ?? 1000;
    this.state = {
      authKey: opts.authKey ?? createMsg91AuthKey(opts.seed),
      templates,
      balance: this.startBalance,
      duplicateWindowMs: opts.duplicateWindowMs ?? 10_000,
      recent: new Map(),
    };
    this.messages = opts.messages ?? [];
  }

  /** Send requests received. */
  get received(): number {
    return this.runtime.requests.filter((r) => r.method === 'POST' && /^\/api\/v5\/flow\/?$/.test(r.path))
      .length;
  }

  /** The behaviour function with recording wired in. */
  readonly behaviour = async (req: EmulatorRequest): Promise<BehaviourResult> => {
    const now = Date.now();
    const handled = handleMsg91Request(req, this.state, now);
    const accepted = handled.accepted;
    if (!accepted) {
      const rejected = this.rejection(req, handled.response, now);
      if (!rejected) return { response: handled.response };
      return {
        response: handled.response,
        commit: () => {
          this.rejected.push(rejected);
          this.emit({ type: 'rejected', rejected });
        },
      };
    }
    return {
      response: handled.response,
      commit: () => {
        this.messages.push(...accepted.messages);
        this.emit({ type: 'message', messages: accepted.messages });
        this.state.balance -= accepted.messages.length;
        for (const [k, t] of this.state.recent)
          if (now - t >= this.state.duplicateWindowMs) this.state.recent.delete(k);
        this.state.recent.set(accepted.fingerprint, now);
        if (this.mode === 'live') this.pending.track(this.reportLater(accepted.messages));
      },
    };
  };

  /** Sets the balance (`setBalance`). */
  setBalance(credits: number): void {
    this.state.balance = checkCredits(credits, 'setBalance(credits)');
  }

  /** Resolves when the delivery reports started so far are done. */
  settled(): Promise<void> {
    return this.pending.settled();
  }

  /** Live mode: a 'delivered' report for an accepted request, `dlrDelayMs` later, when a `dlrUrl` is set. */
  private async reportLater(messages: readonly EmulatedMsg91Message[]): Promise<void> {
    await sleep(this.dlrDelayMs, this.runtime.signal);
    const requestId = messages[0]?.requestId;
    if (this.runtime.signal.aborted || !this.dlrUrl || requestId === undefined) return;
    // reset() may have dropped the message meanwhile: then there is nothing to report.
    if (!this.messages.some((m) => m.requestId === requestId)) return;
    await this.fireDeliveryReport(requestId, { status: 'delivered' });
  }

  /** The rejected request to record for a refused send with the valid auth key, if it is one. */
  private rejection(
    req: EmulatorRequest,
    res: EmulatorResponse,
    now: number,
  ): RejectedMsg91Request | undefined {
    const pathname = new URL(req.path, 'http://msg91.local').pathname.replace(/\/+$/, '');
    if (req.method !== 'POST' || pathname !== '/api/v5/flow' || req.headers.authkey !== this.state.authKey)
      return undefined;
    let answer: { code?: unknown; message?: unknown };
    let payload: Record<string, unknown> = {};
    try {
      answer = JSON.parse(res.body) as { code?: unknown; message?: unknown };
    } catch {
      return undefined;
    }
    try {
      const parsed: unknown = JSON.parse(req.body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        payload = parsed as Record<string, unknown>;
    } catch {
      // Recorded with what is known.
    }
    const recipients = Array.isArray(payload.recipients) ? payload.recipients : [];
    const mobiles: string[] = [];
    let variables: Record<string, string> = {};
    for (const [i, r] of recipients.entries()) {
      if (typeof r !== 'object' || r === null) continue;
      const { mobiles: m, ...rest } = r as Record<string, unknown>;
      if (typeof m === 'string' || typeof m === 'number')
        mobiles.push(
          ...String(m)
            .split(',')
            .map((x) => x.trim()),
        );
      if (i === 0) variables = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)]));
    }
    const templateId =
      typeof payload.template_id === 'string'
        ? payload.template_id
        : typeof payload.flow_id === 'string'
          ? payload.flow_id
          : '';
    return {
      id: randomHex(12),
      templateId,
      mobiles,
      variables,
      ...(answer.code !== undefined ? { errorCode: String(answer.code) } : {}),
      errorMessage: String(answer.message ?? ''),
      httpStatus: res.status,
      createdAt: new Date(now),
    };
  }

  reset(): void {
    this.messages.length = 0;
    this.rejected.length = 0;
    this.reports.length = 0;
    this.state.balance = this.startBalance;
    this.state.recent.clear();
    this.runtime.reset();
    this.emit({ type: 'reset' });
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: Msg91EmulatorEvent) => void): () => void {
    return this.listeners.subscribe(listener);
  }

  private emit(event: Msg91EmulatorEvent): void {
    this.listeners.emit(event);
  }

  /** POSTs a DLR v2 batch for `requestId` (all its recipients, or `options.mobile`) to the DLR URL. */
  async fireDeliveryReport(
    requestId: string,
    options: FireDeliveryReportOptions,
  ): Promise<Msg91ReportDelivery> {
    const targets = this.messages.filter(
      (m) => m.requestId === requestId && (options.mobile === undefined || m.mobile === options.mobile),
    );
    if (targets.length === 0)
      throw new RangeError(`no message ${requestId}${options.mobile ? ` to ${options.mobile}` : ''}`);
    const url = options.url ?? this.dlrUrl;
    if (!url) throw new RangeError('no MSG91 delivery report URL configured (dlrUrl)');
    const { request, code } = msg91DeliveryReport(requestId, targets, options);
    const delivery: Msg91ReportDelivery = { url, reported: options.status, data: [request] };
    this.reports.push(delivery);
    for (const m of targets) {
      m.status = options.status;
      m.reportStatus = code;
    }
    const posted = postMsg91Report(delivery, this.runtime.signal).then((d) => {
      this.emit({ type: 'status', messages: targets, delivery: d });
      return d;
    });
    this.pending.track(posted);
    return posted;
  }
}

/** A balance in SMS credits, or a `RangeError` naming `what`. */
function checkCredits(credits: number, what: string): number {
  if (!Number.isInteger(credits) || credits < 0)
    throw new RangeError(`${what} must be a non-negative integer`);
  return credits;
}

/** Starts a MSG91 emulator (a real node:http server): Flow API send and balance check; `mode: 'live'` reports deliveries by itself. */
export async function startMsg91Emulator(opts: Msg91EmulatorOptions = {}): Promise<Msg91Emulator> {
  const core = new Msg91EmulatorCore(opts);
  const server = await startServer(
    opts.host ?? '127.0.0.1',
    opts.port ?? 0,
    core.runtime,
    core.behaviour,
    () =>
      error('413', `Request body over ${EMULATOR_MAX_BODY_BYTES} bytes (the emulator's limit)`, 413).response,
  );
  return {
    url: server.url,
    authKey: core.state.authKey,
    templateId: core.state.templates[0]!.id,
    templates: core.state.templates,
    messages: core.messages,
    rejected: core.rejected,
    reports: core.reports,
    get dlrUrl() {
      return core.dlrUrl;
    },
    set dlrUrl(url: string | undefined) {
      core.dlrUrl = url;
    },
    get received() {
      return core.received;
    },
    requests: core.runtime.requests,
    get balance() {
      return core.state.balance;
    },
    mode: core.mode,
    setBalance: (credits) => core.setBalance(credits),
    settled: () => core.settled(),
    inject: (fault) => core.runtime.inject(fault),
    reset: () => core.reset(),
    subscribe: (listener) => core.subscribe(listener),
    fireDeliveryReport: (requestId, options) => core.fireDeliveryReport(requestId, options),
    close: () => server.close(),
  };
}
