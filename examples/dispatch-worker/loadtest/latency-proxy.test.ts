// The latency proxy: a request reaches the server `latencyMs` later, and a server that drops the connection mid
// response drops it for the client too.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startLatencyProxy } from './latency-proxy.mjs';

const server = createServer((req, res) => {
  if (req.url === '/drop') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('half', () => res.socket?.destroy());
    return;
  }
  res.end(`at ${Date.now()}`);
});
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
});
