// Issue 13, items 6–10 and 20 (reliability): the original reproductions, re-run against the BUILT public entries.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsSender,
  DataDirLockedError,
  isSmsError,
  openDatabase,
  type SmsMessage,
  TwilioProvider,
} from '@leadmetrics/provider-sms';
import { TWILIO_VALID_FROM } from '@leadmetrics/provider-sms/testing';
import { describe, expect, it } from 'vitest';
import { closedPort, rejection, TO, tenantId, useWorld } from './world.js';

const world = useWorld();

describe('item 6: durations past setTimeout’s limit', () => {
  it('item 6: timeoutMs: 2**31 is refused at construction (invalid_config naming it), nothing sent', async () => {
    const before = world().twilio.requests.length;
    const err = await rejection(
      () =>
        new TwilioProvider(
          {
            accountSid: world().twilio.accountSid,
            authToken: world().twilio.authToken,
            fromNumber: TWILIO_VALID_FROM,
          },
          { apiBaseUrl: world().twilio.url, timeoutMs: 2 ** 31 },
        ),
    );
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain('timeoutMs');
    expect(world().twilio.requests.length).toBe(before);
  });

  it.each(['storeTimeoutMs', 'cacheTtlMs', 'staleIfErrorMs'])(
    'item 6: resolver %s: 2**31 is refused at construction, naming it',
    async (option) => {
      const err = await rejection(() => world().resolver({ [option]: 2 ** 31 }));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toContain(option);
    },
  );

  it('item 6: sender maxRetryAfterMs and send deadlineMs: 2**31 are refused, naming them, nothing sent', async () => {
    const resolver = world().resolver();
    const retry = await rejection(() => createSmsSender({ resolver, retry: { maxRetryAfterMs: 2 ** 31 } }));
    expect(retry.message).toContain('maxRetryAfterMs');
    const tenant = tenantId('t6');
    await world().addTenant(tenant);
    const before = world().twilio.received;
    const err = await rejection(
      createSmsSender({ resolver }).send(tenant, { to: TO, body: 'x' }, { deadlineMs: 2 ** 31 }),
    );
    expect(err).toMatchObject({ code: 'invalid_config', outcome: 'not_sent' });
    expect(err.message).toContain('deadlineMs');
    expect(world().twilio.received).toBe(before);
  });

  it('item 6: a Retry-After of 3 000 000 s gives up as rate_limited with retryAfterMs, never retried at once', async () => {
    const tenant = tenantId('t6r');
    await world().addTenant(tenant);
    const sender = createSmsSender({ resolver: world().resolver() });
    world().twilio.inject({
      status: 429,
      json: { code: 20429, message: 'Too Many Requests', status: 429 },
      headers: { 'Retry-After': '3000000' },
    });
    const before = world().twilio.received;
    const err = await rejection(sender.send(tenant, { to: TO, body: 'Your code is 4821' }));
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 3_000_000_000 });
    expect(world().twilio.received - before).toBe(1);
  });
});

