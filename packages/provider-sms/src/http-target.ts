import { urlToHttpOptions } from 'node:url';
import { nodeHttp, nodeHttps } from './builtins.js';
import { BoundedLru } from './lru.js';

/** Where a request goes: node:http options of its URL, the shared agent, and whether it is https. */
export interface HttpTarget {
  /** From `urlToHttpOptions` of the URL: protocol, hostname, path, port and auth when set, and the shared agent. */
  options: Readonly<import('node:http').RequestOptions>;
  secure: boolean;
}

// One keep-alive pool per protocol, shared by every provider instance (all tenants). Idle sockets are
// dropped after 4 s, before the usual 5 s server keep-alive, so a reused socket is rarely a dead one.
let httpAgent: import('node:http').Agent | undefined;
let httpsAgent: import('node:https').Agent | undefined;
const AGENT_OPTIONS = {
  keepAlive: true,
  maxSockets: 256,
  maxFreeSockets: 64,
  timeout: 4_000,
  scheduling: 'lifo',
} as const;

/** How many request URLs keep their parsed target (a few per tenant account: one per endpoint). */
export const MAX_CACHED_TARGETS = 1024;

// Parsing a URL and turning it into node:http options costs microseconds per request; the URLs repeat.
const targets = new BoundedLru<string, HttpTarget>(MAX_CACHED_TARGETS);

/**
 * Starts a request to a target. `request` is looked up on the module each time, so interceptors that patch
 * `http.request` (msw) still apply.
 */
export function startRequest(
  target: HttpTarget,
  method: string,
  headers: Record<string, string>,
): import('node:http').ClientRequest {
  const options = { ...target.options, method, headers };
  return target.secure ? nodeHttps().request(options) : nodeHttp().request(options);
}

/** The parsed target of a URL, cached per URL string; throws (`TypeError`, ERR_INVALID_URL) for an invalid one. */
export function httpTarget(url: string): HttpTarget {
  const hit = targets.get(url);
  if (hit) return hit;
  const parsed = new URL(url);
  const secure = parsed.protocol === 'https:';
  let agent: import('node:http').Agent;
  if (secure) {
    httpsAgent ??= new (nodeHttps().Agent)(AGENT_OPTIONS);
    agent = httpsAgent;
  } else {
    httpAgent ??= new (nodeHttp().Agent)(AGENT_OPTIONS);
    agent = httpAgent;
  }
  // Only what node:http reads of `urlToHttpOptions` (not its href, hash, search, pathname): the agent copies
  // every option of every request, so each extra key costs on each request.
  const { protocol, hostname, port, path, auth } = urlToHttpOptions(parsed);
  const target: HttpTarget = {
    options: Object.freeze({
      protocol,
      hostname,
      ...(port !== undefined ? { port } : {}),
      path,
      ...(auth ? { auth } : {}),
      agent,
    }),
    secure,
  };
  targets.set(url, target);
  return target;
}

/** Number of cached targets (at most `MAX_CACHED_TARGETS`). @internal */
export function cachedTargetCount(): number {
  return targets.size;
}
