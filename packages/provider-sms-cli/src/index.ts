import { createRequire } from 'node:module';
import { isSmsError, migrate } from '@leadmetrics/provider-sms';
import { Command, CommanderError } from 'commander';
import { registerConfigCommands } from './config.js';
import {
  CliError,
  type CliIo,
  type CommonOptions,
  DEFAULT_DATA_DIR,
  databaseTarget,
  EXIT,
  errorMessage,
  isInputError,
  processIo,
  smsErrorFields,
  withDatabase,
} from './context.js';
import { registerEmulatorCommand } from './emulator.js';
import { registerKeysCommands } from './keys.js';
import { registerLedgerCommands, registerReconcileCommand } from './ledger.js';
import { writeJson, writeLine } from './output.js';
import { registerSendCommands } from './send.js';

const ENV_HELP = `
Environment:
  DATABASE_URL          PostgreSQL server; absent → embedded PGlite in --data-dir (default ${DEFAULT_DATA_DIR})
  PROVIDER_CONFIG_KEYS  k2:<base64>,k1:<base64> (first = active; make one: provider-sms keys generate); absent with PGlite → a key file in the data dir
  MSG91_AUTH_KEY, MSG91_TEMPLATE_ID, MSG91_SENDER_ID   the platform default (MSG91), needed to send through it
  TWILIO_API_BASE_URL, MSG91_API_BASE_URL               point the providers at emulators

Exit codes: 0 success; 1 the operation failed (send rejected, verification failed); 2 bad usage or input (nothing written).`;

/** `provider-sms <cli version> (@leadmetrics/provider-sms <library version>)`, read from the installed packages. */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  const cli = require('../package.json') as { version: string };
  const lib = require('@leadmetrics/provider-sms/package.json') as { version: string };
  return `${cli.version} (@leadmetrics/provider-sms ${lib.version})`;
}

/** Options of `main` (tests may pass their own streams). */
export interface MainOptions {
  io?: CliIo;
  /** Exit the process when done (default true: the bin). */
  exit?: boolean;
}

/** Builds the commander program; `setExit` records a command's exit code. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('provider-sms');
  program
    .description(
      "Operate @leadmetrics/provider-sms: tenants' Twilio configs, provider resolution, sends, emulators.",
    )
    .version(packageVersion(), '-V, --version', 'print the version of provider-sms and of the library')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText('after', ENV_HELP);

  const common = (cmd: Command) =>
    cmd
      .option('--json', 'print JSON (one document on stdout)')
      .option(
        '--data-dir <dir>',
        `embedded PGlite data directory when DATABASE_URL is unset (default ${DEFAULT_DATA_DIR})`,
      )
      .option('--verbose', 'log debug details on stderr (never secrets)');

  common(
    program
      .command('migrate')
      .description(
        'create or upgrade the tables notification_providers and notification_dispatch_log (idempotent)',
      ),
  ).action(async (opts: CommonOptions) => {
    const target = databaseTarget(opts, io.env);
    await withDatabase(target, async ({ db }) => {
      await migrate(db);
    });
    const out = {
      migrated: true,
      tables: ['notification_providers', 'notification_dispatch_log'],
      database: target.display,
    };
    if (opts.json) writeJson(io.stdout, out);
    else writeLine(io.stdout, `Migrated ${out.tables.join(' and ')} in ${target.display}.`);
  });

  registerConfigCommands(program, io, common, setExit);
  registerSendCommands(program, io, common, setExit);
  registerLedgerCommands(program, io, common);
  registerReconcileCommand(program, io, common);
  registerEmulatorCommand(program, io);
  registerKeysCommands(program, io);

  program
    .command('demo')
    .description(
      'run the end-to-end demo: embedded PGlite (or DATABASE_URL), both emulators, seeded tenants, a batch',
    )
    .option('--data-dir <dir>', 'PGlite data directory to keep (default: a new temporary directory)')
    .option('--json', 'print the dispatch rows as JSON instead of the table')
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const { runDemo } = await import('./demo/demo.js');
      const report = await runDemo({
        out: opts.json ? { write: () => true } : io.stdout,
        ...(io.env.DATABASE_URL ? { databaseUrl: io.env.DATABASE_URL } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      });
      if (opts.json) writeJson(io.stdout, report);
    });

  return program;
}

/** Swallows EPIPE on an output stream (the reader closed it); anything else is rethrown. */
function ignoreClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
}

/** Reports an error as one line on stderr (and a JSON document with --json); returns the exit code. */
function report(err: unknown, io: CliIo, json: boolean): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or the help, or the version) on stderr/stdout.
    if (err.exitCode === 0) return EXIT.ok;
    const message = err.message.replace(/^error: /, '');
    if (json) writeJson(io.stdout, { ok: false, error: { code: 'bad_usage', commander: err.code, message } });
    return EXIT.usage;
  }
  let code: number;
  let body: Record<string, unknown>;
  if (err instanceof CliError) {
    code = err.exitCode;
    body = { code: code === EXIT.usage ? 'bad_input' : 'failed', ...err.details, message: errorMessage(err) };
  } else if (isSmsError(err)) {
    code = isInputError(err) ? EXIT.usage : EXIT.failed;
    body = { ...smsErrorFields(err), message: errorMessage(err) };
  } else {
    code = EXIT.failed;
    body = { code: 'internal', message: errorMessage(err) };
  }
  io.stderr.write(`provider-sms: ${String(body.message)}\n`);
  if (json) writeJson(io.stdout, { ok: false, error: body });
  return code;
}

/** The CLI entry point (the package's bin): parses `argv`, runs the command, sets the exit code. */
export async function main(
  argv: readonly string[] = process.argv,
  options: MainOptions = {},
): Promise<number> {
  const io = options.io ?? processIo();
  // A reader that goes away (`provider-sms --help | head -1`) is not an error of ours: stop writing, exit quietly.
  for (const stream of [io.stdout, io.stderr]) stream.on('error', ignoreClosedPipe);
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    exitCode = c;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    exitCode = report(err, io, argv.includes('--json'));
  }
  if (options.exit !== false) {
    process.exitCode = exitCode;
    // Everything is closed by now; if a stray handle (an idle socket) keeps Node alive, do not hang.
    setTimeout(() => process.exit(exitCode), 2_000).unref();
  }
  return exitCode;
}
