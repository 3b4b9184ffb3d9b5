import { EventEmitter } from 'node:events';
import nodeHttps from 'node:https';
import util from 'node:util';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Msg91Config } from '../config/schemas.js';
import { isSmsError, type SmsError } from '../errors.js';
import { listenWithoutListenerWarning } from '../testing/msw-listen.js';
import type { Logger, SmsMessage } from '../types.js';
import { MSG91_API_BASE_URL, Msg91Provider } from './msg91.js';

/** Makes the HTTPS transport fail with an error whose text embeds the full request URL (and so the key). */
function failTransport(errorFor: (url: string) => Error): void {
  vi.spyOn(nodeHttps, 'request').mockImplementation(((url: URL | string) => {
    const req = Object.assign(new EventEmitter(), {
      end: () => queueMicrotask(() => req.emit('error', errorFor(String(url)))),
      destroy: () => undefined,
    });
    return req;
  }) as unknown as typeof nodeHttps.request);
}

const AUTH_KEY = '412345AbCdEfGhIjKlMnOpQr';
const TEMPLATE_ID = '64f0c2a1d6fc05aa11223344';
const REQUEST_ID = '3763646c3058373530393831';
const TO = '+919876543210';

interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

const calls: Call[] = [];
type Reply = () => Response | Promise<Response>;
const defaultFlowReply: Reply = () => HttpResponse.json({ type: 'success', message: REQUEST_ID });
const defaultBalanceReply: Reply = () => HttpResponse.text('1523');
let flowReply: Reply = defaultFlowReply;
let balanceReply: Reply = defaultBalanceReply;

async function record(request: Request): Promise<void> {
  const text = await request.text();
  let body: unknown = text || undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // keep the raw text
  }
  calls.push({
    url: new URL(request.url),
    method: request.method,
    headers: Object.fromEntries(request.headers.entries()),
    body,
  });
}

const server = setupServer(
  http.post('*/api/v5/flow', async ({ request }) => {
    await record(request);
    return flowReply();
  }),
  http.get('*/api/balance.php', async ({ request }) => {
    await record(request);
    return balanceReply();
  }),
);

beforeAll(() => listenWithoutListenerWarning(server, { onUnhandledRequest: 'error' }));
afterEach(() => {
  calls.length = 0;
  flowReply = defaultFlowReply;
  balanceReply = defaultBalanceReply;
  server.resetHandlers();
  vi.restoreAllMocks();
});
afterAll(() => server.close());

const config = (over: Partial<Msg91Config> = {}): Msg91Config => ({
  authKey: AUTH_KEY,
  templateId: TEMPLATE_ID,
  ...over,
});
const provider = (over: Partial<Msg91Config> = {}) => new Msg91Provider(config(over));

it('timeoutMs past setTimeout’s limit (2^31 − 1) → invalid_config naming options.timeoutMs', () => {
  for (const timeoutMs of [2 ** 31, 2 ** 40]) {
    expect(() => new Msg91Provider(config(), { timeoutMs })).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('options.timeoutMs'),
      }),
    );
  }
  expect(() => new Msg91Provider(config(), { timeoutMs: 2 ** 31 - 1 })).not.toThrow();
});
const msg = (over: Partial<SmsMessage> = {}): SmsMessage => ({ to: TO, body: 'Your code is 4821', ...over });

async function caught(p: Promise<unknown> | (() => unknown)): Promise<SmsError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isSmsError(e)) return e;
    throw e;
  }
  throw new Error('expected an SmsError');
}

