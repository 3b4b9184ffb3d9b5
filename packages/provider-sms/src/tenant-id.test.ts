// Item 9 of the hardening issue: one tenant id check, at every entry point (store, service, resolver, sender,
// webhooks; the CLI's --tenant is covered in cli/cli.test.ts).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createConfigCipher } from './config/cipher.js';
import { createSmsConfigService } from './config/service.js';
import { createPostgresConfigStore, type SmsConfigStore } from './config/store.js';
import { countingQueryable, describeWithDatabases } from './config/test-databases.js';
import { listDispatchLog, recordDispatch } from './dispatch-log.js';
import { isSmsError, type SmsError } from './errors.js';
import { createSmsProviderResolver, tenantStatusCallbackUrl } from './resolver.js';
import { createSmsSender } from './sender.js';
import { assertTenantId, MAX_TENANT_ID_LENGTH } from './tenant-id.js';
import type { Logger, SmsProvider } from './types.js';
import { createStatusWebhookHandler } from './webhooks/handler.js';

const BAD_IDS: unknown[] = [
  '',
  't'.repeat(MAX_TENANT_ID_LENGTH + 1),
  'tenant\u0000',
  'ten\u0001ant',
  'tenant\u007f',
  'tenant\u0085',
  'tenant-\uD800',
  'tenant-\uDFFF',
  '\uDC00\uD800',
  ' tenant',
  'tenant\n',
  '   ',
  42,
  undefined,
];

/** The SmsError a call threw (fails the test on anything else). */
async function smsError(call: () => unknown): Promise<SmsError> {
  try {
    await call();
  } catch (e) {
    if (isSmsError(e)) return e;
    throw new Error(`not an SmsError: ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

/** Asserts the refusal every entry point gives a bad tenant id. */
function expectTenantIdRefusal(e: SmsError, field = 'tenantId') {
  expect(e.code).toBe('invalid_config');
  expect(e.outcome).toBe('not_sent');
  expect(e.retryable).toBe(false);
  expect(e.message).toMatch(new RegExp(`^${field} `));
}

const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
const platformDefault: SmsProvider = {
  name: 'msg91',
  send: async () => ({ messageId: 'm', provider: 'msg91', status: 'queued', segments: 1, encoding: 'GSM-7' }),
  verify: async () => undefined,
};

describe('assertTenantId', () => {
  it('accepts ids up to 128 characters, inner spaces and any well-formed Unicode, unchanged', () => {
    for (const id of ['tenant-42', 'acme corp', 'テナント', 'team 😀', 't'.repeat(MAX_TENANT_ID_LENGTH)]) {
      expect(assertTenantId(id)).toBe(id);
    }
  });

  it('refuses empty, too long, control characters (C0, DEL, C1), lone surrogates, edge whitespace, non-strings', async () => {
    for (const id of BAD_IDS) expectTenantIdRefusal(await smsError(() => assertTenantId(id)));
    expectTenantIdRefusal(await smsError(() => assertTenantId('', '--tenant')), '--tenant');
    expect((await smsError(() => assertTenantId('t'.repeat(129)))).message).toBe(
      'tenantId is 129 characters; the maximum is 128',
    );
  });
});

describeWithDatabases('tenant ids at the config store, the service and the dispatch log', (get) => {
  it('refuses bad ids before any query: lone surrogates no longer collapse into one row, NUL is no outage', async () => {
    const db = countingQueryable(get().db);
    const store = createPostgresConfigStore(db, { schema: get().schema });
    const service = createSmsConfigService({ store, cipher });
    const config = {
      accountSid: `AC${'c'.repeat(32)}`,
      authToken: 'secret-token-1',
      fromNumber: '+15005550006',
    };
    for (const tenantId of BAD_IDS as string[]) {
      const key = { tenantId, provider: 'twilio' } as const;
      for (const call of [
        () => store.get(key),
        () => store.upsert(key, 'v1:an-envelope'),
        () => store.markVerified(key, 1, { ok: true }),
        () => store.setEnabled(key, false),
        () => store.remove(key),
        () => store.notify(tenantId),
        () => service.saveTwilioConfig(tenantId, config),
        () => service.verify(tenantId),
        () => service.get(tenantId),
        () => service.disable(tenantId),
        () => service.remove(tenantId),
        () => recordDispatch(db, { tenantId, provider: 'msg91', status: 'queued' }, { schema: get().schema }),
        () => listDispatchLog(db, { tenantId: tenantId ?? '', schema: get().schema }), // undefined = every tenant
      ]) {
        expectTenantIdRefusal(await smsError(call));
      }
    }
    expect(db.statements).toEqual([]);
  });
});

describe('tenant ids at the resolver, the sender and the webhook handler', () => {
  const store = {
    get: async () => {
      reads++;
      return undefined;
    },
  } as unknown as SmsConfigStore;
  let reads = 0;

  it('resolver.resolve / invalidate and tenantStatusCallbackUrl refuse bad ids without a store read', async () => {
    const resolver = createSmsProviderResolver({ store, cipher, platformDefault });
    for (const tenantId of BAD_IDS as string[]) {
      expectTenantIdRefusal(await smsError(() => resolver.resolve(tenantId)));
      expectTenantIdRefusal(await smsError(() => resolver.invalidate(tenantId)));
      expectTenantIdRefusal(
        await smsError(() => tenantStatusCallbackUrl('https://hooks.example.com/t', tenantId)),
      );
    }
    expect(reads).toBe(0);
  });

  it('sender.send refuses bad ids before resolving: invalid_config with no attempts', async () => {
    let resolves = 0;
    const sender = createSmsSender({
      resolver: {
        resolve: async () => {
          resolves++;
          return { provider: platformDefault, source: 'platform-default' };
        },
      },
    });
    for (const tenantId of BAD_IDS as string[]) {
      const e = await smsError(() => sender.send(tenantId, { to: '+919876543210', body: 'hi' }));
      expectTenantIdRefusal(e);
      expect(e.attempts).toEqual([]);
    }
    expect(resolves).toBe(0);
  });

  it('the webhook route answers 400 for a bad id (NUL, 300 characters, lone surrogate): no auth read, no error log', async () => {
    const errors: unknown[] = [];
    const noop = () => undefined;
    const logger: Logger = { debug: noop, info: noop, warn: noop, error: (f) => errors.push(f) };
    let loads = 0;
    const handler = createStatusWebhookHandler({
      onEvent: noop,
      logger,
      loadTwilioAuth: async () => {
        loads++;
        return { accountSid: `AC${'1'.repeat(32)}`, authToken: 'tenant-token' };
      },
    });
    for (const segment of ['%00', 't'.repeat(300), 'tenant-%ED%A0%80', 'tenant%01', '%20tenant']) {
      const res = await handler(
        new Request(`https://hooks.example.com/hooks/twilio/${segment}`, {
          method: 'POST',
          headers: {
            'x-twilio-signature': 'c2lnbmF0dXJl',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `MessageSid=SM${'a'.repeat(32)}&MessageStatus=delivered`,
        }),
      );
      expect([segment, res.status]).toEqual([segment, 400]);
    }
    expect(loads).toBe(0);
    expect(errors).toEqual([]);
  });
});
