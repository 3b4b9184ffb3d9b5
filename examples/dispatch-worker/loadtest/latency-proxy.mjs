// A TCP proxy that delays every byte a client sends by a fixed latency before passing it on: put in front of an
// emulator, each HTTP request reaches it `latencyMs` later (like a real provider's round trip), while the
// emulator's faults (resets, hangs, 5xx) pass through unchanged because the proxy mirrors every close and reset, and
// a request whose client died meanwhile still arrives (the provider records what left before the crash).
import { createConnection, createServer } from 'node:net';

/**
 * Starts a proxy on 127.0.0.1 (a free port) to `target` (`http://host:port`) adding `latencyMs` to each request.
 * @param {string} target
 * @param {number} latencyMs
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startLatencyProxy(target, latencyMs) {
  const { hostname, port } = new URL(target);
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    /** @type {ReturnType<typeof setTimeout>[]} */
    const timers = [];
    client.on('data', (chunk) => {
      timers.push(setTimeout(() => upstream.writable && upstream.write(chunk), latencyMs));
    });
    client.on('end', () => timers.push(setTimeout(() => upstream.end(), latencyMs)));
    upstream.pipe(client);
    // A reset on either side is mirrored as a reset on the other (the client sees what the emulator did).
    upstream.on('close', (hadError) => {
      for (const t of timers) clearTimeout(t);
      if (client.destroyed) return;
      if (hadError || !upstream.readableEnded) client.resetAndDestroy();
      else client.end();
    });
    // A client that goes away (a worker killed after its request left) does not take its request back: the bytes
    // already sent still reach the upstream on time, then the upstream connection is ended.
    client.on('close', () => {
      timers.push(setTimeout(() => upstream.end(), latencyMs));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
