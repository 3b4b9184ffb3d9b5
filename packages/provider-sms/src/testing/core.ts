import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onAbort } from '../abort-relay.js';
import { checkEmulatorFault, type EmulatorFault } from './emulator-fault.js';

/** One HTTP request as the emulators see it, independent of the transport (node:http or msw). */
export interface EmulatorRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Path plus query string, e.g. `/api/balance.php?authkey=…&type=4`. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The raw request body ('' when there is none). */
  body: string;
}

/** One HTTP response produced by an emulator's behaviour function. */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type { EmulatorFault } from './emulator-fault.js';

/** One request as logged by an emulator (method and path without the query string, which may hold a key). */
export interface ReceivedRequest {
  method: string;
  path: string;
}

/** What the transport must do with a request after faults were applied. */
export type EmulatorAction =
  | { kind: 'respond'; response: EmulatorResponse }
  | { kind: 'reset-before' }
  | { kind: 'reset-mid'; response: EmulatorResponse }
  | { kind: 'hang' };

/** The result of an emulator's behaviour function: the response, plus a side effect to commit (recording). */
export interface BehaviourResult {
  response: EmulatorResponse;
  /** Records the message(s); called only when the request counts as processed. */
  commit?: () => void;
}

/** Returns `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * `bytes` bytes as lower-case hex derived from `seed` and `label` (HMAC-SHA256), so that an emulator started
 * with the same seed gets the same credentials after a restart; random when `seed` is undefined.
 */
export function seededHex(seed: string | undefined, label: string, bytes: number): string {
  if (seed === undefined) return randomHex(bytes);
  if (typeof seed !== 'string' || seed === '') throw new RangeError('seed must be a non-empty string');
  return createHmac('sha256', seed)
    .update(label)
    .digest('hex')
    .slice(0, bytes * 2);
}

/** Builds a JSON response with Content-Type application/json. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Sleeps `ms`, resolving early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      off?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = signal ? onAbort(signal, done) : undefined;
  });
}

/** Holds the pending faults, the request log and the close signal shared by an emulator's transports. */
export class EmulatorRuntime {
  private readonly faults: EmulatorFault[] = [];
  private readonly closer = new AbortController();
  /** Every request received, faulted or not. */
  readonly requests: ReceivedRequest[] = [];

  /** Aborted when the emulator closes: pending delays end at once. */
  get signal(): AbortSignal {
    return this.closer.signal;
  }

  /** Queues a fault for the next `fault.times` (default 1) requests. */
  inject(fault: EmulatorFault): void {
    const checked = checkEmulatorFault(fault);
    for (let i = 0; i < (checked.times ?? 1); i++) this.faults.push({ ...checked, times: 1 });
  }

  /** Drops pending faults and the request log. */
  reset(): void {
    this.faults.length = 0;
    this.requests.length = 0;
  }

  /** Ends pending delays (used by close()). */
  shutdown(): void {
    this.closer.abort();
  }

  /** Applies the next fault (if any) around the behaviour function and tells the transport what to do. */
  async run(
    req: EmulatorRequest,
    behaviour: (req: EmulatorRequest) => Promise<BehaviourResult>,
  ): Promise<EmulatorAction> {
    this.requests.push({ method: req.method, path: req.path.split('?')[0] ?? req.path });
    const fault = this.faults.shift();
    if (!fault) {
      const result = await behaviour(req);
      result.commit?.();
      return { kind: 'respond', response: result.response };
    }
    const replaces = fault.status !== undefined || fault.json !== undefined || fault.text !== undefined;
    if (fault.resetSocket === 'before-response') {
      await sleep(fault.delayMs ?? 0, this.signal);
      return { kind: 'reset-before' };
    }
    if (fault.hang || fault.afterRecord) (await behaviour(req)).commit?.();
    if (fault.hang) return { kind: 'hang' };
    if (replaces) {
      await sleep(fault.delayMs ?? 0, this.signal);
      return {
        kind: fault.resetSocket === 'mid-response' ? 'reset-mid' : 'respond',
        response: faultResponse(fault),
      };
    }
    // Delay-only, headers-only or mid-response reset: the request is processed normally first.
    const result = await behaviour(req);
    result.commit?.();
    await sleep(fault.delayMs ?? 0, this.signal);
    const response = { ...result.response, headers: { ...result.response.headers, ...lower(fault.headers) } };
    return fault.resetSocket === 'mid-response'
      ? { kind: 'reset-mid', response }
      : { kind: 'respond', response };
  }
}

