// Test helper (not part of the example's interface): what the end-to-end and process suites share — live-mode
// emulators, a fresh migrated schema on DATABASE_URL, the ledger, and one tenant with a verified Twilio config.
import {
  type ConfigCipher,
  createConfigCipher,
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsLedger,
  generateConfigKey,
  migrate,
  type OpenDatabase,
  openDatabase,
  parseKeyRing,
  type SmsLedger,
} from '@leadmetrics/provider-sms';
import {
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import { DATABASE_URL, dropSchema, uniqueName } from './test-services.js';

/** A suite's shared world; `close()` stops the emulators, closes the pool and drops the schema. */
export interface Fixture {
  twilio: TwilioEmulator;
  msg91: Msg91Emulator;
  database: OpenDatabase;
  ledger: SmsLedger;
  /** `PROVIDER_CONFIG_KEYS` of the suite's processes. */
  keyRing: string;
  cipher: ConfigCipher;
  schema: string;
  close(): Promise<void>;
}

/** Starts the emulators (live mode), migrates a fresh schema and saves `twilioTenant`'s verified Twilio config. */
export async function startFixture(schemaPrefix: string, twilioTenant: string): Promise<Fixture> {
  const keyRing = `k1:${generateConfigKey()}`;
  const cipher = createConfigCipher(parseKeyRing(keyRing));
  const schema = uniqueName(schemaPrefix);
  const twilio = await startTwilioEmulator({ mode: 'live' });
  const msg91 = await startMsg91Emulator({ mode: 'live', dlrDelayMs: 20 });
  const database = await openDatabase({ databaseUrl: DATABASE_URL });
  await migrate(database.db, { schema });
  const store = createPostgresConfigStore(database.db, { schema });
  const service = createSmsConfigService({ store, cipher, twilioOptions: { apiBaseUrl: twilio.url } });
  const saved = await service.saveTwilioConfig(twilioTenant, {
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    fromNumber: TWILIO_VALID_FROM,
  });
  if (!saved.verified) throw new Error('the Twilio emulator did not verify the tenant config');
  return {
    twilio,
    msg91,
    database,
    ledger: createSmsLedger({ db: database.db, cipher, schema }),
    keyRing,
    cipher,
    schema,
    async close() {
      await database.close();
      await Promise.all([twilio.close(), msg91.close()]);
      await dropSchema(schema);
    },
  };
}