describe('Msg91Provider.send — the request', () => {
  it('POSTs the Flow API with the authkey header and the exact JSON body', async () => {
    const result = await provider().send(msg({ reference: 'notif-42' }));
    expect(result).toEqual({
      messageId: REQUEST_ID,
      provider: 'msg91',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    });
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.url.href).toBe('https://control.msg91.com/api/v5/flow');
    expect(call.headers.authkey).toBe(AUTH_KEY);
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.accept).toBe('application/json');
    expect(call.body).toEqual({
      template_id: TEMPLATE_ID,
      short_url: '0',
      recipients: [{ mobiles: '919876543210', body: 'Your code is 4821' }],
      CRQID: 'notif-42',
    });
  });

  it('strips formatting from the number and never sends the "+"', async () => {
    await provider().send(msg({ to: '+91 (987) 654-3210' }));
    const body = calls[0]!.body as { recipients: { mobiles: string }[] };
    expect(body.recipients[0]!.mobiles).toBe('919876543210');
  });

  it('omits CRQID when there is no reference, and sends short_url "1" when configured', async () => {
    await provider({ shortUrl: true }).send(msg());
    const body = calls[0]!.body as Record<string, unknown>;
    expect(body).not.toHaveProperty('CRQID');
    expect(body.short_url).toBe('1');
  });

  it('uses message.template.id over config.templateId, and its variables instead of the body', async () => {
    await provider().send(
      msg({ template: { id: 'tmpl-override', variables: { otp: '4821', name: 'Asha' } } }),
    );
    expect(calls[0]!.body).toEqual({
      template_id: 'tmpl-override',
      short_url: '0',
      recipients: [{ mobiles: '919876543210', otp: '4821', name: 'Asha' }],
    });
  });

  it('falls back to config.templateId when the message template names no id', async () => {
    await provider().send(msg({ template: { variables: { otp: '1' } } }));
    expect(calls[0]!.body).toMatchObject({ template_id: TEMPLATE_ID, recipients: [{ otp: '1' }] });
  });

  it('puts the body in config.bodyVariable when no variables are given', async () => {
    await provider({ bodyVariable: 'VAR1' }).send(msg());
    expect((calls[0]!.body as { recipients: unknown[] }).recipients[0]).toEqual({
      mobiles: '919876543210',
      VAR1: 'Your code is 4821',
    });
  });

  it('honours apiBaseUrl (with a path prefix and a trailing slash)', async () => {
    const p = new Msg91Provider(config(), { apiBaseUrl: 'http://msg91.emulator.test:8080/prefix/' });
    await p.send(msg());
    await p.verify();
    expect(calls.map((c) => `${c.url.origin}${c.url.pathname}`)).toEqual([
      'http://msg91.emulator.test:8080/prefix/api/v5/flow',
      'http://msg91.emulator.test:8080/prefix/api/balance.php',
    ]);
  });

  it('reports UCS-2 encoding and segments computed locally', async () => {
    const result = await provider().send(msg({ body: 'नमस्ते '.repeat(12) }));
    expect(result.encoding).toBe('UCS-2');
    expect(result.segments).toBe(2);
  });

  it('exposes MSG91_API_BASE_URL and the provider name', () => {
    expect(MSG91_API_BASE_URL).toBe('https://control.msg91.com');
    expect(provider().name).toBe('msg91');
  });
});

describe('Msg91Provider.send — checks before any network call', () => {
  it.each([
    ['no template anywhere', config({ templateId: undefined }), msg(), 'invalid_message'],
    ['no leading +', config(), msg({ to: '919876543210' }), 'invalid_recipient'],
    ['impossible number', config(), msg({ to: '+91123' }), 'invalid_recipient'],
    ['empty body', config(), msg({ body: '   ' }), 'invalid_message'],
    ['body over 1600 chars', config(), msg({ body: 'a'.repeat(1601) }), 'invalid_message'],
    ['empty template id', config(), msg({ template: { id: '' } }), 'invalid_message'],
    [
      'a variable named mobiles',
      config(),
      msg({ template: { variables: { mobiles: '911' } } }),
      'invalid_message',
    ],
  ] as const)('%s → %s, nothing sent', async (_name, cfg, message, code) => {
    const err = await caught(new Msg91Provider(cfg).send(message));
    expect(err).toMatchObject({ code, provider: 'msg91', outcome: 'not_sent', retryable: false });
    expect(calls).toHaveLength(0);
  });

  it('a signal aborted before the call → aborted not_sent, nothing sent', async () => {
    const err = await caught(provider().send(msg(), { signal: AbortSignal.abort() }));
    expect(err).toMatchObject({ code: 'aborted', outcome: 'not_sent', retryable: false });
    expect(calls).toHaveLength(0);
  });
});

