// Property tests (issue 7): arbitrary SmsMessage inputs and arbitrary provider responses (status, headers, body
// bytes, resets) from a real local node:http server, through the real TwilioProvider / Msg91Provider and
// createSmsSender → always a typed result or an SmsError, never another exception, never an unhandled rejection,
// never a secret in any output (errors, their JSON, logs, events). A few hundred runs by default; ≥ 10 000 when
// SOAK=1 (`pnpm test:soak`).

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSmsError, SMS_ERROR_CODES } from '../../src/errors.js';
import { basicAuth } from '../../src/http.js';
import { Msg91Provider } from '../../src/providers/msg91.js';
import { TwilioProvider } from '../../src/providers/twilio.js';
import { createSmsSender, type SmsSenderEvent, type SmsSenderResult } from '../../src/sender.js';
import { SMS_STATUSES } from '../../src/status.js';
import type { Logger, SmsMessage, SmsProvider } from '../../src/types.js';

const SOAK = process.env.SOAK === '1';
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? (SOAK ? 10_000 : 300));
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const BASIC = basicAuth(ACCOUNT_SID, AUTH_TOKEN);
const MSG91_KEY = `${randomBytes(12).toString('hex')}K`;
const SECRETS = [AUTH_TOKEN, BASIC.slice('Basic '.length), MSG91_KEY];
/** What a hostile upstream may reflect, per provider: only that provider's own credentials. */
const OWN_SECRETS = {
  twilio: [AUTH_TOKEN, BASIC, BASIC.slice('Basic '.length)],
  msg91: [MSG91_KEY, `authkey=${MSG91_KEY}`],
} as const;
const SECRET_PLACEHOLDER = '__SECRET__';

interface ResponseSpec {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  reset: 'none' | 'before' | 'mid';
  /** The body echoes a secret (a hostile or buggy upstream): `__SECRET__` is replaced by `secret` when served. */
  echoesSecret: boolean;
  secret?: string;
}

