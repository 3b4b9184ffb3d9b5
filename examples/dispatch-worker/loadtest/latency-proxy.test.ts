// The latency proxy: a request reaches the server `latencyMs` later, a server that drops the connection mid
// response drops it for the client too, and a request whose client died right after sending it still arrives.
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startLatencyProxy } from './latency-proxy.mjs';

/** Requests the server read in full (method, path, body), and its connections that ended. */
const arrived: string[] = [];
let endedConnections = 0;
const server = createServer((req, res) => {
  if (req.url === '/record') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      arrived.push(`${req.method} ${req.url} ${body}`);
      res.end('ok');
    });
    return;
  }
  if (req.url === '/drop') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('half', () => res.socket?.destroy());
    return;
  }
  res.end(`at ${Date.now()}`);
});
server.on('connection', (socket: Socket) => socket.on('close', () => endedConnections++));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const proxy = await startLatencyProxy(target, 200);
afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('startLatencyProxy', () => {
  it('delays each request by the latency and passes the answer through', async () => {
    const sent = Date.now();
    const body = await (await fetch(`${proxy.url}/`)).text();
    const arrived = Number(body.replace('at ', ''));
    expect(arrived - sent).toBeGreaterThanOrEqual(195);
  });

  it('mirrors a connection the server drops mid-response', async () => {
    const res = await fetch(`${proxy.url}/drop`);
    await expect(res.text()).rejects.toThrow();
  });

  it('passes on a request whose client was destroyed right after sending it, then ends that connection', async () => {
    const closedBefore = endedConnections;
    const { port } = new URL(proxy.url);
    const client = connect({ host: '127.0.0.1', port: Number(port) });
    await new Promise((resolve) => client.once('connect', resolve));
    const body = 'to=%2B15005550006';
    client.write(`POST /record HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body}`, () =>
      client.destroy(),
    );
    await new Promise((resolve) => client.once('close', resolve));
    expect(arrived).toEqual([]);
    await waitUntil(() => arrived.length > 0 && endedConnections > closedBefore);
    expect(arrived).toEqual([`POST /record ${body}`]);
  });
});

/** Polls `cond` every 20 ms; fails after 3 s. */
async function waitUntil(cond: () => boolean) {
  const until = Date.now() + 3_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