// Every MSG91 cell of the §5 table: HTTP 200 with { type: "error" }.
const TABLE: {
  name: string;
  answer: Record<string, unknown>;
  code: string;
  providerCode: string;
}[] = [
  {
    name: '101 missing mobile',
    answer: { code: '101', message: 'Mobile number missing' },
    code: 'invalid_recipient',
    providerCode: '101',
  },
  {
    name: '202 invalid mobile',
    answer: { code: '202', message: 'Invalid mobile number' },
    code: 'invalid_recipient',
    providerCode: '202',
  },
  {
    name: '418 IP not whitelisted',
    answer: { code: '418', message: 'IP not whitelisted' },
    code: 'permission_denied',
    providerCode: '418',
  },
  {
    name: '203 invalid sender',
    answer: { code: '203', message: 'Invalid sender id' },
    code: 'invalid_sender',
    providerCode: '203',
  },
  {
    name: '102 missing message',
    answer: { code: '102', message: 'Missing message' },
    code: 'invalid_message',
    providerCode: '102',
  },
  {
    name: 'bad template id (message only)',
    answer: { message: 'The provided flow ID or template ID is invalid.' },
    code: 'invalid_template',
    providerCode: 'The provided flow ID or template ID is invalid.',
  },
  {
    name: 'bad template id (variant wording, unmapped code)',
    answer: { code: '400', message: 'Invalid template_id' },
    code: 'invalid_template',
    providerCode: '400',
  },
  {
    name: '106 missing auth key',
    answer: { code: '106', message: 'Missing authkey' },
    code: 'authentication_failed',
    providerCode: '106',
  },
  {
    name: '201 invalid auth key',
    answer: { code: '201', message: 'Invalid authkey' },
    code: 'authentication_failed',
    providerCode: '201',
  },
  {
    name: '207 invalid auth key',
    answer: { code: 207, message: 'Invalid authentication key' },
    code: 'authentication_failed',
    providerCode: '207',
  },
  {
    name: '"Invalid authkey" without a code',
    answer: { message: 'Invalid authkey' },
    code: 'authentication_failed',
    providerCode: 'Invalid authkey',
  },
  {
    name: '301 insufficient balance',
    answer: { code: '301', message: 'Insufficient balance' },
    code: 'insufficient_balance',
    providerCode: '301',
  },
  {
    name: '311 duplicate',
    answer: { code: '311', message: 'Same request within 10 seconds' },
    code: 'duplicate',
    providerCode: '311',
  },
];

describe('Msg91Provider.send — §5 error mapping (HTTP 200, type "error")', () => {
  it.each(TABLE)('$name → $code', async ({ answer, code, providerCode }) => {
    flowReply = () => HttpResponse.json({ type: 'error', ...answer });
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({
      name: 'SmsError',
      code,
      provider: 'msg91',
      providerCode,
      httpStatus: 200,
      retryable: false,
      outcome: 'not_sent',
    });
    expect(calls).toHaveLength(1);
  });

  it('maps a type "error" answer on a 4xx status by its code too', async () => {
    flowReply = () =>
      HttpResponse.json({ type: 'error', message: 'Invalid authkey', code: '201' }, { status: 401 });
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({ code: 'authentication_failed', httpStatus: 401, providerCode: '201' });
  });

  it('an unmapped type "error" answer → unknown, not_sent (MSG91 refused it)', async () => {
    flowReply = () => HttpResponse.json({ type: 'error', code: '999', message: 'Something odd' });
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({
      code: 'unknown',
      outcome: 'not_sent',
      retryable: false,
      providerCode: '999',
      httpStatus: 200,
    });
    expect(err.message).toContain('Something odd');
  });
});

