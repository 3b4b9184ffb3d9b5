// Node built-ins that cost milliseconds to load (crypto pulls in streams; http/https pull in net and tls),
// loaded on first use so that importing the package stays cheap. `require` of a built-in returns its
// module object, so test interceptors that patch `http.request` (msw) still apply.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

let crypto: typeof import('node:crypto') | undefined;
let http: typeof import('node:http') | undefined;
let https: typeof import('node:https') | undefined;

/** `node:crypto`, loaded on first use. */
export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= load('node:crypto') as typeof import('node:crypto');
  return crypto;
}

/** `node:http`, loaded on first use. */
export function nodeHttp(): typeof import('node:http') {
  http ??= load('node:http') as typeof import('node:http');
  return http;
}

/** `node:https`, loaded on first use. */
export function nodeHttps(): typeof import('node:https') {
  https ??= load('node:https') as typeof import('node:https');
  return https;
}
