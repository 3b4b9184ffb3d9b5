import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../types.js';
import {
  ANSWER_CONTENT_TYPE,
  decodeBody,
  WEBHOOK_CORE,
  type WebhookAnswer,
  type WebhookCore,
  type WebhookRequest,
} from './webhook-request.js';

/** A Fetch API `Request → Response` handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of `toNodeListener`. */
export interface NodeListenerOptions {
  /** Largest accepted body; default 1 MiB (413 beyond). */
  maxBodyBytes?: number;
  /** Told when the listener is mounted wrongly (after a body parser). */
  logger?: Logger;
}

type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown; _body?: boolean };

// host or [v6], optional :port — nothing that could carry a path, query, fragment or credentials.
const HOST_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const plain = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': ANSWER_CONTENT_TYPE, ...extra }).end(body);

/**
 * The request's URL, parsed: the path as received (origin-form only) under the `Host` header, which must be a bare
 * host[:port]; undefined otherwise. Routing uses this path; behind a proxy, set the handler's `publicBaseUrl`.
 */
export function nodeRequestUrl(req: NodeRequest): URL | undefined {
  const path = req.originalUrl ?? req.url ?? '/';
  const host = req.headers.host ?? 'localhost';
  if (!path.startsWith('/') || !HOST_RE.test(host)) return undefined;
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const url = `${encrypted ? 'https' : 'http'}://${host}${path}`;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Why the body cannot be read, when a body parser ran before us; undefined when the stream is still ours. */
function consumedBodyProblem(req: NodeRequest): string | undefined {
  const { body } = req;
  const raw = body === undefined || Buffer.isBuffer(body) || typeof body === 'string';
  // body-parser sets `req.body = {}` even when it skips a request (stream untouched), and `_body` when it read it.
  const parsed = !raw && (req._body === true || typeof body !== 'object' || Object.keys(body!).length > 0);
  if (parsed || (raw && body === undefined && req.readableEnded)) {
    return 'status webhook mounted after a body parser: the raw body (needed to verify the signature) was already consumed; mount toNodeListener before express.json()/urlencoded() or give it a raw Buffer body';
  }
  return undefined;
}

function readBody(req: NodeRequest, limit: number): Promise<Buffer | 'too_large'> {
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body.length > limit ? 'too_large' : req.body);
  if (typeof req.body === 'string') return Promise.resolve(Buffer.from(req.body));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve('too_large');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** The node request (body already read) as a Fetch `Request`. */
function fetchRequest(req: IncomingMessage, method: string, url: string, body: Buffer | undefined): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  return new Request(url, { method, headers, ...(body ? { body } : {}) });
}

/** The node request (body already read) as the handler's `WebhookRequest`: headers read in place, no Fetch objects. */
function nodeWebhookRequest(
  req: IncomingMessage,
  method: string,
  parsedUrl: URL,
  body: Buffer | undefined,
): WebhookRequest {
  const url = parsedUrl.href;
  return {
    method,
    url,
    parsedUrl,
    header(name) {
      const v = req.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    text: async () => (body ? decodeBody(body) : ''),
    toFetchRequest: () => fetchRequest(req, method, url, body),
  };
}

function send(res: ServerResponse, a: WebhookAnswer): void {
  const headers = ['content-type', ANSWER_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(a.body))];
  if (a.allow !== undefined) headers.push('allow', a.allow);
  res.writeHead(a.status, headers).end(a.body);
}

/**
 * Adapts a Fetch API handler to a node:http (and Express) listener: `http.createServer(toNodeListener(handler))`.
 * A `createStatusWebhookHandler` handler is served natively (same answers, no Fetch `Request`/`Response` built).
 */
export function toNodeListener(
  handler: FetchHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const core = (handler as { [WEBHOOK_CORE]?: WebhookCore })[WEBHOOK_CORE];
  return (req, res) => {
    void (async () => {
      const nodeReq = req as NodeRequest;
      const parsed = nodeRequestUrl(nodeReq);
      if (!parsed) {
        plain(res, 400, 'bad request');
        return;
      }
      const method = req.method ?? 'GET';
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const problem = hasBody ? consumedBodyProblem(nodeReq) : undefined;
      if (problem) {
        options.logger?.error({ method, path: parsed.pathname }, problem);
        plain(res, 500, problem);
        return;
      }
      const body = hasBody ? await readBody(nodeReq, limit) : undefined;
      if (body === 'too_large') {
        plain(res, 413, 'payload too large', { connection: 'close' });
        return;
      }
      if (core) {
        send(res, await core(nodeWebhookRequest(req, method, parsed, body)));
        return;
      }
      const response = await handler(fetchRequest(req, method, parsed.href, body));
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        out[k] = v;
      });
      res.writeHead(response.status, out).end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': ANSWER_CONTENT_TYPE });
      res.end('internal error');
    });
  };
}
