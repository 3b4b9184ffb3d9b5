import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import type { EmulatorFault } from '../testing/index.js';
import type { ProviderOptions, SmsMessage, SmsProvider, SmsProviderName } from '../types.js';

/** What one provider brings to the shared conformance suite: a provider wired to a running emulator. */
export interface ConformanceHarness {
  /** A provider with valid credentials pointed at the emulator. */
  provider(options?: ProviderOptions): SmsProvider;
  /** A provider whose credentials the emulator rejects. */
  badCredentials(): SmsProvider;
  /** A message the emulator accepts. */
  message: SmsMessage;
  /** Queues a fault on the emulator's next request. */
  inject(fault: EmulatorFault): void;
  /** Messages the emulator recorded as sent. */
  sent(): number;
  /** Requests the emulator received (faulted ones too). */
  received(): number;
  reset(): void;
  /** Every secret that must never appear in an error. */
  secrets: string[];
  close(): Promise<void>;
}

/** Captures the SmsError a promise rejects with (fails the test on success or a foreign error). */
async function rejection(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (e) {
    if (isSmsError(e)) return e;
    throw new Error(`expected an SmsError, got ${inspect(e)}`);
  }
  throw new Error('expected the call to fail');
}

/** Asserts that no secret shows in any rendering of an error. */
function expectNoSecrets(err: SmsError, secrets: readonly string[]): void {
  const renderings = [
    err.message,
    String(err.stack),
    String(err.cause),
    JSON.stringify(err),
    inspect(err, { depth: 10 }),
  ];
  for (const secret of secrets) for (const r of renderings) expect(r).not.toContain(secret);
}

/** The behaviour every `SmsProvider` must share, run against that provider's emulator. */
export function runProviderConformance(
  name: SmsProviderName,
  start: () => Promise<ConformanceHarness>,
): void {
  describe(`SmsProvider conformance: ${name}`, () => {
    let h: ConformanceHarness;
    const errors: SmsError[] = [];
    const fail = async (p: Promise<unknown>) => {
      const e = await rejection(p);
      errors.push(e);
      return e;
    };

    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(() => h.reset());

    it('sends and resolves the documented result shape', async () => {
      const r = await h.provider().send(h.message);
      expect(r.provider).toBe(name);
      expect(typeof r.messageId).toBe('string');
      expect(r.messageId.length).toBeGreaterThan(0);
      expect(r.status).toBe('queued');
      expect(r).toMatchObject({ segments: 1, encoding: 'GSM-7' });
      expect(h.sent()).toBe(1);
    });

    it('reports UCS-2 and the segment count of a long Unicode body', async () => {
      const r = await h.provider().send({ ...h.message, body: 'नमस्ते '.repeat(20) });
      expect(r.encoding).toBe('UCS-2');
      expect(r.segments).toBe(3);
    });

    it('rejects a bad recipient and an empty body locally, sending nothing', async () => {
      const p = h.provider();
      expect((await fail(p.send({ ...h.message, to: '9876543210' }))).code).toBe('invalid_recipient');
      expect((await fail(p.send({ ...h.message, body: '' }))).code).toBe('invalid_message');
      expect((await fail(p.send({ ...h.message, body: 'x'.repeat(1601) }))).code).toBe('invalid_message');
      expect(h.received()).toBe(0);
    });

    it('refuses a bad validityPeriodSec or sendAt locally, naming it, sending nothing', async () => {
      const p = h.provider();
      type Case = [Record<string, unknown>, RegExp];
      const badValidity = /^message\.validityPeriodSec must be an integer from 1 to 36000/;
      const notADate = /^message\.sendAt must be a Date$/;
      const bad: Case[] = [
        ...[0, 36_001, 1.5, Number.NaN, '300'].map((v): Case => [{ validityPeriodSec: v }, badValidity]),
        [{ sendAt: new Date(Number.NaN) }, /^message\.sendAt is an invalid Date$/],
        ...['2030-01-01T00:00:00Z', 1_900_000_000_000, { getTime: () => 1_900_000_000_000 }].map(
          (v): Case => [{ sendAt: v }, notADate],
        ),
        [{ sendAt: new Date(Date.now() - 60_000) }, /^message\.sendAt /],
      ];
      for (const [fields, re] of bad) {
        const e = await fail(p.send({ ...h.message, ...fields } as SmsMessage));
        expect(e).toMatchObject({ code: 'invalid_message', outcome: 'not_sent', provider: name });
        expect(e.message).toMatch(re);
      }
      expect(h.received()).toBe(0);
    });

    it('sends a message with a validityPeriodSec at once (status queued)', async () => {
      const r = await h.provider().send({ ...h.message, validityPeriodSec: 300 });
      expect(r.status).toBe('queued');
      expect(h.sent()).toBe(1);
    });

    it('maps rejected credentials to authentication_failed, certainly not sent', async () => {
      const e = await fail(h.badCredentials().send(h.message));
      expect(e).toMatchObject({
        code: 'authentication_failed',
        outcome: 'not_sent',
        retryable: false,
        provider: name,
      });
      expect(h.sent()).toBe(0);
    });

    it('verifies good credentials and rejects bad ones', async () => {
      await expect(h.provider().verify()).resolves.toBeUndefined();
      expect((await fail(h.badCredentials().verify())).code).toBe('authentication_failed');
    });

    it('times out a slow response as outcome unknown, not retryable', async () => {
      h.inject({ delayMs: 1_000 });
      const e = await fail(h.provider({ timeoutMs: 150 }).send(h.message));
      expect(e).toMatchObject({ code: 'timeout', outcome: 'unknown', retryable: false });
    });

    it('maps 429 to rate_limited with Retry-After', async () => {
      h.inject({ status: 429, json: { message: 'Too Many Requests' }, headers: { 'retry-after': '2' } });
      const e = await fail(h.provider().send(h.message));
      expect(e).toMatchObject({
        code: 'rate_limited',
        outcome: 'not_sent',
        retryable: true,
        retryAfterMs: 2_000,
      });
    });

    it('maps a 5xx and an HTML error page to provider_unavailable, outcome unknown', async () => {
      h.inject({ status: 503, json: { message: 'Service Unavailable' } });
      expect(await fail(h.provider().send(h.message))).toMatchObject({
        code: 'provider_unavailable',
        outcome: 'unknown',
      });
      h.inject({
        status: 502,
        text: '<html><body>Bad Gateway</body></html>',
        headers: { 'content-type': 'text/html' },
      });
      expect(await fail(h.provider().send(h.message))).toMatchObject({
        code: 'provider_unavailable',
        outcome: 'unknown',
      });
    });

    it('maps a connection reset after the request left to network, outcome unknown', async () => {
      h.inject({ resetSocket: 'mid-response' });
      const e = await fail(h.provider().send(h.message));
      expect(e).toMatchObject({ code: 'network', outcome: 'unknown', retryable: false });
      expect(h.sent()).toBe(1);
    });

    it('does not send when the caller aborted first', async () => {
      const e = await fail(h.provider().send(h.message, { signal: AbortSignal.abort() }));
      expect(e).toMatchObject({ code: 'aborted', outcome: 'not_sent' });
      expect(h.received()).toBe(0);
    });

    it('never leaks a secret in any error above, nor through the provider object', () => {
      expect(errors.length).toBeGreaterThanOrEqual(10);
      for (const e of errors) expectNoSecrets(e, h.secrets);
      const p = h.provider();
      for (const secret of h.secrets) {
        expect(JSON.stringify(p)).not.toContain(secret);
        expect(inspect(p, { depth: 10, showHidden: true })).not.toContain(secret);
      }
    });
  });
}
