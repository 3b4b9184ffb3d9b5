import { isIPv4 } from 'node:net';

/** True for a loopback bind address or name: `localhost`, 127.0.0.0/8, `::1` (bracketed or not, or IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * The DNS-rebinding guard of a server bound to `bindHost`: when that is a loopback address, only a `Host`
 * header naming a loopback address (or `localhost`) with the server's port passes; a server bound beyond
 * loopback on purpose accepts any Host. `port` is read on each call (it is known once listening).
 */
export function hostGuard(bindHost: string, port: () => number): (header: string | undefined) => boolean {
  if (!isLoopbackHost(bindHost)) return () => true;
  return (header) => {
    if (!header) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header);
    return Boolean(m && isLoopbackHost(m[1]!) && m[2] !== undefined && Number(m[2]) === port());
  };
}