let spec: ResponseSpec = {
  status: 200,
  headers: [],
  body: new Uint8Array(),
  reset: 'none',
  echoesSecret: false,
};
let server: Server;
let baseUrl: string;
let served = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = createServer((req, res) => {
    served++;
    req.resume();
    req.on('end', () => {
      const s = spec;
      if (s.reset === 'before') {
        req.socket.destroy();
        return;
      }
      try {
        const headers: Record<string, string> = {};
        for (const [k, v] of s.headers) headers[k] = v;
        res.writeHead(s.status, headers);
        const body = s.secret
          ? new TextEncoder().encode(
              new TextDecoder().decode(s.body).split(SECRET_PLACEHOLDER).join(s.secret),
            )
          : s.body;
        if (s.reset === 'mid') {
          res.write(Buffer.from(body.subarray(0, body.length >> 1)));
          setImmediate(() => res.destroy());
          return;
        }
        res.end(Buffer.from(body));
      } catch {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries

const printable = (max: number) =>
  fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: max }).map((a) => String.fromCharCode(...a));

const headerArb: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.constantFrom(
    'content-type',
    'retry-after',
    'location',
    'x-request-id',
    'twilio-request-id',
    'cache-control',
  ),
  fc.oneof(
    printable(40),
    fc.constantFrom('application/json', 'text/html', 'text/plain', 'application/problem+json'),
    fc.integer({ min: -5, max: 200_000 }).map(String),
    fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  ),
);

/** JSON bodies shaped like the providers' answers, with random field values. */
const twilioLike = fc.record(
  {
    sid: fc.oneof(fc.constant(`SM${'a'.repeat(32)}`), fc.string(), fc.integer(), fc.constant(null)),
    status: fc.oneof(fc.constantFrom('queued', 'accepted', 'sent', 'failed', 'bogus'), fc.anything()),
    num_segments: fc.oneof(fc.constantFrom('1', '3', '0', '-1', 'x'), fc.integer(), fc.constant(null)),
    error_code: fc.oneof(fc.constantFrom(null, 21211, 21610, 21611, 30003, 20429), fc.integer(), fc.string()),
    error_message: fc.oneof(fc.string(), fc.constant(null)),
    code: fc.oneof(
      fc.constantFrom(20003, 20429, 21211, 21612, 21408, 21606, 21617, 20500),
      fc.integer(),
      fc.string(),
    ),
    message: fc.oneof(fc.string(), fc.anything()),
    more_info: fc.string(),
    account_sid: fc.constant(ACCOUNT_SID),
  },
  { requiredKeys: [] },
);
const msg91Like = fc.record(
  {
    type: fc.oneof(fc.constantFrom('success', 'error', 'SUCCESS'), fc.anything()),
    message: fc.oneof(
      fc.constantFrom(
        'Invalid authkey',
        'Flow ID is invalid',
        '3563686b6d5a303833363534',
        'Mobile no. not found',
      ),
      fc.string(),
      fc.anything(),
    ),
    code: fc.oneof(
      fc.constantFrom('101', '102', '106', '201', '202', '203', '207', '301', '311', '418'),
      fc.anything(),
    ),
    request_id: fc.oneof(fc.string(), fc.anything()),
  },
  { requiredKeys: [] },
);

const bodyArb: fc.Arbitrary<{ body: Uint8Array; echoesSecret: boolean }> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((body) => ({ body, echoesSecret: false })),
  fc.oneof(twilioLike, msg91Like, fc.jsonValue()).map((v) => ({
    body: new TextEncoder().encode(JSON.stringify(v) ?? 'null'),
    echoesSecret: false,
  })),
  fc
    .constantFrom('{"sid": "SM12', '<html><h1>502</h1></html>', '', 'null', '[]', '12.5', 'Invalid authkey')
    .map((t) => ({
      body: new TextEncoder().encode(t),
      echoesSecret: false,
    })),
  // Hostile upstream: the secret is reflected into the error text.
  fc.constantFrom('twilio', 'msg91', 'text').map((shape) => {
    const secret = SECRET_PLACEHOLDER;
    const text =
      shape === 'twilio'
        ? JSON.stringify({
            code: 20003,
            message: `Authenticate ${secret}`,
            more_info: `https://x/${secret}`,
            status: 401,
          })
        : shape === 'msg91'
          ? JSON.stringify({ type: 'error', message: `bad key ${secret}`, code: '201' })
          : `<html>upstream said ${secret}</html>`;
    return { body: new TextEncoder().encode(text), echoesSecret: true };
  }),
);

const responseArb: fc.Arbitrary<ResponseSpec> = fc
  .record({
    status: fc.oneof(
      fc.constantFrom(200, 201, 202, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503),
      fc.integer({ min: 200, max: 599 }),
    ),
    headers: fc.array(headerArb, { maxLength: 4 }),
    body: bodyArb,
    reset: fc.oneof(
      { weight: 12, arbitrary: fc.constant('none' as const) },
      fc.constantFrom('before' as const, 'mid' as const),
    ),
  })
  .map(({ body, ...r }) => ({ ...r, body: body.body, echoesSecret: body.echoesSecret }));

const validMessageArb: fc.Arbitrary<SmsMessage> = fc.record(
  {
    to: fc.constantFrom(
      '+14155552671',
      '+919876543210',
      '(415) 555-2671',
      '+44 20 7946 0958',
      '+4915123456789',
    ),
    body: fc.oneof(
      fc.string({ minLength: 1, maxLength: 300 }).filter((b) => b.trim().length > 0),
      fc.constant('Your code is 4821'),
    ),
    template: fc.option(
      fc.record(
        {
          id: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined }),
          variables: fc.option(
            fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 })),
            { nil: undefined },
          ),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    reference: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }), // printable ASCII, as documented
  },
  { requiredKeys: ['to', 'body'] },
);

