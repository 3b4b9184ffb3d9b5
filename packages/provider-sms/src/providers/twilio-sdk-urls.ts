// The twilio SDK builds the same URL on every call: `Version.relativeUrl` and `Domain.absoluteUrl`
// (twilio/lib/base/Version.js, Domain.js) each run two `trim()`s that build a RegExp per call, and
// `BaseTwilio.getHostname` splits and rejoins the host three times. Each is a pure function of its string arguments
// and of a field the client fixes at construction, so this client's own objects (never the SDK's prototypes) get a
// wrapper that answers from one memo shared by every client: the same arguments and field give the same answer
// whichever client asks. The wrapper is one function per wrapped SDK method, not a closure per client, so a tenant's
// client costs one property per wrapped object and nothing else.
import { BoundedLru } from '../lru.js';

/** An SDK object holding a method to wrap. */
type SdkObject = Record<string, unknown>;
type SdkMethod = (this: unknown, ...args: unknown[]) => unknown;

/** Answers by method, field value and arguments; bounded (the URIs carry account SIDs, one set per tenant). */
const answers = new BoundedLru<string, unknown>(1024);
/** The wrapper of each SDK method, made once per method function and shared by every client's object. */
const wrappers = new WeakMap<SdkMethod, SdkMethod>();

/** The memo key of a call, or undefined when an argument or the field is not a string (or undefined). */
function memoKey(method: string, fieldValue: unknown, args: readonly unknown[]): string | undefined {
  if (fieldValue !== undefined && typeof fieldValue !== 'string') return undefined;
  let key = `${method}\u0000${fieldValue === undefined ? '\u0001' : fieldValue}`;
  for (const a of args) {
    if (a === undefined) key += '\u0000\u0001';
    else if (typeof a === 'string') key += `\u0000${a}`;
    else return undefined;
  }
  return key;
}

/** The shared wrapper of `original` (named `method`, pure in its string arguments and `this[field]`). */
function wrapperOf(original: SdkMethod, method: string, field: string | undefined): SdkMethod {
  let wrapper = wrappers.get(original);
  if (!wrapper) {
    wrapper = function remembered(this: unknown, ...args: unknown[]): unknown {
      const self = this as SdkObject | undefined;
      const key = memoKey(method, field === undefined ? undefined : self?.[field], args);
      if (key === undefined) return original.apply(this, args);
      const hit = answers.get(key);
      if (hit !== undefined) return hit;
      const answer = original.apply(this, args);
      if (answer !== undefined) answers.set(key, answer);
      return answer;
    };
    wrappers.set(original, wrapper);
  }
  return wrapper;
}

/**
 * Puts the shared remembering wrapper of `owner[method]` on `owner` itself; returns false, leaving `owner` as is,
 * when it has no such method.
 */
function rememberAnswers(owner: SdkObject | undefined, method: string, field?: string): boolean {
  const original = owner?.[method];
  if (!owner || typeof original !== 'function') return false;
  owner[method] = wrapperOf(original as SdkMethod, method, field);
  return true;
}

/**
 * Makes a real SDK client answer the URL parts it builds for the Messages API (`client.getHostname`,
 * `client.api.v2010.relativeUrl`, `client.api.absoluteUrl`) from the shared memo, so a repeated send reruns none of
 * them; answers are unchanged. Returns whether all three were found (a mocked client without them is left alone).
 */
export function rememberSdkUrls(client: unknown): boolean {
  const sdk = client as SdkObject | undefined;
  const version = (sdk?.api as SdkObject | undefined)?.v2010 as SdkObject | undefined;
  const domain = version?._domain as SdkObject | undefined;
  const host = rememberAnswers(sdk, 'getHostname');
  const relative = rememberAnswers(version, 'relativeUrl', '_version');
  const absolute = rememberAnswers(domain, 'absoluteUrl', 'baseUrl');
  return host && relative && absolute;
}
