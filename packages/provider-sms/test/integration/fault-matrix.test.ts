// Fault matrix (issue 7): createSmsSender + the real resolver + the real TwilioProvider / Msg91Provider against
// the emulators' fault injection. For every fault: the exact error (code, outcome), the attempts, and — where
// the outcome is 'unknown' — that the emulator received the message at most once (no retry of a possible send).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConfigCipher } from '../../src/config/cipher.js';
import type { SmsConfigStore, StoredProviderConfig } from '../../src/config/store.js';
import { isSmsError, type SmsError } from '../../src/errors.js';
import { Msg91Provider } from '../../src/providers/msg91.js';
import { createSmsProviderResolver } from '../../src/resolver.js';
import { createSmsSender, type SmsSenderEvent, type SmsSenderOptions } from '../../src/sender.js';
import { type Msg91Emulator, startMsg91Emulator } from '../../src/testing/msg91-emulator.js';
import {
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '../../src/testing/twilio-emulator.js';

const TIMEOUT_MS = 400;
const RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 30_000 };
const TENANT = 'tenant-twilio';
const NO_CONFIG = 'tenant-none';

let tw: TwilioEmulator;
let m91: Msg91Emulator;
let closedPortUrl: string;
let storeDown = false;
const rows = new Map<string, StoredProviderConfig>();
const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });

/** An in-memory SmsConfigStore: only `get` is used by the resolver; `storeDown` simulates a database outage. */
const store = {
  changeChannel: 'notification_providers_changed',
  async get({ tenantId }: { tenantId: string }) {
    if (storeDown)
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    return rows.get(tenantId);
  },
} as unknown as SmsConfigStore;

function addTwilioRow(tenantId: string) {
  const config = JSON.stringify({
    accountSid: tw.accountSid,
    authToken: tw.authToken,
    fromNumber: TWILIO_VALID_FROM,
  });
  const now = new Date();
  rows.set(tenantId, {
    id: `row-${tenantId}`,
    tenantId,
    channel: 'sms',
    provider: 'twilio',
    config: cipher.encrypt(config, { tenantId, channel: 'sms', provider: 'twilio' }),
    enabled: true,
    verifiedAt: now,
    verificationError: null,
    configVersion: 1,
    createdAt: now,
    updatedAt: now,
  });
}

function rig(opts: { twilioBaseUrl?: string; failover?: boolean } = {}) {
  const platformDefault = new Msg91Provider(
    { authKey: m91.authKey, templateId: m91.templateId },
    { apiBaseUrl: m91.url, timeoutMs: TIMEOUT_MS },
  );
  const resolver = createSmsProviderResolver({
    store,
    cipher,
    platformDefault,
    twilioOptions: { apiBaseUrl: opts.twilioBaseUrl ?? tw.url, timeoutMs: TIMEOUT_MS },
  });
  const events: SmsSenderEvent[] = [];
  const options: SmsSenderOptions = {
    resolver,
    retry: RETRY,
    onEvent: (e) => events.push(e),
    circuitBreaker: false, // the matrix looks at single faults; the breaker has its own tests
    ...(opts.failover ? { failover: 'platform-default' as const, platformDefault } : {}),
  };
  return { sender: createSmsSender(options), events, resolver };
}

async function settle(
  p: Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: SmsError }> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    if (!isSmsError(e)) throw e;
    return { ok: false, error: e };
  }
}

const SECRETS = () => [tw.authToken, m91.authKey];
function expectNoSecrets(x: unknown) {
  const s = JSON.stringify(x, (_k, v) =>
    v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v,
  );
  for (const secret of SECRETS()) expect(s).not.toContain(secret);
}

beforeAll(async () => {
  tw = await startTwilioEmulator({ statusCallbacks: false });
  m91 = await startMsg91Emulator();
  addTwilioRow(TENANT);
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  closedPortUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await tw?.close();
  await m91?.close();
});

