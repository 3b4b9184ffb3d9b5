import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConfigCipher,
  createConfigCipher,
  createPlatformDefaultFromEnv,
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsDispatcher,
  createSmsLedger,
  createSmsProviderResolver,
  createSmsSender,
  migrate,
  openDatabase,
  parseKeyRing,
  redactUrl,
} from '@leadmetrics/provider-sms';
import {
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_SDK_ENV_VARS,
  TWILIO_VALID_FROM,
} from '@leadmetrics/provider-sms/testing';
import { keyFileCipher } from '../context.js';
import { renderTable } from '../output.js';
import {
  awaitDelivery,
  type DemoDelivery,
  type DemoDispatchRow,
  type DemoItem,
  type DemoReconciled,
  type DemoResend,
  dispatchBatch,
  reconcileUnknown,
  resendOnce,
  startDemoWebhooks,
} from './demo-ledger.js';

export type { DemoDelivery, DemoDispatchRow, DemoReconciled, DemoResend } from './demo-ledger.js';

/** Where the demo prints (a `Writable` such as `process.stdout`, or anything with `write`). */
export interface DemoOutput {
  write(chunk: string): unknown;
}

/** Options of `runDemo`. */
export interface DemoOptions {
  /** A PostgreSQL server (tables in the schema `provider_sms_demo`); absent → embedded PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data directory to use/keep; default a new temporary directory. Ignored with `databaseUrl`. */
  dataDir?: string | undefined;
  out: DemoOutput;
}

/** A seeded tenant and what saving its config produced. */
export interface DemoTenant {
  tenant: string;
  config: string;
  enabled: boolean | null;
  verified: boolean | null;
  note: string;
}

/** What `runDemo` returns (and prints). */
export interface DemoReport {
  database: { kind: 'pglite' | 'postgres'; location: string; schema: string };
  tenants: DemoTenant[];
  rows: DemoDispatchRow[];
  /** One accepted notification dispatched again: the stored result, no provider request. */
  resend: DemoResend;
  /** The status callbacks of the first Twilio message, received by the webhook handler. */
  delivery: DemoDelivery;
  /** A notification whose outcome was unknown, found at Twilio by the reconciler. */
  reconciled: DemoReconciled;
  emulators: { twilioMessages: number; msg91Messages: number };
  durationMs: number;
}

const DEMO_SCHEMA_POSTGRES = 'provider_sms_demo';
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'] as const;
const OTP_TEMPLATE = { id: '6650c0de0000000000000a7e', variables: ['otp', 'minutes'] };
const BODY_TEMPLATE = { id: '6650c0de00000000000000b0', variables: ['body'] };
const UNICODE_BODY =
  'नमस्ते! आपका ऑर्डर #4821 भेज दिया गया है और कल शाम तक पहुँच जाएगा। ' +
  'डिलीवरी ट्रैक करने के लिए ऐप खोलें या हमें कभी भी कॉल करें। ' +
  'किसी भी सवाल के लिए हमारी सहायता टीम हमेशा उपलब्ध है। धन्यवाद — Acme 🚚';

/** The batch: successes, Twilio magic failures, Unicode, and the platform default for every fallback reason. */
function batch(): DemoItem[] {
  return [
    { label: 'success', tenant: 'acme', message: { to: '+14155552671', body: 'Acme: your code is 4821' } },
    {
      label: 'invalid number',
      tenant: 'acme',
      message: { to: '+15005550001', body: 'Acme: your code is 4821' },
    },
    { label: 'opted out', tenant: 'acme', message: { to: '+15005550004', body: 'Acme: your code is 4821' } },
    { label: 'unicode', tenant: 'acme', message: { to: '+919876543210', body: UNICODE_BODY } },
    {
      label: 'unverified tenant',
      tenant: 'globex',
      message: { to: '+919876543211', body: 'Globex: your code is 1234' },
    },
    {
      label: 'disabled tenant',
      tenant: 'initech',
      message: { to: '+919876543212', body: 'Initech: your code is 5678' },
    },
    {
      label: 'MSG91 template',
      tenant: 'umbrella',
      message: {
        to: '+919876543213',
        body: 'Umbrella: your code is 9012 (valid 10 minutes)',
        template: { id: OTP_TEMPLATE.id, variables: { otp: '9012', minutes: '10' } },
        reference: 'notif-0007',
      },
    },
    {
      label: 'no "+" prefix',
      tenant: 'umbrella',
      message: { to: '98765 43214', body: 'Umbrella: your code is 9012' },
    },
    {
      label: 'corrupt row',
      tenant: 'hooli',
      message: { to: '+919876543215', body: 'Hooli: your code is 3456' },
    },
  ];
}

