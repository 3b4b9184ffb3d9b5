// What the regression suites share: a user's setup (database, store, cipher, tenants verified against the
// Twilio emulator), all through the BUILT public entries. Not a test file.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  createConfigCipher,
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsProviderResolver,
  generateConfigKey,
  isSmsError,
  Msg91Provider,
  migrate,
  openDatabase,
  parseKeyRing,
  type SmsConfigStore,
  type SmsError,
  type SmsProviderResolverOptions,
} from '@leadmetrics/provider-sms';
import {
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulatorOptions,
} from '@leadmetrics/provider-sms/testing';
import { afterAll, beforeAll } from 'vitest';

/** The regular recipient the suites send to. */
export const TO = '+14155552671';

/** Awaits `p` and returns the `SmsError` it rejected with; anything else fails the test. */
export async function rejection(p: Promise<unknown> | (() => unknown)): Promise<SmsError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isSmsError(e)) return e;
    throw new Error(`expected an SmsError, got ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

/** A tenant id unique to this run (the real server is shared). */
export const tenantId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** A database (PGlite, or DATABASE_URL when set), a store, a cipher, the emulators and the config service. */
export async function openWorld(twilioOptions: TwilioEmulatorOptions = { statusCallbacks: false }) {
  const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined });
  await migrate(database.db);
  const twilio = await startTwilioEmulator(twilioOptions);
  const msg91 = await startMsg91Emulator();
  const store: SmsConfigStore = createPostgresConfigStore(database.db);
  const cipher = createConfigCipher(parseKeyRing(`k1:${generateConfigKey()}`));
  const platformDefault = new Msg91Provider(
    { authKey: msg91.authKey, templateId: msg91.templateId },
    { apiBaseUrl: msg91.url },
  );
  const twilioOptionsForProviders = { apiBaseUrl: twilio.url };
  const service = createSmsConfigService({ store, cipher, twilioOptions: twilioOptionsForProviders });
  /** Saves (and verifies) a tenant's Twilio config against the emulator. */
  const addTenant = async (id: string, account: { accountSid: string; authToken: string } = twilio) => {
    const { accountSid, authToken } = account;
    return service.saveTwilioConfig(id, { accountSid, authToken, fromNumber: TWILIO_VALID_FROM });
  };
  /** A resolver over this world's store, with the emulator-bound Twilio options (plus `extra`). */
  const resolver = (extra: Partial<SmsProviderResolverOptions> = {}) =>
    createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      twilioOptions: twilioOptionsForProviders,
      ...extra,
    });
  const close = async () => {
    await Promise.allSettled([twilio.close(), msg91.close()]);
    await database.close();
  };
  return {
    database,
    twilio,
    msg91,
    store,
    cipher,
    platformDefault,
    twilioOptions: twilioOptionsForProviders,
    service,
    addTenant,
    resolver,
    close,
  };
}

/** The world of one test file: opened before its tests, closed after them; call the getter inside a test. */
export function useWorld(twilioOptions?: TwilioEmulatorOptions): () => Awaited<ReturnType<typeof openWorld>> {
  let world: Awaited<ReturnType<typeof openWorld>> | undefined;
  beforeAll(async () => {
    world = await openWorld(twilioOptions);
  });
  afterAll(() => world?.close());
  return () => {
    if (!world) throw new Error('the world is opened in beforeAll');
    return world;
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
