import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispatchLogInput } from '../dispatch-log.js';
import { isSmsError, type SmsError } from '../errors.js';
import { createSmsSender } from '../sender.js';
import { listenWithoutListenerWarning } from '../testing/msw-listen.js';
import { TwilioProvider } from './twilio.js';

// HTTP-level contract of the real twilio SDK over our httpClient, with msw answering.
const BASE = 'http://twilio.test';
const SID = `AC${'0f'.repeat(16)}`;
const TOKEN = 'Zt0ken_very_secret_987654';
const AUTH = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;
const FROM = '+15005550006';
const TO = '+14155552671';
const MSG_SID = `SM${'1a'.repeat(16)}`;

interface Call {
  url: string;
  method: string;
  authorization: string | null;
  contentType: string | null;
  form: URLSearchParams;
}
const calls: Call[] = [];
type Responder = (req: Request, form: URLSearchParams) => Response | Promise<Response>;
let respond: Responder;

const message = (over: Record<string, unknown> = {}) => ({
  sid: MSG_SID,
  account_sid: SID,
  status: 'queued',
  to: TO,
  from: FROM,
  body: 'hi',
  num_segments: '1',
  num_media: '0',
  direction: 'outbound-api',
  api_version: '2010-04-01',
  error_code: null,
  error_message: null,
  ...over,
});
const twilioError = (status: number, code: number, headers?: Record<string, string>) =>
  HttpResponse.json(
    { code, message: `Twilio says ${code}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    { status, ...(headers ? { headers } : {}) },
  );

const record = async (request: Request): Promise<Response> => {
  const text = request.method === 'GET' ? '' : await request.clone().text();
  const form = new URLSearchParams(text);
  calls.push({
    url: request.url,
    method: request.method,
    authorization: request.headers.get('authorization'),
    contentType: request.headers.get('content-type'),
    form,
  });
  return respond(request, form);
};
const server = setupServer(
  http.post(`${BASE}/2010-04-01/Accounts/:sid/Messages.json`, ({ request }) => record(request)),
  http.get(`${BASE}/2010-04-01/Accounts/:sid.json`, ({ request }) => record(request)),
  http.post('https://api.twilio.com/2010-04-01/Accounts/:sid/Messages.json', ({ request }) =>
    record(request),
  ),
);

beforeAll(() => listenWithoutListenerWarning(server, { onUnhandledRequest: 'error' }));
beforeEach(() => {
  calls.length = 0;
  respond = () => HttpResponse.json(message(), { status: 201 });
});
afterEach(() => {
  server.resetHandlers();
  vi.unstubAllEnvs();
});
afterAll(() => server.close());

const provider = (over: Partial<{ fromNumber: string; statusCallbackUrl: string }> = {}) =>
  new TwilioProvider(
    { accountSid: SID, authToken: TOKEN, fromNumber: over.fromNumber ?? FROM },
    {
      apiBaseUrl: BASE,
      timeoutMs: 2_000,
      ...(over.statusCallbackUrl ? { statusCallbackUrl: over.statusCallbackUrl } : {}),
    },
  );
const send = (p = provider(), to = TO) => p.send({ to, body: 'hi' });

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSmsError(err), `expected an SmsError, got ${String(err)}`).toBe(true);
  return err as SmsError;
}

describe('TwilioProvider over HTTP (msw)', () => {
  it('POSTs the exact form to Messages.json with Basic auth and returns the result', async () => {
    const r = await provider().send({ to: '+1 (415) 555-2671', body: 'Your code is 4821 & more' });
    expect(r).toEqual({
      messageId: MSG_SID,
      provider: 'twilio',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    });
    expect(calls).toHaveLength(1);
    const [c] = calls;
    expect(c!.url).toBe(`${BASE}/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(c!.method).toBe('POST');
    expect(c!.authorization).toBe(AUTH);
    expect(c!.contentType).toContain('application/x-www-form-urlencoded');
    expect(Object.fromEntries(c!.form)).toEqual({ To: TO, From: FROM, Body: 'Your code is 4821 & more' });
  });

  it('sends MessagingServiceSid instead of From, and StatusCallback', async () => {
    const mg = `MG${'2b'.repeat(16)}`;
    respond = () =>
      HttpResponse.json(message({ status: 'accepted', from: null, messaging_service_sid: mg }), {
        status: 201,
      });
    const hook = 'https://hooks.example.com/sms/status/tenant-1';
    const r = await send(provider({ fromNumber: mg, statusCallbackUrl: hook }));
    expect(r.status).toBe('accepted');
    expect(Object.fromEntries(calls[0]!.form)).toEqual({
      To: TO,
      Body: 'hi',
      MessagingServiceSid: mg,
      StatusCallback: hook,
    });
  });

  it('uses https://api.twilio.com by default', async () => {
    await send(
      new TwilioProvider({ accountSid: SID, authToken: TOKEN, fromNumber: FROM }, { timeoutMs: 2_000 }),
    );
    expect(calls[0]!.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`);
  });

  it('keeps apiBaseUrl even when TWILIO_EDGE / TWILIO_REGION would change the host', async () => {
    vi.stubEnv('TWILIO_EDGE', 'sydney');
    vi.stubEnv('TWILIO_REGION', 'au1');
    await send();
    expect(calls[0]!.url).toBe(`${BASE}/2010-04-01/Accounts/${SID}/Messages.json`);
  });

  // Every Twilio cell of the design's §5 table.
  it.each([
    [400, 21211, 'invalid_recipient', false, 'not_sent'],
    [400, 21614, 'invalid_recipient', false, 'not_sent'],
    [400, 21612, 'recipient_unreachable', false, 'not_sent'],
    [400, 21610, 'recipient_opted_out', false, 'not_sent'],
    [400, 21408, 'permission_denied', false, 'not_sent'],
    [400, 21212, 'invalid_sender', false, 'not_sent'],
    [400, 21606, 'invalid_sender', false, 'not_sent'],
    [400, 21210, 'invalid_sender', false, 'not_sent'],
    [400, 21611, 'sender_queue_full', true, 'not_sent'],
    [400, 21602, 'invalid_message', false, 'not_sent'],
    [400, 21617, 'invalid_message', false, 'not_sent'],
    [401, 20003, 'authentication_failed', false, 'not_sent'],
    [429, 20429, 'rate_limited', true, 'not_sent'],
    [500, 20500, 'provider_unavailable', false, 'unknown'],
    [503, 20503, 'provider_unavailable', false, 'unknown'],
    [404, 20404, 'unknown', false, 'not_sent'],
    [400, 21999, 'unknown', false, 'not_sent'],
  ] as const)('HTTP %i code %i → %s', async (status, code, smsCode, retryable, outcome) => {
    respond = () => twilioError(status, code);
    const err = await rejection(send());
    expect(err).toMatchObject({
      code: smsCode,
      provider: 'twilio',
      providerCode: code,
      httpStatus: status,
      retryable,
      outcome,
    });
    expect(err.message).toContain(`Twilio says ${code}`);
  });

  it.each([
    [401, 'authentication_failed', 'not_sent'],
    [429, 'rate_limited', 'not_sent'],
    [418, 'unknown', 'not_sent'],
    [302, 'unknown', 'unknown'],
  ] as const)('HTTP %i without a Twilio code → %s / %s', async (status, smsCode, outcome) => {
    respond = () => HttpResponse.json({ message: 'nope' }, { status });
    const err = await rejection(send());
    expect(err).toMatchObject({ code: smsCode, httpStatus: status, outcome, provider: 'twilio' });
    expect(err.providerCode).toBeUndefined();
  });

  it('an RFC 9457 body (SDK TwilioServiceException) is mapped like a RestException', async () => {
    respond = () =>
      HttpResponse.json(
        {
          type: 'https://www.twilio.com/docs/errors/21211',
          title: 'Invalid To',
          status: 400,
          code: 21211,
          detail: 'x',
        },
        { status: 400 },
      );
    const err = await rejection(send());
    expect(err).toMatchObject({
      code: 'invalid_recipient',
      providerCode: 21211,
      httpStatus: 400,
      outcome: 'not_sent',
    });
  });

  it('an HTML 502 page → provider_unavailable, outcome unknown', async () => {
    respond = () =>
      HttpResponse.text('<html><body><h1>502 Bad Gateway</h1></body></html>', {
        status: 502,
        headers: { 'Content-Type': 'text/html' },
      });
    const err = await rejection(send());
    expect(err).toMatchObject({
      code: 'provider_unavailable',
      httpStatus: 502,
      outcome: 'unknown',
      retryable: false,
    });
  });

  it('429 Retry-After in seconds → retryAfterMs', async () => {
    respond = () => twilioError(429, 20429, { 'Retry-After': '7' });
    const err = await rejection(send());
    expect(err).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 7_000 });
  });

  it('429 Retry-After as an HTTP date → retryAfterMs', async () => {
    respond = () => twilioError(429, 20429, { 'Retry-After': new Date(Date.now() + 30_000).toUTCString() });
    const err = await rejection(send());
    expect(err.retryAfterMs).toBeGreaterThan(27_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('concurrent calls each get their own Retry-After (per-call context)', async () => {
    respond = async (_req, form) => {
      const slow = form.get('To') === '+14155550101';
      await new Promise((r) => setTimeout(r, slow ? 60 : 5));
      return twilioError(429, 20429, { 'Retry-After': slow ? '1' : '2' });
    };
    const p = provider();
    const [a, b] = await Promise.all([
      rejection(send(p, '+14155550101')),
      rejection(send(p, '+14155550102')),
    ]);
    expect([a.retryAfterMs, b.retryAfterMs]).toEqual([1_000, 2_000]);
  });

  it('an error_code in a 201 response throws the mapped error', async () => {
    respond = () =>
      HttpResponse.json(message({ status: 'failed', error_code: 21610, error_message: 'opted out' }), {
        status: 201,
      });
    const err = await rejection(send());
    expect(err).toMatchObject({
      code: 'recipient_opted_out',
      providerCode: 21610,
      httpStatus: 201,
      outcome: 'not_sent',
    });
  });

  it('malformed JSON on success → typed SmsError (unknown, may have been sent)', async () => {
    respond = () =>
      HttpResponse.text('{"sid": "SM', { status: 201, headers: { 'Content-Type': 'application/json' } });
    const err = await rejection(send());
    expect(err).toMatchObject({ code: 'unknown', outcome: 'unknown', httpStatus: 201, retryable: false });
  });

  it('a success body without a SID → typed SmsError', async () => {
    respond = () => HttpResponse.json({}, { status: 201 });
    const err = await rejection(send());
    expect(err).toMatchObject({ code: 'unknown', outcome: 'unknown' });
  });

  describe('verify', () => {
    it('GETs the account with Basic auth and resolves on 200', async () => {
      respond = () => HttpResponse.json({ sid: SID, status: 'active' });
      await expect(provider().verify()).resolves.toBeUndefined();
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        url: `${BASE}/2010-04-01/Accounts/${SID}.json`,
        method: 'GET',
        authorization: AUTH,
      });
    });

    it('resolves on 403 / 20008 (test credentials)', async () => {
      respond = () => twilioError(403, 20008);
      await expect(provider().verify()).resolves.toBeUndefined();
    });

    it('rejects authentication_failed on 401 / 20003', async () => {
      respond = () => twilioError(401, 20003);
      const err = await rejection(provider().verify());
      expect(err).toMatchObject({ code: 'authentication_failed', providerCode: 20003, httpStatus: 401 });
    });

    it('maps other failures like send (403 other code, 500)', async () => {
      respond = () => twilioError(403, 20403);
      expect(await rejection(provider().verify())).toMatchObject({ code: 'unknown', outcome: 'not_sent' });
      respond = () => twilioError(500, 20500);
      expect(await rejection(provider().verify())).toMatchObject({ code: 'provider_unavailable' });
    });
  });

  describe('secrets', () => {
    const paths: [string, Responder][] = [
      ['401', () => twilioError(401, 20003)],
      ['400', () => twilioError(400, 21211)],
      ['429', () => twilioError(429, 20429, { 'Retry-After': '3' })],
      ['500', () => twilioError(500, 20500)],
      ['502 html', () => HttpResponse.text('<html>bad gateway</html>', { status: 502 })],
      ['malformed', () => HttpResponse.text('{oops', { status: 201 })],
      ['error_code', () => HttpResponse.json(message({ error_code: 21611 }), { status: 201 })],
      ['network', () => HttpResponse.error()],
      [
        'echoes credentials',
        () => HttpResponse.json({ code: 20003, message: `bad ${AUTH} ${TOKEN}` }, { status: 401 }),
      ],
    ];
    it.each(paths)('%s: no token or Authorization value in the error', async (_name, responder) => {
      respond = responder;
      for (const call of [() => send(), () => provider().verify()]) {
        const err = (await call().then(
          () => undefined,
          (e: unknown) => e,
        )) as SmsError | undefined;
        if (err === undefined) continue; // verify does not read error_code
        expect(isSmsError(err)).toBe(true);
        const dump = [
          err.message,
          err.stack,
          String(err.cause),
          JSON.stringify(err.cause),
          JSON.stringify(err),
          inspect(err, { depth: 10, showHidden: true }),
        ].join('\n');
        expect(dump).not.toContain(TOKEN);
        expect(dump).not.toContain(AUTH);
        expect(dump).not.toContain(AUTH.slice('Basic '.length));
      }
    });
  });
});

describe('option checks at construction', () => {
  it.each([
    'hooks.example.com/cb',
    '/webhooks/status',
    'https://hooks.example.com/a b',
    'https://hooks.example.com/café',
    'ftp://hooks.example.com/cb',
  ])('statusCallbackUrl %j → invalid_config naming the option, nothing sent', async (url) => {
    let err: unknown;
    try {
      provider({ statusCallbackUrl: url });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'invalid_config', provider: 'twilio' });
    expect((err as Error).message).toContain('options.statusCallbackUrl');
    expect(calls).toHaveLength(0);
  });

  it('sends the normalized statusCallbackUrl (upper-case host, :443, trailing slash are fine)', async () => {
    await send(provider({ statusCallbackUrl: 'https://HOOKS.example.com:443/cb/' }));
    expect(calls[0]!.form.get('StatusCallback')).toBe('https://hooks.example.com/cb/');
  });

  it('timeoutMs past setTimeout’s limit (2^31) → invalid_config naming options.timeoutMs', () => {
    for (const timeoutMs of [2 ** 31, 2 ** 40]) {
      expect(
        () => new TwilioProvider({ accountSid: SID, authToken: TOKEN, fromNumber: FROM }, { timeoutMs }),
      ).toThrow(
        expect.objectContaining({
          code: 'invalid_config',
          message: expect.stringContaining('options.timeoutMs'),
        }),
      );
    }
    expect(calls).toHaveLength(0);
  });

  it('a Retry-After of 3 000 000 s gives up as rate_limited with retryAfterMs, never retried at once', async () => {
    respond = () => twilioError(429, 20429, { 'Retry-After': '3000000' });
    const p = provider();
    expect(() =>
      createSmsSender({
        resolver: { resolve: async () => ({ provider: p, source: 'tenant' as const }) },
        retry: { maxRetryAfterMs: 2 ** 32 },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('retry.maxRetryAfterMs'),
      }),
    );
    const sender = createSmsSender({
      resolver: { resolve: async () => ({ provider: p, source: 'tenant' as const }) },
      retry: { maxRetryAfterMs: 2 ** 31 - 1 },
      circuitBreaker: false,
    });
    const err = await rejection(sender.send('tenant-a', { to: TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 3_000_000_000, outcome: 'not_sent' });
    expect(calls).toHaveLength(1);
  });
});

describe('a 201 for a message Twilio created but will not send', () => {
  it.each([
    ['failed', null, 'unknown'],
    ['undelivered', 30003, 'recipient_unreachable'],
    ['canceled', null, 'unknown'],
    ['failed', 30034, 'invalid_sender'],
    ['failed', 30001, 'sender_queue_full'],
    ['failed', 39999, 'unknown'],
  ] as const)(
    'status %s, error_code %s → %s, not_sent, not retryable, with messageId',
    async (status, code, smsCode) => {
      respond = () => HttpResponse.json(message({ status, error_code: code }), { status: 201 });
      const err = await rejection(send());
      expect(err).toMatchObject({
        code: smsCode,
        outcome: 'not_sent',
        retryable: false,
        provider: 'twilio',
        httpStatus: 201,
        messageId: MSG_SID,
      });
      if (code !== null) expect(err.providerCode).toBe(code);
      expect(err.toJSON().messageId).toBe(MSG_SID);
    },
  );

  it('an error_code on a live status may still be sent: outcome unknown, with messageId', async () => {
    respond = () => HttpResponse.json(message({ status: 'queued', error_code: 30022 }), { status: 201 });
    const err = await rejection(send());
    expect(err).toMatchObject({
      code: 'rate_limited',
      outcome: 'unknown',
      retryable: false,
      messageId: MSG_SID,
    });
  });

  it('an unrecognised status carries the messageId', async () => {
    respond = () => HttpResponse.json(message({ status: 'bogus' }), { status: 201 });
    const err = await rejection(send());
    expect(err).toMatchObject({ code: 'unknown', outcome: 'unknown', messageId: MSG_SID });
  });

  it('messageId survives createSmsSender (withAttempts), toJSON, and the dispatch log (the CLI fields: see provider-sms-cli context.test.ts)', async () => {
    respond = () =>
      HttpResponse.json(message({ status: 'failed', error_code: 30003, error_message: 'unreachable' }), {
        status: 201,
      });
    const p = provider();
    const sender = createSmsSender({
      resolver: { resolve: async () => ({ provider: p, source: 'tenant' as const }) },
      circuitBreaker: false,
    });
    const err = await rejection(sender.send('tenant-a', { to: TO, body: 'hi' }));
    expect(calls).toHaveLength(1); // not_sent but not retryable: one POST
    expect(err).toMatchObject({
      code: 'recipient_unreachable',
      outcome: 'not_sent',
      retryable: false,
      messageId: MSG_SID,
    });
    expect(err.attempts).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(err)).messageId).toBe(MSG_SID);
    expect(dispatchLogInput('tenant-a', { error: err }).messageId).toBe(MSG_SID);
  });
});