/** Mostly messages that pass the local checks (so the response parsing is exercised), some wild ones. */
const messageArb: fc.Arbitrary<SmsMessage> = fc.oneof(
  { weight: 4, arbitrary: validMessageArb },
  {
    weight: 1,
    arbitrary: fc.record({
      to: fc.oneof(fc.string(), fc.anything()) as fc.Arbitrary<string>,
      body: fc.oneof(
        fc.string(),
        fc.string({ minLength: 1590, maxLength: 1700 }),
        fc.anything(),
      ) as fc.Arbitrary<string>,
      template: fc.anything() as fc.Arbitrary<SmsMessage['template']>,
    }),
  },
);

// ---------------------------------------------------------------------------------------------------------------

function capture() {
  const out: unknown[] = [];
  const logger: Logger = {
    debug: (f, m) => out.push(f, m),
    info: (f, m) => out.push(f, m),
    warn: (f, m) => out.push(f, m),
    error: (f, m) => out.push(f, m),
  };
  return { out, logger };
}

function dump(x: unknown): string {
  const seen = new WeakSet();
  return JSON.stringify(x, (_k, v) => {
    if (typeof v === 'bigint') return String(v);
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    if (v instanceof Error) return { ...v, name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    return v;
  });
}

function expectNoSecret(label: string, x: unknown) {
  const s = typeof x === 'string' ? x : dump(x);
  for (const secret of SECRETS) {
    if (s.includes(secret)) throw new Error(`${label} leaks a secret: ${s.slice(0, 500)}`);
  }
}

function makeProviders(logger: Logger): Record<'twilio' | 'msg91', SmsProvider> {
  const opts = { apiBaseUrl: baseUrl, timeoutMs: 2_000, logger };
  return {
    twilio: new TwilioProvider(
      { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, fromNumber: '+15005550006' },
      opts,
    ),
    msg91: new Msg91Provider({ authKey: MSG91_KEY, templateId: 'tmpl-1', senderId: 'LDMTRX' }, opts),
  };
}

const CODES = new Set<string>(SMS_ERROR_CODES);
const STATUSES = new Set<string>(SMS_STATUSES);

/** The contract of docs/design.md §2: a result is fully typed, whatever the upstream answered. */
function expectTypedResult(r: SmsSenderResult, which: 'twilio' | 'msg91') {
  const where = `result ${dump(r.result)}`;
  expect(typeof r.result.messageId === 'string' && r.result.messageId.trim().length > 0, where).toBe(true);
  expect(r.result.provider, where).toBe(which);
  expect(STATUSES.has(r.result.status as string), where).toBe(true);
  expect(Number.isInteger(r.result.segments) && r.result.segments >= 1, where).toBe(true);
  expect(['GSM-7', 'UCS-2'], where).toContain(r.result.encoding);
  expect(r.attempts.length).toBeGreaterThanOrEqual(1);
}

describe(`provider response fuzzing (${NUM_RUNS} runs per property${SOAK ? ', soak' : ''})`, () => {
  it(
    'send through createSmsSender: a typed result or an SmsError with attempts; no secret anywhere',
    async () => {
      const { out: logs, logger } = capture();
      const providers = makeProviders(logger);
      const events: SmsSenderEvent[] = [];
      const servedBefore = served;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('twilio' as const, 'msg91' as const),
          responseArb,
          messageArb,
          async (which, res, message) => {
            const secretIndex = res.body.length % OWN_SECRETS[which].length;
            spec = res.echoesSecret ? { ...res, secret: OWN_SECRETS[which][secretIndex] as string } : res;
            logs.length = 0;
            events.length = 0;
            const provider = providers[which];
            const sender = createSmsSender({
              resolver: {
                resolve: async () => ({
                  provider,
                  source: which === 'twilio' ? 'tenant' : 'platform-default',
                }),
              },
              retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 },
              circuitBreaker: false,
              logger,
              onEvent: (e) => events.push(e),
            });
            let outcome: unknown;
            let threw = false;
            try {
              outcome = await sender.send('tenant-fuzz', message);
            } catch (e) {
              threw = true;
              outcome = e;
            }
            if (threw) {
              const e = outcome;
              if (!isSmsError(e)) throw new Error(`not an SmsError: ${dump(e)}`);
              expect(CODES.has(e.code)).toBe(true);
              expect(['not_sent', 'unknown']).toContain(e.outcome);
              if (e.outcome === 'unknown') expect(e.retryable).toBe(false);
              expect(Array.isArray(e.attempts)).toBe(true);
              // Malformed input (the snapshot's checks) is refused before resolving: no attempt at all.
              expect(e.attempts?.length).toBeGreaterThanOrEqual(e.code === 'invalid_message' ? 0 : 1);
              expect(e.attempts?.length).toBeLessThanOrEqual(2);
              expectNoSecret('error.message', e.message);
              expectNoSecret('error.stack', e.stack ?? '');
              expectNoSecret('String(error)', String(e));
              expectNoSecret('error.toJSON()', e.toJSON());
              expectNoSecret('error', e);
            } else {
              expectTypedResult(outcome as SmsSenderResult, which);
            }
            if (!res.echoesSecret) expectNoSecret('result', outcome);
            expectNoSecret('logs', logs);
            expectNoSecret('events', events);
          },
        ),
        { numRuns: NUM_RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
      );
      expect(unhandled).toEqual([]);
      // Most runs must reach the HTTP server (not just fail the local checks).
      expect(served - servedBefore).toBeGreaterThan(NUM_RUNS / 3);
    },
    SOAK ? 1_800_000 : 120_000,
  );

  it(
    'verify(): resolves or rejects with an SmsError; no secret anywhere',
    async () => {
      const { out: logs, logger } = capture();
      const providers = makeProviders(logger);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('twilio' as const, 'msg91' as const),
          responseArb,
          async (which, res) => {
            spec = res.echoesSecret ? { ...res, secret: OWN_SECRETS[which][0] } : res;
            logs.length = 0;
            try {
              await providers[which].verify();
            } catch (e) {
              if (!isSmsError(e)) throw new Error(`not an SmsError: ${dump(e)}`);
              expect(CODES.has(e.code)).toBe(true);
              expectNoSecret('error', e);
              expectNoSecret('error.toJSON()', e.toJSON());
              expectNoSecret('error.stack', e.stack ?? '');
            }
            expectNoSecret('logs', logs);
          },
        ),
        { numRuns: Math.max(100, Math.floor(NUM_RUNS / 2)), ...(SEED !== undefined ? { seed: SEED } : {}) },
      );
      expect(unhandled).toEqual([]);
    },
    SOAK ? 1_800_000 : 120_000,
  );
});