describe('Msg91Provider.send — HTTP-level failures', () => {
  it('429 with Retry-After seconds → rate_limited, retryable, retryAfterMs', async () => {
    flowReply = () =>
      HttpResponse.json(
        { type: 'error', message: 'Too many requests' },
        { status: 429, headers: { 'retry-after': '7' } },
      );
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({
      code: 'rate_limited',
      httpStatus: 429,
      retryable: true,
      outcome: 'not_sent',
      retryAfterMs: 7000,
      providerCode: 'Too many requests',
    });
  });

  it('429 with an HTTP-date Retry-After → retryAfterMs until that date', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 30_000);
    flowReply = () =>
      HttpResponse.text('slow down', { status: 429, headers: { 'retry-after': at.toUTCString() } });
    const err = await caught(provider().send(msg()));
    expect(err.code).toBe('rate_limited');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('429 without Retry-After → rate_limited with no retryAfterMs', async () => {
    flowReply = () => new HttpResponse(null, { status: 429 });
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true });
    expect(err.retryAfterMs).toBeUndefined();
  });

  it.each([
    ['500 JSON', () => HttpResponse.json({ type: 'error', message: 'Internal error' }, { status: 500 }), 500],
    [
      '502 HTML',
      () => HttpResponse.html('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502 }),
      502,
    ],
    ['503 text', () => HttpResponse.text('Service Unavailable', { status: 503 }), 503],
  ] as const)('%s → provider_unavailable, outcome unknown', async (_name, reply, status) => {
    flowReply = reply;
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({
      code: 'provider_unavailable',
      httpStatus: status,
      outcome: 'unknown',
      retryable: false,
    });
  });

  it('an HTML page on HTTP 200 → provider_unavailable, outcome unknown', async () => {
    flowReply = () => HttpResponse.html('<!doctype html><title>Maintenance</title>');
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({ code: 'provider_unavailable', httpStatus: 200, outcome: 'unknown' });
  });

  it.each([
    ['404 JSON', () => HttpResponse.json({ message: 'Not Found' }, { status: 404 }), 404],
    ['400 text', () => HttpResponse.text('Bad Request', { status: 400 }), 400],
    ['403 HTML', () => HttpResponse.html('<h1>Forbidden</h1>', { status: 403 }), 403],
  ] as const)('an unmapped %s → unknown, not_sent', async (_name, reply, status) => {
    flowReply = reply;
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({ code: 'unknown', httpStatus: status, outcome: 'not_sent', retryable: false });
  });

  it.each([
    ['plain text', () => HttpResponse.text('OK')],
    ['an empty object', () => HttpResponse.json({})],
    ['success without a request id', () => HttpResponse.json({ type: 'success' })],
    ['a JSON array', () => HttpResponse.json([1, 2])],
  ] as const)('HTTP 200 with %s → unknown, outcome unknown (it may have been sent)', async (_name, reply) => {
    flowReply = reply;
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({ code: 'unknown', httpStatus: 200, outcome: 'unknown', retryable: false });
  });

  it('a transport error → network (msw fails its mock socket before it connects: not sent)', async () => {
    // Before vs after the request left is decided by the socket's connect event; the real-socket tests
    // (msg91.socket.test.ts) cover both sides. msw's HttpResponse.error() never connects its socket.
    flowReply = () => HttpResponse.error();
    const err = await caught(provider().send(msg()));
    expect(err).toMatchObject({ code: 'network', outcome: 'not_sent', retryable: true });
  });
});

describe('Msg91Provider.verify', () => {
  it.each(['1523', '1523.50', ' 1523\n', '0'])('a numeric balance %j → resolves', async (text) => {
    balanceReply = () => HttpResponse.text(text);
    await expect(provider().verify()).resolves.toBeUndefined();
  });

  it('GETs balance.php with the key and type=4', async () => {
    await provider().verify();
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.method).toBe('GET');
    expect(`${call.url.origin}${call.url.pathname}`).toBe('https://control.msg91.com/api/balance.php');
    expect(call.url.searchParams.get('authkey')).toBe(AUTH_KEY);
    expect(call.url.searchParams.get('type')).toBe('4');
  });

  it.each([
    ['"Invalid authkey" text on HTTP 200', () => HttpResponse.text('Invalid authkey'), 'Invalid authkey'],
    [
      '"Invalid authkey" JSON on HTTP 200',
      () => HttpResponse.json({ msg: 'Invalid authkey', msgType: 'error' }),
      'Invalid authkey',
    ],
    [
      'JSON type error with code 201',
      () => HttpResponse.json({ type: 'error', message: 'Invalid authkey', code: '201' }),
      '201',
    ],
    ['a non-numeric body', () => HttpResponse.text('abc'), 'abc'],
    ['an empty body', () => HttpResponse.text(''), undefined],
    [
      '"Invalid authkey" on HTTP 401',
      () => HttpResponse.text('Invalid authkey', { status: 401 }),
      'Invalid authkey',
    ],
  ] as const)('%s → authentication_failed', async (_name, reply, providerCode) => {
    balanceReply = reply;
    const err = await caught(provider().verify());
    expect(err).toMatchObject({ code: 'authentication_failed', provider: 'msg91', retryable: false });
    expect(err.providerCode).toBe(providerCode);
  });

  it.each([
    ['500', () => HttpResponse.text('oops', { status: 500 })],
    ['502 HTML', () => HttpResponse.html('<html>Bad Gateway</html>', { status: 502 })],
  ] as const)('%s → provider_unavailable', async (_name, reply) => {
    balanceReply = reply;
    const err = await caught(provider().verify());
    expect(err).toMatchObject({ code: 'provider_unavailable', provider: 'msg91' });
  });

  it('429 → rate_limited with retryAfterMs', async () => {
    balanceReply = () => HttpResponse.text('', { status: 429, headers: { 'retry-after': '2' } });
    const err = await caught(provider().verify());
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 2000 });
  });
});

