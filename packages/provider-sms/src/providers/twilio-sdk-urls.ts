// The twilio SDK builds the same URL on every call: `Version.relativeUrl` and `Domain.absoluteUrl`
// (twilio/lib/base/Version.js, Domain.js) each run two `trim()`s that build a RegExp per call, and
// `BaseTwilio.getHostname` splits and rejoins the host three times. Each is a pure function of its arguments and
// of a field the client fixes at construction, so each is wrapped on this client's own objects (never on the
// SDK's prototypes) to remember its last answer.

/** An SDK object holding a method to wrap. */
type SdkObject = Record<string, unknown>;

/** Whether two argument lists hold the same values. */
function sameArgs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Wraps `owner[method]` (pure in its string arguments and `owner[field]`) so that a call with the same arguments
 * and field value as the last one returns the last answer without calling it; returns false, leaving `owner` as
 * is, when it has no such method.
 */
function rememberLastAnswer(owner: SdkObject | undefined, method: string, field?: string): boolean {
  const original = owner?.[method];
  if (!owner || typeof original !== 'function') return false;
  let lastArgs: readonly unknown[] | undefined;
  let lastField: unknown;
  let lastAnswer: unknown;
  owner[method] = function remembered(this: unknown, ...args: unknown[]): unknown {
    if (this !== owner) return original.apply(this, args);
    const fieldValue = field === undefined ? undefined : owner[field];
    if (lastArgs && fieldValue === lastField && sameArgs(args, lastArgs)) return lastAnswer;
    const answer: unknown = original.apply(this, args);
    if (args.every((a) => a === undefined || typeof a === 'string')) {
      lastArgs = args;
      lastField = fieldValue;
      lastAnswer = answer;
    }
    return answer;
  };
  return true;
}

/**
 * Makes a real SDK client remember the last URL parts it built for the Messages API (`client.getHostname`,
 * `client.api.v2010.relativeUrl`, `client.api.absoluteUrl`), so a repeated send reruns none of them; answers are
 * unchanged. Returns whether all three were found (a mocked client without them is left alone).
 */
export function rememberSdkUrls(client: unknown): boolean {
  const sdk = client as SdkObject | undefined;
  const version = (sdk?.api as SdkObject | undefined)?.v2010 as SdkObject | undefined;
  const domain = version?._domain as SdkObject | undefined;
  const host = rememberLastAnswer(sdk, 'getHostname');
  const relative = rememberLastAnswer(version, 'relativeUrl', '_version');
  const absolute = rememberLastAnswer(domain, 'absoluteUrl', 'baseUrl');
  return host && relative && absolute;
}