// Counterexamples the property found, pinned so they fail deterministically until the provider is fixed.
describe('pinned counterexamples', () => {
  const SID = `SM${'a'.repeat(32)}`;
  it.each([
    ['a non-string status', { sid: SID, status: {} }],
    ['a numeric status', { sid: SID, status: 0 }],
    ['an unknown status string', { sid: SID, status: 'bogus' }],
    ['a negative num_segments', { sid: SID, status: 'queued', num_segments: '-1' }],
    ['a fractional num_segments', { sid: SID, status: 'queued', num_segments: '1.5' }],
  ])('TwilioProvider: a 201 with %s is a typed result or an SmsError', async (_name, json) => {
    spec = {
      status: 201,
      headers: [['content-type', 'application/json']],
      body: new TextEncoder().encode(JSON.stringify(json)),
      reset: 'none',
      echoesSecret: false,
    };
    const { logger } = capture();
    const provider = makeProviders(logger).twilio;
    const sender = createSmsSender({
      resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
      retry: false,
      circuitBreaker: false,
    });
    let out: unknown;
    try {
      out = await sender.send('t', { to: '+14155552671', body: 'hi' });
    } catch (e) {
      expect(isSmsError(e)).toBe(true);
      return;
    }
    expectTypedResult(out as SmsSenderResult, 'twilio');
  });
});