describe('Msg91Provider — configuration', () => {
  it.each([
    ['authKey missing', { templateId: TEMPLATE_ID }, 'config.authKey is required'],
    ['authKey blank', { authKey: '   ' }, 'config.authKey'],
    ['authKey not a string', { authKey: 12345678 }, 'config.authKey'],
    ['senderId not 6 letters', { authKey: AUTH_KEY, senderId: 'LDM1' }, 'config.senderId'],
    ['templateId empty', { authKey: AUTH_KEY, templateId: '' }, 'config.templateId'],
    ['bodyVariable with spaces', { authKey: AUTH_KEY, bodyVariable: 'my var' }, 'config.bodyVariable'],
    ['shortUrl not boolean', { authKey: AUTH_KEY, shortUrl: 'yes' }, 'config.shortUrl'],
  ])('%s → invalid_config naming the field', async (_name, cfg, field) => {
    const err = await caught(() => new Msg91Provider(cfg as unknown as Msg91Config));
    expect(err).toMatchObject({
      code: 'invalid_config',
      provider: 'msg91',
      outcome: 'not_sent',
      retryable: false,
    });
    expect(err.message).toContain(field);
    expect(err.message).not.toContain(AUTH_KEY);
  });

  it('never echoes an invalid key value', async () => {
    const err = await caught(() => new Msg91Provider({ authKey: 42424242 } as unknown as Msg91Config));
    expect(err.message).not.toContain('42424242');
  });

  it.each([
    ['apiBaseUrl not a URL', { apiBaseUrl: 'not a url' }, 'options.apiBaseUrl'],
    ['apiBaseUrl not http', { apiBaseUrl: 'ftp://example.com' }, 'options.apiBaseUrl'],
    ['apiBaseUrl with credentials', { apiBaseUrl: 'https://u:p@example.com' }, 'options.apiBaseUrl'],
    ['timeoutMs negative', { timeoutMs: -1 }, 'options.timeoutMs'],
    ['timeoutMs NaN', { timeoutMs: Number.NaN }, 'options.timeoutMs'],
  ])('%s → invalid_config naming the option', async (_name, options, field) => {
    const err = await caught(() => new Msg91Provider(config(), options));
    expect(err).toMatchObject({ code: 'invalid_config' });
    expect(err.message).toContain(field);
  });

  it('never exposes the authKey through JSON.stringify or util.inspect', () => {
    const p = new Msg91Provider(config(), { apiBaseUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    expect(JSON.stringify(p)).not.toContain(AUTH_KEY);
    expect(util.inspect(p, { depth: 10 })).not.toContain(AUTH_KEY);
    expect(util.inspect(p, { depth: 10, showHidden: true })).not.toContain(AUTH_KEY);
    expect(Object.values(p).join(' ')).not.toContain(AUTH_KEY);
    expect(String(p)).not.toContain(AUTH_KEY);
  });
});

describe('Msg91Provider — logging', () => {
  it('logs debug lines on send and verify, never with the key', async () => {
    const lines: { level: string; fields: Record<string, unknown>; msg?: string }[] = [];
    const log =
      (level: string) =>
      (fields: Record<string, unknown>, m?: string): void => {
        lines.push({ level, fields, ...(m !== undefined ? { msg: m } : {}) });
      };
    const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const p = new Msg91Provider(config(), { logger });
    await p.send(msg({ reference: 'r-1' }));
    await p.verify();
    flowReply = () => HttpResponse.json({ type: 'error', message: `Invalid authkey ${AUTH_KEY}` });
    await caught(p.send(msg()));
    balanceReply = () => HttpResponse.text(`Invalid authkey ${AUTH_KEY}`);
    await caught(p.verify());
    expect(lines.filter((l) => l.level === 'debug').map((l) => l.msg)).toEqual([
      'msg91 send',
      'msg91 send accepted',
      'msg91 verify',
      'msg91 verify ok',
      'msg91 send',
      'msg91 send failed',
      'msg91 verify',
      'msg91 verify failed',
    ]);
    expect(JSON.stringify(lines)).not.toContain(AUTH_KEY);
    expect(util.inspect(lines, { depth: 10 })).not.toContain(AUTH_KEY);
  });
});

describe('Msg91Provider — the authKey never leaks from an error', () => {
  const echo = `Invalid authkey ${AUTH_KEY}`;
  const scenarios: [string, () => Promise<SmsError>][] = [
    [
      'send: key echoed in a type error message',
      async () => {
        flowReply = () => HttpResponse.json({ type: 'error', message: echo, code: '201' });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: key echoed in an unmapped error',
      async () => {
        flowReply = () =>
          HttpResponse.json({ type: 'error', message: `authkey=${AUTH_KEY} rejected`, code: '999' });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: key echoed as the code',
      async () => {
        flowReply = () => HttpResponse.json({ type: 'error', message: 'x', code: AUTH_KEY });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: 429',
      async () => {
        flowReply = () => HttpResponse.json({ type: 'error', message: echo }, { status: 429 });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: 500 JSON',
      async () => {
        flowReply = () => HttpResponse.json({ type: 'error', message: echo }, { status: 500 });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: 502 HTML',
      async () => {
        flowReply = () => HttpResponse.html(`<html>${echo}</html>`, { status: 502 });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: 404',
      async () => {
        flowReply = () => HttpResponse.json({ message: echo }, { status: 404 });
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: 200 unparseable',
      async () => {
        flowReply = () => HttpResponse.text(echo);
        return caught(provider().send(msg()));
      },
    ],
    [
      'send: transport error',
      async () => {
        flowReply = () => HttpResponse.error();
        return caught(provider().send(msg()));
      },
    ],
    ['send: local check', async () => caught(provider().send(msg({ to: 'nope' })))],
    ['send: no template', async () => caught(provider({ templateId: undefined }).send(msg()))],
    [
      'send: aborted',
      async () => caught(provider().send(msg(), { signal: AbortSignal.abort(new Error(echo)) })),
    ],
    [
      'verify: key echoed in text',
      async () => {
        balanceReply = () => HttpResponse.text(echo);
        return caught(provider().verify());
      },
    ],
    [
      'verify: key echoed in JSON',
      async () => {
        balanceReply = () => HttpResponse.json({ msg: echo, msgType: 'error' });
        return caught(provider().verify());
      },
    ],
    [
      'verify: 500',
      async () => {
        balanceReply = () => HttpResponse.text(echo, { status: 500 });
        return caught(provider().verify());
      },
    ],
    [
      'verify: 404',
      async () => {
        balanceReply = () => HttpResponse.text(echo, { status: 404 });
        return caught(provider().verify());
      },
    ],
    [
      'verify: transport error',
      async () => {
        balanceReply = () => HttpResponse.error();
        return caught(provider().verify());
      },
    ],
    [
      'verify: fetch fails with the URL (and key) in its message and cause',
      async () => {
        failTransport(
          (url) =>
            new TypeError(`request failed for ${url}`, {
              cause: Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' }),
            }),
        );
        return caught(provider().verify());
      },
    ],
    [
      'verify: key with characters that URL-encoding changes',
      async () => {
        const key = 'k3y+with/odd=chars&more';
        failTransport((url) => new TypeError(`request failed for ${url}`));
        const err = await caught(new Msg91Provider(config({ authKey: key })).verify());
        for (const s of [err.message, err.stack ?? '', String(err.cause?.message), JSON.stringify(err)]) {
          expect(s).not.toContain(key);
          expect(s).not.toContain(encodeURIComponent(key));
          expect(s).not.toContain(new URLSearchParams({ k: key }).toString().slice(2));
        }
        return err;
      },
    ],
    [
      'config: invalid field next to a valid key',
      async () => caught(() => new Msg91Provider({ authKey: AUTH_KEY, senderId: '12' })),
    ],
  ];

  it.each(scenarios)('%s', async (_name, run) => {
    const err = await run();
    expect(isSmsError(err)).toBe(true);
    const views = [
      err.message,
      err.stack ?? '',
      String(err.cause),
      JSON.stringify(err.cause ?? null),
      JSON.stringify(err),
      util.inspect(err, { depth: 10 }),
      util.inspect(err, { depth: 10, showHidden: true }),
      String(err.providerCode ?? ''),
    ];
    for (const view of views) expect(view).not.toContain(AUTH_KEY);
  });
});

describe('Msg91Provider — an authKey that cannot be sent as a header', () => {
  it.each([
    ['a control character', `${AUTH_KEY}\u0007`],
    ['a space inside', 'abc def'],
    ['a non-Latin-1 character', 'kéy✓'],
  ])('rejects %s at construction, naming the field, never echoing it', (_name, authKey) => {
    let err: unknown;
    try {
      new Msg91Provider({ authKey, templateId: 't1' });
    } catch (e) {
      err = e;
    }
    expect(isSmsError(err) && err.code).toBe('invalid_config');
    expect((err as SmsError).message).toContain('config.authKey');
    expect((err as SmsError).message).not.toContain(authKey);
  });
});
