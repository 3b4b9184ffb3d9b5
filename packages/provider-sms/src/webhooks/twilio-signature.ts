// X-Twilio-Signature, reimplemented from the twilio SDK (lib/webhooks/webhooks.js, v6) so that
// verifying a webhook never loads the SDK: base64(HMAC-SHA1(authToken, url + Σ sorted key+value)).
import { parse as parseQuerystring, stringify as stringifyQuerystring } from 'node:querystring';
import { nodeCrypto } from '../builtins.js';

/** POST parameters of a Twilio request: a record (arrays for repeated keys) or the parsed form body. */
export type TwilioSignatureParams =
  | URLSearchParams
  | Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>;

function toRecord(params: TwilioSignatureParams | null | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!params) return out;
  const add = (key: string, value: unknown) => {
    const list = out.get(key);
    if (list) list.push(String(value));
    else out.set(key, [String(value)]);
  };
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) add(k, v);
    return out;
  }
  for (const key of Object.keys(params)) {
    const v = params[key];
    if (Array.isArray(v)) {
      out.set(key, []);
      for (const x of v) add(key, x);
    } else add(key, v);
  }
  return out;
}

// The general rule, like the SDK: keys in code-unit order; a repeated key contributes each distinct value, sorted.
function signedRecord(record: Map<string, string[]>): string {
  let data = '';
  for (const key of [...record.keys()].sort()) {
    const values = record.get(key)!;
    if (values.length === 1) data += key + values[0];
    else for (const v of [...new Set(values)].sort()) data += key + v;
  }
  return data;
}

const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The POST-parameter part of the signed data: every param, keys sorted (code units), a repeated key's distinct values sorted. */
function signedParams(params: TwilioSignatureParams | null | undefined): string {
  if (!(params instanceof URLSearchParams)) return signedRecord(toRecord(params));
  // A parsed form body (the webhook's case): sort its pairs once; a repeated key takes the general rule.
  const pairs = [...params].sort(byKey);
  let data = '';
  for (let i = 0; i < pairs.length; i++) {
    const [key, value] = pairs[i]!;
    if (i > 0 && key === pairs[i - 1]![0]) return signedRecord(toRecord(params));
    data += key + value;
  }
  return data;
}

const hmacSha1 = (authToken: string, url: string, data: string) =>
  nodeCrypto()
    .createHmac('sha1', authToken)
    .update(url + data, 'utf8')
    .digest('base64');

/** Twilio's X-Twilio-Signature of a request: base64 HMAC-SHA1 of the URL followed by every POST param (sorted key + value). */
export function computeTwilioSignature(
  authToken: string,
  url: string,
  params?: TwilioSignatureParams | null,
): string {
  return hmacSha1(authToken, url, signedParams(params));
}

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

// Splits a URL without normalizing it, so path and query keep the exact characters Twilio signed.
function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return null;
  const [prefix, scheme = '', authority = ''] = match;
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

function addPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  const port = p.scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return p.scheme + p.userInfo + p.host + port + p.rest;
}

function removePort(url: string): string {
  const p = splitUrl(url);
  return p ? p.scheme + p.userInfo + p.host + p.rest : url;
}

function withLegacyQuerystring(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${stringifyQuerystring(parseQuerystring(url.slice(q + 1)))}`;
}

/** Constant-time string comparison (timingSafeEqual on equal-length buffers; the length of a signature is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf-8');
  const y = Buffer.from(b, 'utf-8');
  return x.length === y.length && nodeCrypto().timingSafeEqual(x, y);
}

// The candidate URLs one at a time, in the SDK's order, each once: most callbacks match the first.
function* urlCandidates(url: string): Generator<string> {
  const seen: string[] = [];
  const fresh = (u: string) => {
    if (seen.includes(u)) return false;
    seen.push(u);
    return true;
  };
  for (const u of [removePort(url), addPort(url)]) if (fresh(u)) yield u;
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return;
  }
  const without = removePort(normalized);
  const withPort = addPort(normalized);
  for (const u of [without, withPort]) if (fresh(u)) yield u;
  for (const u of [withLegacyQuerystring(without), withLegacyQuerystring(withPort)]) if (fresh(u)) yield u;
}

/** The URLs a signature is checked against, in the SDK's order: as received ±port, then `new URL()`-normalized ±port ±legacy query. */
export function twilioSignatureUrlCandidates(url: string): string[] {
  return [...urlCandidates(url)];
}

/** True when `signature` (X-Twilio-Signature) matches, exactly as the SDK's `validateRequest(authToken, signature, url, params)`. */
export function validateTwilioSignature(
  authToken: string,
  signature: string | null | undefined,
  url: string,
  params?: TwilioSignatureParams | null,
): boolean {
  if (!authToken) return false;
  const header = signature ?? '';
  const data = signedParams(params);
  // Like the SDK, the first matching candidate wins. Each comparison is constant-time; which URL form matched
  // (the only thing the early exit can tell) is not secret: it is the URL the caller itself requested.
  for (const candidate of urlCandidates(url)) {
    if (safeEqual(header, hmacSha1(authToken, candidate, data))) return true;
  }
  return false;
}
