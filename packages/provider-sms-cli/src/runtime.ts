import type { ConfigCipher, Logger, OpenDatabase, SmsProvider } from '@leadmetrics/provider-sms';
import {
  createPostgresConfigStore,
  createSmsConfigService,
  createSmsDispatcher,
  createSmsLedger,
  createSmsProviderResolver,
  createSmsSender,
  migrate,
  type SmsConfigStore,
  type SmsDispatcher,
  type SmsLedger,
} from '@leadmetrics/provider-sms';
import {
  CliError,
  type CliIo,
  type CommonOptions,
  type DatabaseTarget,
  databaseTarget,
  EXIT,
  loadCipher,
  openTarget,
  preflightKeys,
  stderrLogger,
  twilioOptionsFromEnv,
} from './context.js';
import { platformDefaultFromEnv } from './platform.js';

/** Everything a config/resolve/send command needs, opened once per invocation. */
export interface CliRuntime {
  target: DatabaseTarget;
  database: OpenDatabase;
  store: SmsConfigStore;
  cipher: ConfigCipher;
  resolver: ReturnType<typeof createSmsProviderResolver>;
  service: ReturnType<typeof createSmsConfigService>;
  /** The dispatch ledger (notification_dispatch_log). */
  ledger: SmsLedger;
  /** Sends through the ledger: one provider call per notification id, ever (no retries inside one CLI call). */
  dispatcher: SmsDispatcher;
  /** Set when the MSG91 env vars are present; otherwise the resolver gets a placeholder that refuses to send. */
  platformConfigured: boolean;
  /** What is missing for the platform default to send (undefined when configured). */
  platformMissing: string | undefined;
  logger: Logger;
  close(): Promise<void>;
}

/** Makes sure the tables exist: PGlite data dirs are migrated on the fly; a server must have run `migrate`. */
async function ensureTables(target: DatabaseTarget, database: OpenDatabase): Promise<void> {
  if (target.kind === 'pglite') {
    await migrate(database.db);
    return;
  }
  const res = await database.db.query("SELECT to_regclass('public.notification_providers') AS t");
  if (!res.rows[0]?.t) {
    throw new CliError(
      `the table notification_providers does not exist in ${target.display}: run "provider-sms migrate" first`,
      EXIT.failed,
    );
  }
}

/** The CLI's "platform default not configured" error (exit 2): names the missing variables. */
export function platformNotConfigured(missing: string): CliError {
  return new CliError(`the platform default (MSG91) is not configured: ${missing}`, EXIT.usage, {
    code: 'platform_default_not_configured',
  });
}

/** A stand-in platform default used when MSG91 env vars are absent: resolving works, sending says what is missing. */
function unconfiguredPlatformDefault(missing: string): SmsProvider {
  const fail = () => Promise.reject(platformNotConfigured(missing));
  return { name: 'msg91', send: fail, verify: fail };
}

/** Opens the database, cipher, store, resolver and config service for one command (validation happens first). */
export async function openRuntime(opts: CommonOptions, io: CliIo): Promise<CliRuntime> {
  const target = databaseTarget(opts, io.env);
  preflightKeys(target, io.env);
  const platform = platformDefaultFromEnv(io.env);
  const logger = stderrLogger(io, opts.verbose === true);
  const database = await openTarget(target);
  try {
    await ensureTables(target, database);
    const cipher = loadCipher(target, io);
    const store = createPostgresConfigStore(database.db);
    const twilioOptions = twilioOptionsFromEnv(io.env, logger);
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault: platform.provider ?? unconfiguredPlatformDefault(platform.missing),
      twilioOptions,
      logger,
    });
    const service = createSmsConfigService({ store, cipher, resolver, twilioOptions, logger });
    const ledger = createSmsLedger({ db: database.db, cipher });
    // One provider call per CLI send, as before the ledger; a one-shot process has no use for a circuit breaker.
    const sender = createSmsSender({ resolver, retry: false, circuitBreaker: false, logger });
    const dispatcher = createSmsDispatcher({ sender, ledger, resolver, logger });
    return {
      target,
      database,
      store,
      cipher,
      resolver,
      service,
      ledger,
      dispatcher,
      platformConfigured: platform.provider !== undefined,
      platformMissing: platform.provider === undefined ? platform.missing : undefined,
      logger,
      close: () => database.close(),
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

/** Opens a runtime, runs `fn`, always closes it. */
export async function withRuntime<T>(
  opts: CommonOptions,
  io: CliIo,
  fn: (rt: CliRuntime) => Promise<T>,
): Promise<T> {
  const rt = await openRuntime(opts, io);
  try {
    return await fn(rt);
  } finally {
    await rt.close().catch(() => undefined);
  }
}

/** Throws the CLI's "unknown tenant" error: the command was well-formed, the operation failed (exit 1). */
export function unknownTenant(tenantId: string): never {
  throw new CliError(`no Twilio SMS config for tenant "${tenantId}"`, EXIT.failed, {
    code: 'unknown_tenant',
  });
}