/**
 * Runs the end-to-end demo: database + migration, both emulators, four seeded tenants and a corrupt row
 * (configs saved through the config service, so verification really runs), a batch through resolver and
 * sender through the dispatch ledger, a deduplicated re-send, status callbacks arriving; prints a table. Never sends a real SMS.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const out = (line = '') => options.out.write(`${line}\n`);
  const savedEnv = new Map(TWILIO_SDK_ENV_VARS.map((k) => [k, process.env[k]] as const));
  for (const k of TWILIO_SDK_ENV_VARS) delete process.env[k];

  const usePostgres = Boolean(options.databaseUrl);
  const schema = usePostgres ? DEMO_SCHEMA_POSTGRES : 'public';
  const dataDir = usePostgres
    ? undefined
    : (options.dataDir ?? mkdtempSync(join(tmpdir(), 'provider-sms-demo-')));
  const location = usePostgres ? redactUrl(options.databaseUrl!) : dataDir!;

  // A data dir the demo made itself is removed at the end (cleanups run last-first: after the database closed).
  const cleanups: Array<() => Promise<unknown>> = [];
  if (dataDir && !options.dataDir)
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  // Live mode: the emulator answers message lists as a live account does, so an unknown outcome can be reconciled.
  const twilio = await startTwilioEmulator({ statusCallbacks: true, mode: 'live' });
  cleanups.push(() => twilio.close());
  try {
    const msg91 = await startMsg91Emulator({ templates: [BODY_TEMPLATE, OTP_TEMPLATE] });
    cleanups.push(() => msg91.close());
    const database = await openDatabase(usePostgres ? { databaseUrl: options.databaseUrl } : { dataDir });
    cleanups.push(() => database.close());
    const { db } = database;

    out(
      `provider-sms demo: ${usePostgres ? `PostgreSQL ${location} (schema ${schema})` : `embedded PGlite in ${location}`}`,
    );
    out(`Emulators (no SMS leaves this machine): Twilio ${twilio.url}, MSG91 ${msg91.url}`);
    out();

    await migrate(db, { schema });
    const t = `"${schema}".notification_providers`;
    if (usePostgres) await db.query(`DELETE FROM ${t} WHERE tenant_id = ANY($1)`, [[...TENANTS]]);
    // A re-run (kept data dir, a server) starts from an empty ledger for the demo tenants: its ids are reused.
    await db.query(`DELETE FROM "${schema}".notification_dispatch_log WHERE tenant_id = ANY($1)`, [
      [...TENANTS],
    ]);

    let cipher: ConfigCipher;
    if (dataDir) cipher = keyFileCipher(dataDir).cipher;
    else if (process.env.PROVIDER_CONFIG_KEYS)
      cipher = createConfigCipher(parseKeyRing(process.env.PROVIDER_CONFIG_KEYS));
    else cipher = createConfigCipher({ keys: { demo: randomBytes(32) }, activeKeyId: 'demo' });

    const store = createPostgresConfigStore(db, { schema });
    const platformDefault = createPlatformDefaultFromEnv({
      MSG91_AUTH_KEY: msg91.authKey,
      MSG91_TEMPLATE_ID: BODY_TEMPLATE.id,
      MSG91_SENDER_ID: 'LDMTRX',
      MSG91_API_BASE_URL: msg91.url,
    });
    const twilioOptions = { apiBaseUrl: twilio.url, timeoutMs: 5_000 };
    const ledger = createSmsLedger({ db, cipher, schema });
    const webhooks = await startDemoWebhooks(store, cipher, ledger);
    cleanups.push(() => webhooks.close());
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      twilioOptions,
      statusCallbackBaseUrl: webhooks.twilioBaseUrl,
    });
    const service = createSmsConfigService({ store, cipher, resolver, twilioOptions });
    const sender = createSmsSender({ resolver, retry: { maxAttempts: 2, baseDelayMs: 50 }, failover: 'off' });
    const dispatcher = createSmsDispatcher({ sender, ledger, resolver });

    // Seed through the real config service: verification runs against the Twilio emulator.
    const good = {
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      fromNumber: TWILIO_VALID_FROM,
    };
    const tenants: DemoTenant[] = [];
    const seed = async (tenant: string, config: typeof good, configLabel: string, note: string) => {
      const r = await service.saveTwilioConfig(tenant, config);
      const why = r.error
        ? `verification failed: ${r.error.code}${r.error.providerCode !== undefined ? ` (${r.error.providerCode})` : ''}`
        : '';
      tenants.push({
        tenant,
        config: configLabel,
        enabled: true,
        verified: r.verified,
        note: r.verified ? note : why,
      });
    };
    await seed('acme', good, 'twilio', 'sends through its own Twilio');
    await seed('globex', { ...good, authToken: 'not-the-right-token-0000' }, 'twilio, wrong auth token', '');
    await seed('initech', good, 'twilio', '');
    await service.disable('initech');
    tenants[2] = { ...tenants[2]!, enabled: false, note: 'disabled after a successful verification' };
    tenants.push({
      tenant: 'umbrella',
      config: 'none',
      enabled: null,
      verified: null,
      note: 'no notification_providers row',
    });
    await seed('hooli', good, 'twilio, ciphertext corrupted', 'verified, then a ciphertext byte flipped');
    await corruptCiphertext(db, t, 'hooli');
    resolver.invalidate('hooli');

    out('Seeded tenants (saved through the config service; verified against the Twilio emulator):');
    out(
      renderTable(
        [
          { header: 'TENANT', value: (r: DemoTenant) => r.tenant },
          { header: 'CONFIG', value: (r) => r.config },
          { header: 'ENABLED', value: (r) => yesNo(r.enabled) },
          { header: 'VERIFIED', value: (r) => yesNo(r.verified) },
          { header: 'NOTE', value: (r) => r.note },
        ],
        tenants,
      ),
    );
    out();

    const items = batch();
    const rows = await dispatchBatch(dispatcher, (id) => resolver.resolve(id), items);

    out('Dispatch (dispatcher → ledger → resolver → sender → provider → emulator):');
    out(
      renderTable(
        [
          { header: 'CASE', value: (r: DemoDispatchRow) => r.label },
          { header: 'NOTIFICATION', value: (r) => r.notificationId },
          { header: 'TENANT', value: (r) => r.tenant },
          { header: 'PROVIDER', value: (r) => r.provider },
          { header: 'SOURCE', value: (r) => r.source },
          { header: 'REASON', value: (r) => r.reason },
          { header: 'TO', value: (r) => r.to },
          { header: 'LEDGER', value: (r) => r.state },
          {
            header: 'STATUS / ERROR',
            value: (r) =>
              r.status ?? `${r.errorCode}${r.providerCode !== null ? ` (${r.providerCode})` : ''}`,
          },
          { header: 'MESSAGE ID', value: (r) => r.messageId },
          { header: 'SEGMENTS', value: (r) => (r.segments === null ? null : `${r.segments} ${r.encoding}`) },
        ],
        rows,
      ),
    );
    out();
    const first = rows.find((r) => r.label === 'success')!;
    const resend = await resendOnce(dispatcher, twilio, first, items[rows.indexOf(first)]!);
    out(
      `Re-send of ${resend.notificationId} (a redelivered job): deduplicated: ${resend.deduplicated}, ` +
        `message ${resend.messageId}, provider requests: ${resend.providerRequests}.`,
    );
    const delivery = await awaitDelivery(twilio, webhooks, ledger, first);
    out(
      `Status callbacks of ${delivery.messageId} reached the webhook handler: ${delivery.statuses.join(' → ') || 'none'} ` +
        `(ledger status: ${delivery.ledgerStatus ?? '-'}).`,
    );
    const reconciled = await reconcileUnknown(dispatcher, ledger, twilio, first.tenant, {
      to: '+14155552672',
      body: 'Your parcel is out for delivery',
    });
    out(
      `${reconciled.notificationId}: the connection broke after Twilio took the message → ledger state ` +
        `${reconciled.stateAfterFailure}; ${reconciled.settledBy === 'status callback' ? "Twilio's status callback settled it before the sweep" : 'the reconciliation sweep found it at Twilio'} → ${reconciled.reconciledState} ` +
        `(${reconciled.messageId}); dispatched again: deduplicated: ${reconciled.deduplicated}, provider requests: ${reconciled.providerRequests}.`,
    );
    out();
    const table = `${schema === 'public' ? '' : `${schema}.`}notification_dispatch_log`;
    out(`Each notification's row is in the ledger, ${table} (${location}):`);
    out(
      `  SELECT tenant_id, notification_id, state, provider, status, message_id, created_at FROM ${table} ORDER BY created_at;`,
    );
    if (dataDir && options.dataDir)
      out(
        `  or: pnpm exec provider-sms ledger list --data-dir ${dataDir}    (and: provider-sms config show --tenant acme --data-dir ${dataDir})`,
      );
    else if (dataDir)
      out(
        '  (a temporary data dir, removed when the demo ends: run `provider-sms demo --data-dir DIR` to keep it)',
      );
    const report: DemoReport = {
      database: { kind: usePostgres ? 'postgres' : 'pglite', location, schema },
      tenants,
      rows,
      resend,
      delivery,
      reconciled,
      emulators: { twilioMessages: twilio.messages.length, msg91Messages: msg91.messages.length },
      durationMs: Date.now() - started,
    };
    out(
      `Emulators received ${report.emulators.twilioMessages} Twilio and ${report.emulators.msg91Messages} MSG91 messages. ` +
        `Done in ${(report.durationMs / 1000).toFixed(1)} s.`,
    );
    return report;
  } finally {
    for (const close of cleanups.reverse()) await close().catch(() => undefined);
    for (const [k, v] of savedEnv) if (v !== undefined) process.env[k] = v;
  }
}

const yesNo = (v: boolean | null) => (v === null ? null : v ? 'yes' : 'no');

/** Flips one byte of a stored envelope's ciphertext, so that its authentication tag fails. */
async function corruptCiphertext(
  db: { query(text: string, params?: unknown[]): Promise<{ rows: Array<{ config?: unknown }> }> },
  table: string,
  tenantId: string,
): Promise<void> {
  const res = await db.query(`SELECT config FROM ${table} WHERE tenant_id = $1 AND provider = 'twilio'`, [
    tenantId,
  ]);
  const parts = String(res.rows[0]?.config ?? '').split(':');
  const ct = Buffer.from(parts[4] ?? '', 'base64');
  ct[0] = (ct[0] ?? 0) ^ 0xff;
  parts[4] = ct.toString('base64');
  await db.query(`UPDATE ${table} SET config = $2 WHERE tenant_id = $1 AND provider = 'twilio'`, [
    tenantId,
    parts.join(':'),
  ]);
}