describe('item 7: the embedded database is single-process', () => {
  it('item 7: a second open of a data dir in the same process is refused naming the holder; the dir is 0700', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'provider-sms-regress-'));
    const dataDir = join(dir, 'data');
    try {
      const first = await openDatabase({ dataDir });
      try {
        const err = await rejection(openDatabase({ dataDir }));
        expect(err).toBeInstanceOf(DataDirLockedError);
        expect(err.message).toContain(dataDir);
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      } finally {
        await first.close();
      }
      const again = await openDatabase({ dataDir }); // closed → free again
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('item 8: the config service and store throw typed errors', () => {
  it('item 8: database down (connection refused) → SmsError, never a raw ECONNREFUSED or the password', async () => {
    const port = await closedPort();
    const attempt = async () => {
      const db = await openDatabase({
        databaseUrl: `postgres://postgres:s3cret-pw@127.0.0.1:${port}/test`,
        connectTimeoutMs: 2_000,
      });
      try {
        const store = createPostgresConfigStore(db.db);
        await createSmsConfigService({ store, cipher: world().cipher }).get('tenant-1');
      } finally {
        await db.close();
      }
    };
    const err = await rejection(attempt);
    expect(isSmsError(err)).toBe(true);
    expect(JSON.stringify(err)).not.toContain('s3cret-pw');
    expect(String(err.stack)).not.toContain('s3cret-pw');
  });

  it('item 8: a closed database → SmsError from store and service', async () => {
    const db = await openDatabase();
    const store = createPostgresConfigStore(db.db);
    await db.close();
    expect(
      isSmsError(await rejection(store.get({ tenantId: 'x', provider: 'twilio', channel: 'sms' }))),
    ).toBe(true);
    expect(
      isSmsError(await rejection(createSmsConfigService({ store, cipher: world().cipher }).get('x'))),
    ).toBe(true);
  });
});

describe('item 9: tenant ids are checked at every entry point', () => {
  const bad = ['tenant-\uD800', 'tenant-\uDFFF', 'a\u0000b', '', 'x'.repeat(300), 'a\u001bb'];
  it.each(bad.map((id) => [JSON.stringify(id).slice(0, 40), id]))(
    'item 9: %s → invalid_config naming tenantId from store, service, resolver and sender',
    async (_label, id) => {
      const resolver = world().resolver();
      const calls: [string, () => Promise<unknown>][] = [
        ['store.get', () => world().store.get({ tenantId: id, provider: 'twilio', channel: 'sms' })],
        ['service.get', () => world().service.get(id)],
        [
          'service.saveTwilioConfig',
          () =>
            world().service.saveTwilioConfig(id, {
              accountSid: world().twilio.accountSid,
              authToken: world().twilio.authToken,
              fromNumber: TWILIO_VALID_FROM,
            }),
        ],
        ['resolver.resolve', () => resolver.resolve(id)],
        ['sender.send', () => createSmsSender({ resolver }).send(id, { to: TO, body: 'x' })],
      ];
      for (const [name, call] of calls) {
        const err = await rejection(call);
        expect(err.code, name).toBe('invalid_config');
        expect(err.retryable, name).toBe(false);
        expect(err.message, name).toContain('tenantId');
      }
    },
  );

  it('item 9: tenant-\\uD800 and tenant-\\uDFFF no longer collapse into one row', async () => {
    const ok = tenantId('t9');
    await world().addTenant(ok);
    await rejection(
      world().service.saveTwilioConfig(`${ok}\uD800`, {
        accountSid: world().twilio.accountSid,
        authToken: world().twilio.authToken,
        fromNumber: TWILIO_VALID_FROM,
      }),
    );
    expect(
      await world().store.get({ tenantId: `${ok}\uFFFD`, provider: 'twilio', channel: 'sms' }),
    ).toBeUndefined();
  });
});

describe('item 10: a message is read once', () => {
  const platformSender = () => createSmsSender({ resolver: world().resolver() });

  it('item 10: a getter cannot slip 2000 characters past the 1600 check into MSG91', async () => {
    let reads = 0;
    const message = {
      to: TO,
      get body() {
        reads++;
        return reads === 1 ? 'short' : 'x'.repeat(2000);
      },
    } as SmsMessage;
    world().msg91.reset();
    const { provider } = await platformSender().send(tenantId('t10'), message);
    expect(provider).toBe('msg91');
    expect(reads).toBe(1);
    expect(world().msg91.messages.map((m) => Object.values(m.variables))).toEqual([['short']]);
  });

  it('item 10: a throwing getter or Proxy → SmsError(invalid_message) from sender.send, nothing sent', async () => {
    const throwing = {
      to: TO,
      get body(): string {
        throw new TypeError('boom');
      },
    } as SmsMessage;
    const proxy = new Proxy({} as SmsMessage, {
      get() {
        throw new TypeError('trap');
      },
      ownKeys() {
        throw new TypeError('trap');
      },
    });
    world().msg91.reset();
    for (const m of [throwing, proxy]) {
      const err = await rejection(platformSender().send(tenantId('t10'), m));
      expect(err).toMatchObject({ code: 'invalid_message', outcome: 'not_sent' });
    }
    expect(world().msg91.received).toBe(0);
  });

  it.each([
    ['only control characters', { body: '\u0001\u0002\u0003' }],
    ['a lone surrogate', { body: 'code \uD800 1234' }],
    [
      'a 5 MB template variable',
      { body: 'x', template: { variables: { otp: 'x'.repeat(5 * 1024 * 1024) } } },
    ],
    ['a 5 MB reference', { body: 'x', reference: 'r'.repeat(5 * 1024 * 1024) }],
  ])('item 10: %s → invalid_message, nothing sent', async (_name, fields) => {
    world().msg91.reset();
    const err = await rejection(platformSender().send(tenantId('t10'), { to: TO, ...fields } as SmsMessage));
    expect(err).toMatchObject({ code: 'invalid_message', outcome: 'not_sent' });
    expect(world().msg91.received).toBe(0);
  });
});

describe('item 20: one AbortSignal shared by many sends', () => {
  it('item 20: 50 concurrent sends sharing one AbortSignal print no MaxListenersExceededWarning', async () => {
    const tenant = tenantId('t20');
    await world().addTenant(tenant);
    const sender = createSmsSender({ resolver: world().resolver() });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const signal = new AbortController().signal;
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          sender.send(tenant, { to: TO, body: 'Your code is 4821' }, { signal }),
        ),
      );
      expect(results).toHaveLength(50);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});
