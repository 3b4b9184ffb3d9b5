// What the status webhook handler reads of a request and what it answers, independent of how the request arrived:
// a Fetch `Request` (`fromFetchRequest`) or a node:http request read by `toNodeListener` (no Fetch objects built, the
// handler's native path). The handler's answers are plain `{ status, body }` objects turned into a `Response` only
// on the Fetch path.

/** A request as the webhook handler reads it. */
export interface WebhookRequest {
  /** Upper-case method (`POST`). */
  readonly method: string;
  /** Absolute URL as received (what `new Request(url).url` would hold). */
  readonly url: string;
  /** `url` already parsed, when the adapter has it (not parsed again). */
  readonly parsedUrl?: URL;
  /** A header value (lower-case name), as Fetch's `Headers.get` returns it; null when absent. */
  header(name: string): string | null;
  /** The body decoded as UTF-8 (a leading BOM dropped, as Fetch's `text()`); read once. */
  text(): Promise<string>;
  /** The same request as a Fetch `Request` (for the parsers that take one); built on demand. */
  toFetchRequest(): Request;
}

/** The handler's answer: a status and a short plain-text body (`allow` on a 405). */
export interface WebhookAnswer {
  status: number;
  body: string;
  allow?: string;
}

/** The handler's Fetch-free entry point, which `toNodeListener` calls when the handler has one. */
export type WebhookCore = (request: WebhookRequest) => Promise<WebhookAnswer>;

/** Where a handler keeps its `WebhookCore` (a symbol: not part of its public shape). */
export const WEBHOOK_CORE: unique symbol = Symbol('provider-sms.webhookCore');

/** The content type of every answer. */
export const ANSWER_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** A `WebhookAnswer`. */
export const answer = (status: number, body: string, allow?: string): WebhookAnswer =>
  allow === undefined ? { status, body } : { status, body, allow };

/** A Fetch `Request` seen as a `WebhookRequest`. */
export function fromFetchRequest(request: Request): WebhookRequest {
  return {
    method: request.method,
    url: request.url,
    header: (name) => request.headers.get(name),
    text: () => request.text(),
    toFetchRequest: () => request,
  };
}

/** A `WebhookAnswer` as a Fetch `Response`. */
export function toFetchResponse(a: WebhookAnswer): Response {
  const headers: Record<string, string> = { 'content-type': ANSWER_CONTENT_TYPE };
  if (a.allow !== undefined) headers.allow = a.allow;
  return new Response(a.body, { status: a.status, headers });
}

/** The body bytes as Fetch's `text()` decodes them: UTF-8 with replacement characters, a leading BOM dropped. */
export function decodeBody(body: Buffer): string {
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  return body.toString('utf8', bom ? 3 : 0);
}