beforeEach(() => {
  tw.reset();
  m91.reset();
  storeDown = false;
});

type Cell = {
  name: string;
  fault: Parameters<TwilioEmulator['inject']>[0] | 'refused';
  /** Expected error, or 'ok' with the number of attempts. */
  expect: { code: string; outcome: 'not_sent' | 'unknown' } | 'ok';
  attempts: number;
  /** Requests the emulator received / messages it recorded. */
  received: number;
  recorded: number;
};

const SEND_FAULTS: Cell[] = [
  {
    name: 'connection refused (closed port)',
    fault: 'refused',
    expect: { code: 'network', outcome: 'not_sent' },
    attempts: 3,
    received: 0,
    recorded: 0,
  },
  {
    name: 'socket reset before the response (request not processed)',
    fault: { resetSocket: 'before-response' },
    expect: { code: 'network', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 0,
  },
  {
    name: 'socket reset mid-response (request processed)',
    fault: { resetSocket: 'mid-response' },
    expect: { code: 'network', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 1,
  },
  {
    name: 'slow response past timeoutMs',
    fault: { delayMs: TIMEOUT_MS * 3 },
    expect: { code: 'timeout', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 1,
  },
  {
    name: '500 JSON',
    fault: { status: 500, json: { code: 20500, message: 'Internal Server Error', status: 500 } },
    expect: { code: 'provider_unavailable', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 0,
  },
  {
    name: '503 JSON',
    fault: { status: 503, json: { code: 20503, message: 'Service Unavailable', status: 503 } },
    expect: { code: 'provider_unavailable', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 0,
  },
  {
    name: 'HTML 502',
    fault: {
      status: 502,
      text: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      headers: { 'content-type': 'text/html' },
    },
    expect: { code: 'provider_unavailable', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 0,
  },
  {
    name: 'malformed JSON (200)',
    fault: { status: 200, text: '{"sid": "SM12', headers: { 'content-type': 'application/json' } },
    expect: { code: 'unknown', outcome: 'unknown' },
    attempts: 1,
    received: 1,
    recorded: 0,
  },
  {
    name: '429 with Retry-After: 1 → retried after ≥ 1 s, sent once',
    fault: {
      status: 429,
      json: { code: 20429, message: 'Too Many Requests', status: 429 },
      headers: { 'retry-after': '1' },
    },
    expect: 'ok',
    attempts: 2,
    received: 2,
    recorded: 1,
  },
  {
    name: '429 with Retry-After: 120 (over the cap) → not retried',
    fault: {
      status: 429,
      json: { code: 20429, message: 'Too Many Requests', status: 429 },
      headers: { 'retry-after': '120' },
    },
    expect: { code: 'rate_limited', outcome: 'not_sent' },
    attempts: 1,
    received: 1,
    recorded: 0,
  },
];

describe.each([
  { provider: 'twilio' as const, tenantId: TENANT, source: 'tenant', to: '+14155552671' },
  { provider: 'msg91' as const, tenantId: NO_CONFIG, source: 'platform-default', to: '+919876543210' },
])('fault matrix: $provider ($source)', ({ provider, tenantId, source, to }) => {
  const emulator = () => (provider === 'twilio' ? tw : m91);
  const message = { to, body: 'Your code is 4821' };

  it('sends once on the happy path', async () => {
    const { sender } = rig();
    const out = await sender.send(tenantId, message);
    expect(out).toMatchObject({ provider, source, failedOver: false });
    expect(out.attempts).toEqual([{ stage: 'send', provider, durationMs: expect.any(Number) }]);
    expect(emulator().received).toBe(1);
    expect(emulator().messages).toHaveLength(1);
  });

  it.each(SEND_FAULTS)('$name', async (cell) => {
    let opts = {};
    if (cell.fault === 'refused') {
      if (provider === 'msg91') return; // covered below with a provider pointed at a closed port
      opts = { twilioBaseUrl: closedPortUrl };
    } else {
      emulator().inject(cell.fault);
    }
    const { sender, events } = rig(opts);
    const t0 = Date.now();
    const r = await settle(sender.send(tenantId, message));
    const elapsed = Date.now() - t0;
    if (cell.expect === 'ok') {
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const value = (r as { value: { attempts: unknown[] } }).value;
      expect(value.attempts).toHaveLength(cell.attempts);
      expect(elapsed).toBeGreaterThanOrEqual(1_000);
    } else {
      expect(r.ok, JSON.stringify(r)).toBe(false);
      const e = (r as { error: SmsError }).error;
      expect({ code: e.code, outcome: e.outcome, provider: e.provider }).toEqual({
        ...cell.expect,
        provider,
      });
      expect(e.attempts).toHaveLength(cell.attempts);
      for (const a of e.attempts ?? [])
        expect(a).toMatchObject({ provider, code: e.code, outcome: e.outcome });
      // Retryable only when certainly not sent (network before the request left, 429).
      expect(e.retryable).toBe(e.outcome === 'not_sent');
      expectNoSecrets(e);
      expectNoSecrets(e.toJSON());
    }
    expect(emulator().received).toBe(cell.received);
    expect(emulator().messages).toHaveLength(cell.recorded);
    if (cell.expect !== 'ok' && cell.expect.outcome === 'unknown') {
      // Never retried: the emulator saw the message at most once.
      expect(emulator().received).toBeLessThanOrEqual(1);
      expect(events.filter((x) => x.type === 'retry')).toHaveLength(0);
    }
    expectNoSecrets(events);
  });
});

describe('fault matrix: MSG91 connection refused', () => {
  it('is network/not_sent, retried maxAttempts times', async () => {
    const closed = new Msg91Provider(
      { authKey: m91.authKey, templateId: m91.templateId },
      { apiBaseUrl: closedPortUrl, timeoutMs: TIMEOUT_MS },
    );
    const sender = createSmsSender({
      resolver: { resolve: async () => ({ provider: closed, source: 'platform-default' }) },
      retry: RETRY,
      circuitBreaker: false,
    });
    const r = await settle(sender.send(NO_CONFIG, { to: '+919876543210', body: 'hi' }));
    expect(r.ok).toBe(false);
    const e = (r as { error: SmsError }).error;
    expect(e).toMatchObject({ code: 'network', outcome: 'not_sent', retryable: true, provider: 'msg91' });
    expect(e.attempts).toHaveLength(3);
  });
});

describe('fault matrix: DB outage during resolve', () => {
  it('rejects provider_unavailable/not_sent after retrying the resolve; nothing is sent anywhere', async () => {
    const { sender, events } = rig({ failover: true });
    storeDown = true;
    const r = await settle(sender.send('tenant-never-cached', { to: '+14155552671', body: 'hi' }));
    expect(r.ok).toBe(false);
    const e = (r as { error: SmsError }).error;
    expect(e).toMatchObject({ code: 'provider_unavailable', outcome: 'not_sent', retryable: true });
    expect(e.attempts).toHaveLength(3);
    for (const a of e.attempts ?? []) {
      expect(a).toEqual({
        stage: 'resolve',
        code: 'provider_unavailable',
        outcome: 'not_sent',
        durationMs: expect.any(Number),
      });
    }
    expect(tw.received + m91.received).toBe(0);
    expect(events.some((x) => x.type === 'failover')).toBe(false);
  });

  it('recovers when the store comes back between retries', async () => {
    const { sender } = rig();
    storeDown = true;
    const p = sender.send(TENANT, { to: '+14155552671', body: 'hi' });
    setTimeout(() => {
      storeDown = false;
    }, 1);
    const out = await p;
    expect(out.provider).toBe('twilio');
    expect(out.attempts.at(-1)).toMatchObject({ stage: 'send', provider: 'twilio' });
    expect(out.attempts.filter((a) => a.stage === 'resolve').length).toBeGreaterThanOrEqual(1);
    expect(tw.messages).toHaveLength(1);
  });

  it('serves the cached provider while the store is down (stale-if-error)', async () => {
    const { sender } = rig();
    await sender.send(TENANT, { to: '+14155552671', body: 'warm the cache' });
    storeDown = true;
    const out = await sender.send(TENANT, { to: '+14155552671', body: 'during the outage' });
    expect(out).toMatchObject({ provider: 'twilio', source: 'tenant' });
    expect(out.attempts).toHaveLength(1);
  });
});

describe('fault matrix: failover (opt-in) from the tenant Twilio to the platform MSG91', () => {
  it('connection refused → retried, then sent once through MSG91', async () => {
    const { sender, events } = rig({ twilioBaseUrl: closedPortUrl, failover: true });
    const out = await sender.send(TENANT, { to: '+14155552671', body: 'hi' });
    expect(out).toMatchObject({
      provider: 'msg91',
      source: 'platform-default',
      failedOver: true,
      failoverFrom: { provider: 'twilio', code: 'network' },
    });
    expect(out.attempts.map((a) => [a.provider, a.code, a.failover])).toEqual([
      ['twilio', 'network', undefined],
      ['twilio', 'network', undefined],
      ['twilio', 'network', undefined],
      ['msg91', undefined, true],
    ]);
    expect(m91.messages).toHaveLength(1);
    expect(events.filter((e) => e.type === 'failover')).toHaveLength(1);
  });

  it('429 with Retry-After over the cap → sent once through MSG91', async () => {
    tw.inject({
      status: 429,
      json: { code: 20429, message: 'Too Many Requests' },
      headers: { 'retry-after': '120' },
    });
    const { sender } = rig({ failover: true });
    const out = await sender.send(TENANT, { to: '+14155552671', body: 'hi' });
    expect(out).toMatchObject({ failedOver: true, failoverFrom: { code: 'rate_limited' } });
    expect(tw.messages).toHaveLength(0);
    expect(m91.messages).toHaveLength(1);
  });

  it('tenant authentication_failed (401) → sent once through MSG91', async () => {
    tw.inject({ status: 401, json: { code: 20003, message: 'Authenticate', status: 401 } });
    const { sender } = rig({ failover: true });
    const out = await sender.send(TENANT, { to: '+14155552671', body: 'hi' });
    expect(out).toMatchObject({ failedOver: true, failoverFrom: { code: 'authentication_failed' } });
    expect(m91.messages).toHaveLength(1);
  });

  it.each([
    [
      'HTML 502 (unknown outcome)',
      { status: 502, text: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } },
    ],
    ['reset mid-response (unknown outcome)', { resetSocket: 'mid-response' as const }],
    ['slow past timeoutMs (unknown outcome)', { delayMs: TIMEOUT_MS * 3 }],
  ])('never fails over %s', async (_n, fault) => {
    tw.inject(fault);
    const { sender } = rig({ failover: true });
    const r = await settle(sender.send(TENANT, { to: '+14155552671', body: 'hi' }));
    expect(r.ok).toBe(false);
    expect((r as { error: SmsError }).error.outcome).toBe('unknown');
    expect(m91.received).toBe(0);
    expect(tw.received).toBe(1);
  });

  it('never fails over a recipient error (opted out, invalid number)', async () => {
    const { sender } = rig({ failover: true });
    for (const [to, code] of [
      ['+15005550004', 'recipient_opted_out'],
      ['+15005550001', 'invalid_recipient'],
    ] as const) {
      const r = await settle(sender.send(TENANT, { to, body: 'hi' }));
      expect(r.ok).toBe(false);
      expect((r as { error: SmsError }).error).toMatchObject({ code, outcome: 'not_sent' });
    }
    expect(m91.received).toBe(0);
  });
});
