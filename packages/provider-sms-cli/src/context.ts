import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Logger, ProviderOptions } from '@leadmetrics/provider-sms';
import {
  assertTenantId,
  type ConfigCipher,
  createConfigCipher,
  DataDirLockedError,
  generateConfigKey,
  isSmsError,
  type OpenDatabase,
  openDatabase,
  parseKeyRing,
  redactSecrets,
  redactUrl,
  type SmsError,
} from '@leadmetrics/provider-sms';

/** Default embedded data directory (relative to the working directory). */
export const DEFAULT_DATA_DIR = './.provider-sms';
/** Name of the config key file created in an embedded data directory when `PROVIDER_CONFIG_KEYS` is unset. */
export const KEY_FILE_NAME = 'provider-config.key';

/** Exit codes of docs/design.md §8. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** An error the CLI reports as one line on stderr, with its exit code (2 = bad usage/input, nothing written). */
export class CliError extends Error {
  readonly exitCode: number;
  /** Extra machine-readable details for `--json` output. */
  readonly details: Record<string, unknown> | undefined;
  constructor(message: string, exitCode: number = EXIT.usage, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Options every command accepts. */
export interface CommonOptions {
  json?: boolean;
  dataDir?: string;
  verbose?: boolean;
}

/** Streams and environment a command runs with (process ones by default; tests may pass their own). */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Where piped secrets and message bodies are read; default `process.stdin`. */
  stdin?: Readable & { isTTY?: boolean };
}

/** The process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Where the database is: `DATABASE_URL`, else the embedded data directory. */
export interface DatabaseTarget {
  kind: 'postgres' | 'pglite';
  databaseUrl?: string;
  dataDir?: string;
  /** For messages: the data dir, or the URL without its password. */
  display: string;
}

/** Reads `DATABASE_URL`, else resolves `--data-dir` (default `./.provider-sms`) to an absolute path. */
export function databaseTarget(opts: CommonOptions, env: NodeJS.ProcessEnv): DatabaseTarget {
  const url = env.DATABASE_URL?.trim();
  if (url) return { kind: 'postgres', databaseUrl: url, display: redactUrl(url) };
  const dataDir = resolvePath(opts.dataDir ?? DEFAULT_DATA_DIR);
  return { kind: 'pglite', dataDir, display: dataDir };
}

/** Opens the target database; a connection failure is an operational failure (exit 1). */
export async function openTarget(target: DatabaseTarget): Promise<OpenDatabase> {
  try {
    return await openDatabase(
      target.databaseUrl ? { databaseUrl: target.databaseUrl } : { dataDir: target.dataDir },
    );
  } catch (err) {
    // A server's error already names the (redacted) URL and why; a data dir's does not.
    const where = target.kind === 'postgres' ? '' : ` (${target.display})`;
    throw new CliError(
      `cannot open the database${where}: ${errorMessage(err)}`,
      // A data dir held by another process is an operational failure, like a server that is down; a
      // malformed DATABASE_URL is bad input.
      err instanceof DataDirLockedError
        ? EXIT.failed
        : isInputError(err)
          ? EXIT.usage
          : target.kind === 'postgres'
            ? EXIT.failed
            : EXIT.usage,
    );
  }
}

/**
 * Checks, before anything is opened or written, that a config key will be available:
 * `PROVIDER_CONFIG_KEYS` must parse; with `DATABASE_URL` it is required.
 */
export function preflightKeys(target: DatabaseTarget, env: NodeJS.ProcessEnv): void {
  const value = env.PROVIDER_CONFIG_KEYS;
  if (value !== undefined && value.trim() !== '') {
    try {
      parseKeyRing(value);
    } catch (err) {
      throw new CliError(errorMessage(err));
    }
    return;
  }
  if (target.kind === 'postgres') {
    throw new CliError(
      'PROVIDER_CONFIG_KEYS is not set: it is required with DATABASE_URL (format "k1:<base64 of 32 bytes>")',
    );
  }
}

/**
 * The config cipher: from `PROVIDER_CONFIG_KEYS`, else from the key file in the embedded data dir,
 * which is created (mode 0600, warning on stderr) when missing. Never prints a key.
 */
export function loadCipher(target: DatabaseTarget, io: CliIo): ConfigCipher {
  preflightKeys(target, io.env);
  const value = io.env.PROVIDER_CONFIG_KEYS;
  if (value !== undefined && value.trim() !== '') return createConfigCipher(parseKeyRing(value));
  const { cipher, file, created } = keyFileCipher(target.dataDir!);
  if (created) {
    io.stderr.write(
      `provider-sms: warning: PROVIDER_CONFIG_KEYS is not set; created a config key file ${file} (mode 0600). ` +
        'Set PROVIDER_CONFIG_KEYS outside local development.\n',
    );
  } else if ((statSync(file).mode & 0o077) !== 0) {
    io.stderr.write(`provider-sms: warning: ${file} is readable by other users; run chmod 600 on it\n`);
  }
  return cipher;
}

/** The cipher of an embedded data dir's key file, creating the file (a new random key, mode 0600) when missing. */
export function keyFileCipher(dataDir: string): { cipher: ConfigCipher; file: string; created: boolean } {
  const file = join(dataDir, KEY_FILE_NAME);
  let created = false;
  if (!existsSync(file)) {
    writeFileSync(file, `k1:${generateConfigKey()}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  }
  try {
    return {
      cipher: createConfigCipher(parseKeyRing(readFileSync(file, 'utf8').trim(), file)),
      file,
      created,
    };
  } catch (err) {
    throw new CliError(errorMessage(err));
  }
}

/** Provider options for tenant Twilio providers: `TWILIO_API_BASE_URL` points them at an emulator. */
export function twilioOptionsFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): ProviderOptions {
  const base = env.TWILIO_API_BASE_URL?.trim();
  return { ...(base ? { apiBaseUrl: base } : {}), ...(logger ? { logger } : {}) };
}

/** A logger writing warnings and errors (everything with `--verbose`) as JSON lines on stderr. */
export function stderrLogger(io: CliIo, verbose: boolean): Logger {
  const write = (level: string) => (fields: Record<string, unknown>, msg?: string) => {
    io.stderr.write(`${redactSecrets(JSON.stringify({ level, msg, ...fields }))}\n`);
  };
  const quiet = () => undefined;
  return {
    debug: verbose ? write('debug') : quiet,
    info: verbose ? write('info') : quiet,
    warn: write('warn'),
    error: write('error'),
  };
}

/** Rejects a bad `--tenant` (see `assertTenantId`) as bad usage (exit 2) before anything is opened. */
export function checkTenantArg(tenant: unknown): string {
  try {
    return assertTenantId(tenant, '--tenant');
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** A message safe to print: secrets redacted, one line. */
export function errorMessage(err: unknown, secrets: readonly (string | undefined)[] = []): string {
  const raw = err instanceof Error ? err.message : String(err);
  return redactSecrets(raw, secrets).replace(/\s+/g, ' ').trim();
}

/** The log-safe fields of an `SmsError` as the CLI prints them. */
export function smsErrorFields(err: SmsError): Record<string, unknown> {
  // The error's own log-safe view, so that a field added to SmsError reaches the CLI too.
  const { name: _name, attempts: _attempts, cause: _cause, ...fields } = err.toJSON();
  return fields;
}

/** True for an `SmsError` raised by local validation (bad input, nothing sent or written): exit 2. */
export function isInputError(err: unknown): err is SmsError {
  return (
    isSmsError(err) &&
    (err.code === 'invalid_config' || err.code === 'invalid_recipient' || err.code === 'invalid_message') &&
    err.httpStatus === undefined &&
    err.providerCode === undefined
  );
}

/** Runs `fn` with an open database, closing it afterwards (PGlite keeps Node alive until closed). */
export async function withDatabase<T>(
  target: DatabaseTarget,
  fn: (db: OpenDatabase) => Promise<T>,
): Promise<T> {
  const db = await openTarget(target);
  try {
    return await fn(db);
  } finally {
    await db.close().catch(() => undefined);
  }
}
