import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import { TwilioProvider } from './twilio.js';

// Transport faults msw cannot produce, against real sockets on 127.0.0.1. No msw in this file.
const SID = `AC${'3c'.repeat(16)}`;
const TOKEN = 'sock3t_secret_token_42';
const AUTH_B64 = Buffer.from(`${SID}:${TOKEN}`).toString('base64');
const TO = '+14155552671';

interface TestServer {
  url: string;
  requests: number;
  /** Resolves when the first request has been read in full. */
  requested: Promise<void>;
  /** Resolves when the socket of the first request closes. */
  socketClosed: Promise<void>;
  server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  let onRequested!: () => void;
  let onClosed!: () => void;
  const t = {
    requests: 0,
    requested: new Promise<void>((r) => {
      onRequested = r;
    }),
    socketClosed: new Promise<void>((r) => {
      onClosed = r;
    }),
  } as TestServer;
  const server = createServer((req, res) => {
    t.requests++;
    req.socket.once('close', onClosed);
    req.resume();
    req.on('end', () => {
      onRequested();
      handler(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.server = server;
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return t;
}

const provider = (url: string, timeoutMs = 2_000) =>
  new TwilioProvider(
    { accountSid: SID, authToken: TOKEN, fromNumber: '+15005550006' },
    { apiBaseUrl: url, timeoutMs },
  );

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSmsError(err), `expected an SmsError, got ${String(err)}`).toBe(true);
  const dump = [(err as Error).stack, JSON.stringify(err), inspect(err, { depth: 10 })].join('\n');
  expect(dump).not.toContain(TOKEN);
  expect(dump).not.toContain(AUTH_B64);
  return err as SmsError;
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what} not within ${ms} ms`)), ms)),
  ]);

describe('TwilioProvider transport faults (real sockets)', () => {
  it('sends through a real socket (sanity)', async () => {
    const t = await startServer((_req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          sid: `SM${'4d'.repeat(16)}`,
          status: 'queued',
          num_segments: '1',
          error_code: null,
        }),
      );
    });
    const r = await provider(t.url).send({ to: TO, body: 'hi' });
    expect(r).toMatchObject({ provider: 'twilio', status: 'queued', segments: 1 });
    expect(t.requests).toBe(1);
  });

  it('connection refused → network, not_sent, retryable', async () => {
    const t = await startServer(() => {});
    await new Promise((r) => t.server.close(r));
    const err = await rejection(provider(t.url).send({ to: TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'network', outcome: 'not_sent', retryable: true, provider: 'twilio' });
  });

  it('reset after the request was read, before any response → network, unknown, not retryable', async () => {
    const t = await startServer((req) => req.socket.destroy());
    const err = await rejection(provider(t.url).send({ to: TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'network', outcome: 'unknown', retryable: false });
    expect(t.requests).toBe(1);
  });

  it('reset mid-response → network, unknown, not retryable', async () => {
    const t = await startServer((_req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': '500' });
      res.write('{"sid": "SM');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const err = await rejection(provider(t.url).send({ to: TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'network', outcome: 'unknown', retryable: false });
  });

  it('a slow server past timeoutMs → timeout, unknown, and the request is cancelled', async () => {
    const t = await startServer(() => {}); // never answers
    const started = Date.now();
    const err = await rejection(provider(t.url, 200).send({ to: TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'timeout', outcome: 'unknown', retryable: false });
    expect(Date.now() - started).toBeLessThan(1_500);
    await within(t.socketClosed, 1_000, 'server socket close'); // cancelled, not just abandoned
  });

  it('verify times out the same way', async () => {
    const t = await startServer(() => {});
    const err = await rejection(provider(t.url, 200).verify());
    expect(err).toMatchObject({ code: 'timeout', outcome: 'unknown' });
    await within(t.socketClosed, 1_000, 'server socket close');
  });

  it('a signal aborted before send → aborted, not_sent, nothing reaches the server', async () => {
    const t = await startServer((_req, res) => res.end('{}'));
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(provider(t.url).send({ to: TO, body: 'hi' }, { signal: controller.signal }));
    expect(err).toMatchObject({ code: 'aborted', outcome: 'not_sent', retryable: false });
    expect(t.requests).toBe(0);
  });

  it('a signal aborted during the request → aborted, unknown, connection closed', async () => {
    const t = await startServer(() => {});
    const controller = new AbortController();
    const pending = rejection(provider(t.url).send({ to: TO, body: 'hi' }, { signal: controller.signal }));
    await within(t.requested, 1_000, 'request');
    controller.abort();
    const err = await pending;
    expect(err).toMatchObject({ code: 'aborted', outcome: 'unknown', retryable: false });
    await within(t.socketClosed, 1_000, 'server socket close');
  });

  // The signal reaches the transport through the SDK by a synchronous hand-over (runTwilioCall): every kind of call.
  it('the signal reaches the transport for verify, listMessages and a send of a provider whose SDK client exists', async () => {
    const t = await startServer(() => {});
    const p = provider(t.url);
    const calls: Array<(signal: AbortSignal) => Promise<unknown>> = [
      (signal) => p.verify({ signal }),
      (signal) => p.listMessages({ to: TO }, { signal }).next(),
      (signal) => p.send({ to: TO, body: 'hi' }, { signal }),
    ];
    for (const call of calls) {
      const controller = new AbortController();
      const before = t.requests;
      const pending = rejection(call(controller.signal));
      await within(
        new Promise<void>((r) => {
          const poll = () => (t.requests > before ? r() : setTimeout(poll, 5));
          poll();
        }),
        1_000,
        'request',
      );
      controller.abort();
      expect(await within(pending, 1_000, 'aborted call')).toMatchObject({
        code: 'aborted',
        outcome: 'unknown',
      });
    }
  });
});
