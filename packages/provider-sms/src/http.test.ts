import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from './errors.js';
import { httpRequest, parseRetryAfter } from './http.js';

// The transport against a real loopback server: what "left" means, and failures that must stay typed.
let server: Server;
let base: string;
const sockets = new Set<Socket>();
let onRequest: (socket: Socket) => void = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onRequest(req.socket);
      if (!res.destroyed && !res.headersSent) res.end('ok');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

const call = (headers: Record<string, string> = {}, timeoutMs = 2_000) =>
  httpRequest({
    url: `${base}/x`,
    method: 'POST',
    headers,
    body: 'a=1',
    timeoutMs,
    provider: 'msg91',
    secrets: ['s3cr3t-value'],
  });

async function failure(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw new Error(`not an SmsError: ${String(e)}`);
  }
  throw new Error('expected a failure');
}

describe('httpRequest', () => {
  it('answers a normal request', async () => {
    onRequest = () => undefined;
    const res = await call();
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
  });

  it('classifies a reset after the request left as unknown, whatever the error code', async () => {
    onRequest = (socket) => socket.destroy();
    const e = await failure(call());
    expect(e).toMatchObject({ code: 'network', outcome: 'unknown', retryable: false });
  });

  it('rejects an invalid header value as a typed not_sent error, with nothing sent and no secret', async () => {
    let reached = 0;
    onRequest = () => {
      reached++;
    };
    const e = await failure(call({ authkey: 's3cr3t-value\u0007' }));
    expect(e).toMatchObject({ code: 'network', outcome: 'not_sent' });
    expect(reached).toBe(0);
    expect(JSON.stringify(e)).not.toContain('s3cr3t-value');
  });

  it('treats a refused connection as not sent and retryable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e = await failure(
      httpRequest({
        url: `http://127.0.0.1:${port}/`,
        method: 'GET',
        timeoutMs: 2_000,
        provider: 'twilio',
        secrets: [],
      }),
    );
    expect(e).toMatchObject({ code: 'network', outcome: 'not_sent', retryable: true });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('responses', () => {
  it('expose Fetch Headers built on first read, and the raw headers as Node parsed them', async () => {
    const res = await call();
    expect(res.status).toBe(200);
    expect(res.rawHeaders?.['content-length']).toBe('2');
    expect(res.headers).toBeInstanceOf(Headers);
    expect(res.headers).toBe(res.headers);
    expect(res.headers.get('content-length')).toBe('2');
    expect(res.text).toBe('ok');
  });
});
