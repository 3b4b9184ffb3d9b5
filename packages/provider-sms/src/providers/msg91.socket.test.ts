// Transport faults msw cannot produce, against real sockets on 127.0.0.1. No msw in this file.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import util from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import { Msg91Provider } from './msg91.js';

const AUTH_KEY = '412345SocketKeyAbCdEfGh';
const TEMPLATE_ID = '64f0c2a1d6fc05aa11223344';
const MESSAGE = { to: '+919876543210', body: 'Your code is 4821' };

interface TestServer {
  url: string;
  /** Requests whose headers reached the server. */
  requests: http.IncomingMessage[];
  /** TCP connections accepted. */
  connections: number;
  /** Resolves when the first request's connection is closed (by either side). */
  firstRequestClosed: Promise<void>;
  close(): Promise<void>;
}

const open: TestServer[] = [];

async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TestServer> {
  const server = http.createServer();
  let markClosed!: () => void;
  const firstRequestClosed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const ts: TestServer = {
    url: '',
    requests: [],
    connections: 0,
    firstRequestClosed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => {
    ts.connections++;
  });
  server.on('request', (req, res) => {
    ts.requests.push(req);
    if (ts.requests.length === 1) req.socket.once('close', () => markClosed());
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ts.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  open.push(ts);
  return ts;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const provider = (apiBaseUrl: string, timeoutMs = 5_000) =>
  new Msg91Provider({ authKey: AUTH_KEY, templateId: TEMPLATE_ID }, { apiBaseUrl, timeoutMs });

async function caught(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw e;
  }
  throw new Error('expected an SmsError');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)),
  ]);
}

function expectNoKey(err: SmsError): void {
  for (const view of [
    err.message,
    err.stack ?? '',
    String(err.cause),
    JSON.stringify(err.cause ?? null),
    JSON.stringify(err),
    util.inspect(err, { depth: 10 }),
    util.inspect(err, { depth: 10, showHidden: true }),
  ]) {
    expect(view).not.toContain(AUTH_KEY);
  }
}

describe('Msg91Provider over real sockets', () => {
  it('sends to a real local server and reads the request id', async () => {
    let seen: { path?: string; authkey?: string; body?: unknown } = {};
    const srv = await startServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        seen = { path: req.url, authkey: String(req.headers.authkey), body: JSON.parse(raw) };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'success', message: '3763646c3058373530393831' }));
      });
    });
    const result = await provider(srv.url).send(MESSAGE);
    expect(result).toMatchObject({
      messageId: '3763646c3058373530393831',
      provider: 'msg91',
      status: 'queued',
    });
    expect(seen).toMatchObject({
      path: '/api/v5/flow',
      authkey: AUTH_KEY,
      body: { template_id: TEMPLATE_ID, recipients: [{ mobiles: '919876543210' }] },
    });
  });

  it('connection refused → network, not_sent, retryable', async () => {
    const port = await closedPort();
    const err = await caught(provider(`http://127.0.0.1:${port}`).send(MESSAGE));
    expect(err).toMatchObject({ code: 'network', provider: 'msg91', outcome: 'not_sent', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
    expectNoKey(err);
  });

  it('socket destroyed after the request was read → network, unknown, not retryable', async () => {
    const srv = await startServer((req) => {
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    const err = await caught(provider(srv.url).send(MESSAGE));
    expect(srv.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: 'network', outcome: 'unknown', retryable: false });
    expectNoKey(err);
  });

  it('socket destroyed mid-response (headers and half a body) → network, unknown', async () => {
    const srv = await startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        res.write('{"type":"succ', () => setTimeout(() => req.socket.destroy(), 20));
      });
    });
    const err = await caught(provider(srv.url).send(MESSAGE));
    expect(err).toMatchObject({ code: 'network', outcome: 'unknown', retryable: false });
    expectNoKey(err);
  });

  it('a response slower than timeoutMs → timeout, unknown, and the request is cancelled', async () => {
    const srv = await startServer((req) => {
      req.resume(); // never answer
    });
    const started = Date.now();
    const err = await caught(provider(srv.url, 200).send(MESSAGE));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toMatchObject({ code: 'timeout', provider: 'msg91', outcome: 'unknown', retryable: false });
    expect(srv.requests).toHaveLength(1);
    await withTimeout(srv.firstRequestClosed, 2_000, 'the server to see the connection closed');
    expectNoKey(err);
  });

  it('a caller signal aborted before the call → aborted, not_sent, nothing reaches the server', async () => {
    const srv = await startServer((_req, res) => res.end('{}'));
    const err = await caught(provider(srv.url).send(MESSAGE, { signal: AbortSignal.abort() }));
    expect(err).toMatchObject({ code: 'aborted', outcome: 'not_sent', retryable: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.requests).toHaveLength(0);
    expect(srv.connections).toBe(0);
  });

  it('a caller signal aborted during the request → aborted, unknown, and the request is cancelled', async () => {
    const controller = new AbortController();
    const srv = await startServer((req) => {
      req.resume();
      req.on('end', () => controller.abort());
    });
    const err = await caught(provider(srv.url).send(MESSAGE, { signal: controller.signal }));
    expect(err).toMatchObject({ code: 'aborted', outcome: 'unknown', retryable: false });
    expect(srv.requests).toHaveLength(1);
    await withTimeout(srv.firstRequestClosed, 2_000, 'the server to see the connection closed');
  });

  it('verify against a refused port → network error that never shows the key from the URL', async () => {
    const port = await closedPort();
    const err = await caught(provider(`http://127.0.0.1:${port}`).verify());
    expect(err).toMatchObject({ code: 'network', provider: 'msg91', outcome: 'not_sent', retryable: true });
    expectNoKey(err);
  });

  it('verify timing out → timeout error without the key', async () => {
    const srv = await startServer(() => {
      // never answer
    });
    const err = await caught(provider(srv.url, 150).verify());
    expect(err).toMatchObject({ code: 'timeout' });
    expect(srv.requests[0]?.url).toContain('authkey=');
    expectNoKey(err);
  });

  it('verify succeeds against a real server answering a plain number', async () => {
    const srv = await startServer((req, res) => {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('authkey');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(key === AUTH_KEY ? '1523.50\n' : 'Invalid authkey');
    });
    await expect(provider(srv.url).verify()).resolves.toBeUndefined();
  });
});