function lower(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

function faultResponse(fault: EmulatorFault): EmulatorResponse {
  const status = fault.status ?? 500;
  const headers = lower(fault.headers);
  if (fault.text !== undefined) {
    return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: fault.text };
  }
  if (fault.json !== undefined) return jsonResponse(status, fault.json, headers);
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: '' };
}

/** A running node:http emulator server. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The largest request body the emulators' HTTP servers read (1 MiB): a larger one is answered 413 before
 * authentication, without buffering it (a real Message create or MSG91 flow request is a few KiB).
 */
export const EMULATOR_MAX_BODY_BYTES = 1024 * 1024;

/** The answer to a request body over `EMULATOR_MAX_BODY_BYTES` (status 413, in the provider's error shape). */
export type TooLargeResponse = () => EmulatorResponse;

/** Starts a real node:http server that feeds every request through `runtime` and `behaviour`. */
export async function startServer(
  host: string,
  port: number,
  runtime: EmulatorRuntime,
  behaviour: (req: EmulatorRequest) => Promise<BehaviourResult>,
  tooLarge: TooLargeResponse,
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void handleNodeRequest(req, res, runtime, behaviour, tooLarge);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        runtime.shutdown();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handleNodeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  runtime: EmulatorRuntime,
  behaviour: (req: EmulatorRequest) => Promise<BehaviourResult>,
  tooLarge: TooLargeResponse,
): Promise<void> {
  try {
    const chunks = await readCappedBody(req);
    if (!chunks) {
      refuseTooLarge(res, tooLarge());
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const action = await runtime.run(
      {
        method: (req.method ?? 'GET').toUpperCase(),
        path: req.url ?? '/',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
      },
      behaviour,
    );
    if (res.destroyed) return;
    if (action.kind === 'reset-before') {
      res.socket?.destroy();
      return;
    }
    // Recorded, never answered: the client times out; close() destroys the socket.
    if (action.kind === 'hang') return;
    const body = Buffer.from(action.response.body, 'utf8');
    res.writeHead(action.response.status, {
      ...action.response.headers,
      'content-length': String(body.length),
    });
    if (action.kind === 'reset-mid') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  } catch (err) {
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`emulator error: ${(err as Error).message}`);
    } else {
      res.destroy();
    }
  }
}

/** The request body's chunks, or undefined (reading stopped) once it is over `EMULATOR_MAX_BODY_BYTES`. */
async function readCappedBody(req: IncomingMessage): Promise<Buffer[] | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > EMULATOR_MAX_BODY_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > EMULATOR_MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return chunks;
}

/** Answers 413 and closes the connection, so the rest of the body is never read. */
function refuseTooLarge(res: ServerResponse, response: EmulatorResponse): void {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': String(body.length),
    connection: 'close',
  });
  res.end(body, () => res.socket?.destroy());
}

/** Listeners of an emulator's events; a listener that throws never breaks the emulator. */
export class EmulatorListeners<E> {
  readonly #listeners = new Set<(event: E) => void>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: E) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Calls every listener with `event`. */
  emit(event: E): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not break the emulator.
      }
    }
  }
}

/**
 * Environment variables the twilio SDK (or a proxy layer) would pick up on its own. Anything that must talk
 * only to the emulators (the demo, benchmarks, tests) clears them.
 */
export const TWILIO_SDK_ENV_VARS: readonly string[] = [
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_EDGE',
  'TWILIO_REGION',
  'TWILIO_CA_BUNDLE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
];
