import type { IncomingMessage } from 'node:http';

/** A response read in full. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The headers as Node parsed them (lower-case names), when the response came from `httpRequest`. */
  rawHeaders?: Readonly<IncomingMessage['headers']>;
}

/** Response headers as a Fetch `Headers` object. */
function toHeaders(raw: IncomingMessage['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/** A response of `httpRequest`: its Fetch `Headers` are built only when read (most successes never read them). */
export class ReadResponse implements HttpResponse {
  readonly status: number;
  readonly text: string;
  readonly rawHeaders: Readonly<IncomingMessage['headers']>;
  #headers: Headers | undefined;

  constructor(status: number, rawHeaders: IncomingMessage['headers'], text: string) {
    this.status = status;
    this.rawHeaders = rawHeaders;
    this.text = text;
  }

  /** The headers as a Fetch `Headers` object (built on first read). */
  get headers(): Headers {
    this.#headers ??= toHeaders(this.rawHeaders);
    return this.#headers;
  }
}

/** A response's headers as one string per lower-case name (repeated ones joined by ", ", like `Headers`). */
export function headerRecord(res: HttpResponse): Record<string, string> {
  if (!res.rawHeaders) return Object.fromEntries(res.headers);
  const out: Record<string, string> = {};
  for (const name in res.rawHeaders) {
    const value = res.rawHeaders[name];
    if (value !== undefined) out[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}
