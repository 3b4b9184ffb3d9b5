// Issue 13, items 1–5 (Twilio contract): the original reproductions, re-run against the BUILT public entries.

import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import {
  createSmsProviderResolver,
  createSmsSender,
  TWILIO_ERROR_CODE_TABLE,
  TwilioProvider,
} from '@leadmetrics/provider-sms';
import { EMULATOR_MAX_BODY_BYTES, TWILIO_VALID_FROM } from '@leadmetrics/provider-sms/testing';
import { describe, expect, it } from 'vitest';
import { rejection, TO, tenantId, useWorld } from './world.js';

const world = useWorld();

const provider = (options: Record<string, unknown> = {}) =>
  new TwilioProvider(
    {
      accountSid: world().twilio.accountSid,
      authToken: world().twilio.authToken,
      fromNumber: TWILIO_VALID_FROM,
    },
    { apiBaseUrl: world().twilio.url, ...options },
  );

describe('Twilio contract', () => {
  it.each([
    'hooks.example.com/cb',
    '/webhooks/status',
    'https://hooks.example.com/a b',
    'https://hooks.example.com/café',
    'ftp://hooks.example.com/cb',
  ])(
    'item 1: statusCallbackUrl %j is refused at construction (invalid_config naming the option), nothing sent',
    async (url) => {
      const before = world().twilio.requests.length;
      const err = await rejection(() => provider({ statusCallbackUrl: url }));
      expect(err).toMatchObject({ code: 'invalid_config' });
      expect(err.message).toContain('statusCallbackUrl');
      expect(world().twilio.requests.length).toBe(before);
    },
  );

  it('item 1: a trailing /, an upper-case host and :443 are accepted and sent normalized', async () => {
    world().twilio.reset();
    await provider({ statusCallbackUrl: 'https://HOOKS.Example.com:443/cb/' }).send({ to: TO, body: 'hi' });
    expect(world().twilio.messages[0]?.statusCallback).toBe('https://hooks.example.com/cb/');
  });

  it.each([
    'https://hooks.example.com/twilio?x=1',
    'https://hooks.example.com/twilio#f',
    'https://user:pw@hooks.example.com/twilio',
    'hooks.example.com/twilio',
  ])('item 1: resolver statusCallbackBaseUrl %j is refused at construction, naming it', async (url) => {
    const err = await rejection(() =>
      createSmsProviderResolver({
        store: world().store,
        cipher: world().cipher,
        platformDefault: world().platformDefault,
        statusCallbackBaseUrl: url,
      }),
    );
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain('statusCallbackBaseUrl');
  });

  it.each(['failed', 'undelivered', 'canceled'])(
    'item 2: a 201 with status %s rejects through createSmsSender, keeping messageId (also in toJSON)',
    async (status) => {
      const tenant = tenantId('t2');
      await world().addTenant(tenant);
      const sender = createSmsSender({ resolver: world().resolver() });
      const sid = `SM${'c'.repeat(32)}`;
      const json = { sid, status, error_code: 30007, error_message: 'filtered', num_segments: '1', to: TO };
      world().twilio.inject({ status: 201, json });
      const err = await rejection(sender.send(tenant, { to: TO, body: 'Your code is 4821' }));
      const row = TWILIO_ERROR_CODE_TABLE.find((r) => r.code === 30007);
      expect(err).toMatchObject({
        code: row?.smsCode,
        outcome: 'not_sent',
        retryable: false,
        messageId: sid,
      });
      expect(JSON.parse(JSON.stringify(err))).toMatchObject({ messageId: sid, outcome: 'not_sent' });

      world().twilio.inject({ status: 201, json: { sid, status, num_segments: '1', to: TO } });
      const noCode = await rejection(sender.send(tenant, { to: TO, body: 'Your code is 4821' }));
      expect(noCode).toMatchObject({
        code: 'unknown',
        outcome: 'not_sent',
        retryable: false,
        messageId: sid,
      });
    },
  );

  it.each([
    [21609, 'invalid_config'],
    [30001, 'sender_queue_full'],
    [30450, 'permission_denied'],
    [14107, 'rate_limited'],
  ] as const)('item 3: Twilio code %i is in the table and maps to %s', (code, smsCode) => {
    expect(TWILIO_ERROR_CODE_TABLE.find((r) => r.code === code)?.smsCode).toBe(smsCode);
  });

  it.each([30022, 30023, 30034, 30036, 30453])('item 3: Twilio code %i is in the error table', (code) => {
    expect(TWILIO_ERROR_CODE_TABLE.some((r) => r.code === code)).toBe(true);
  });

  it('item 3: a delivery-failure code Twilio adds later maps conservatively (unknown, not retried)', async () => {
    const sid = `SM${'d'.repeat(32)}`;
    world().twilio.inject({
      status: 201,
      json: { sid, status: 'failed', error_code: 30999, num_segments: '1' },
    });
    const err = await rejection(provider().send({ to: TO, body: 'hi' }));
    expect(err).toMatchObject({ code: 'unknown', retryable: false, messageId: sid });
  });

  it("item 4: the twilio SDK the package installs: a created message's instance methods reach the API", async () => {
    const require = createRequire(require_resolve_base());
    const pkg = require('twilio/package.json') as { version: string };
    const [major = 0, minor = 0, patch = 0] = pkg.version.split('.').map(Number);
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(6_003_001);
    const twilioSdk = require('twilio') as (sid: string, token: string, o: object) => SdkClient;
    const base = world().twilio.url;
    const httpClient = {
      async request(o: { method: string; uri: string; username?: string; password?: string; data?: object }) {
        const u = new URL(o.uri);
        const body =
          o.data && o.method.toUpperCase() !== 'GET'
            ? new URLSearchParams(o.data as Record<string, string>)
            : undefined;
        const res = await fetch(`${base}${u.pathname}${u.search}`, {
          method: o.method.toUpperCase(),
          headers: {
            authorization: `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`,
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          ...(body ? { body } : {}),
        });
        return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
      },
    };
    const client = twilioSdk(world().twilio.accountSid, world().twilio.authToken, {
      httpClient,
      autoRetry: false,
    });
    const message = await client.messages.create({ from: TWILIO_VALID_FROM, to: TO, body: 'hi' });
    const before = world().twilio.requests.length;
    const outcome = await message.fetch().then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    expect(outcome).not.toMatch(/Parameter 'sid' is not valid/);
    expect(world().twilio.requests.length).toBe(before + 1); // the call reached the API
  });

  it('item 5: the emulator validates StatusCallback, ValidityPeriod, ScheduleType and Body like Twilio', async () => {
    const account = world().twilio.accountSid;
    const post = (fields: Record<string, string>) =>
      fetch(`${world().twilio.url}/2010-04-01/Accounts/${account}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${account}:${world().twilio.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ From: TWILIO_VALID_FROM, To: TO, ...fields }),
      });
    expect((await post({ Body: 'x', StatusCallback: 'not a uri' })).status).toBe(400);
    expect((await post({ Body: 'x', ValidityPeriod: '1.5' })).status).toBe(400);
    expect((await post({ Body: 'x', ValidityPeriod: '36001' })).status).toBe(400);
    expect((await post({ Body: 'x', ScheduleType: 'later' })).status).toBe(400);
    expect((await post({ Body: 'x', ScheduleType: 'fixed' })).status).toBe(400); // no SendAt, no service
    expect((await post({ MediaUrl: 'https://example.com/a.png' })).status).toBe(201);
  });

  it('item 5: an unauthenticated 50 MB POST is answered 413 and the connection closed before the body ended', async () => {
    const { port, hostname } = new URL(world().twilio.url);
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const total = 50;
    const result = await new Promise<{ status: number | undefined; written: number }>((resolve, reject) => {
      let written = 0;
      let status: number | undefined;
      const req = httpRequest({
        host: hostname,
        port: Number(port),
        method: 'POST',
        path: '/2010-04-01/Accounts/ACx/Messages.json',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': total * chunk.length,
        },
      });
      req.on('response', (res) => {
        status = res.statusCode;
        res.resume();
      });
      const finish = () => resolve({ status, written });
      req.on('close', finish);
      req.on('error', () => undefined); // EPIPE / ECONNRESET once the server closes: expected
      const pump = () => {
        while (written < total && !req.destroyed) {
          written++;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (written >= total) req.end();
      };
      pump();
      setTimeout(() => reject(new Error('no answer')), 15_000).unref();
    });
    expect(result.status).toBe(413);
    expect(result.written).toBeLessThan(total);
    expect(EMULATOR_MAX_BODY_BYTES).toBeLessThan(total * chunk.length);
  });
});

interface SdkMessage {
  sid: string;
  fetch(): Promise<unknown>;
}
interface SdkClient {
  messages: { create(p: Record<string, string>): Promise<SdkMessage> };
}

/** A file inside the installed @leadmetrics/provider-sms, to resolve its own `twilio` dependency from. */
function require_resolve_base(): string {
  return createRequire(import.meta.url).resolve('@leadmetrics/provider-sms');
}
