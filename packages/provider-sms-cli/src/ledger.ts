// `provider-sms ledger list|show|purge`, `log` (an alias of `ledger list`) and `reconcile`: the dispatch ledger, redacted.
import {
  DEFAULT_LEDGER_RETENTION_DAYS,
  type SmsLedgerEntry,
  type SmsLedgerState,
} from '@leadmetrics/provider-sms';
import type { Command } from 'commander';
import type { AddCommon } from './config.js';
import { CliError, type CliIo, type CommonOptions, checkTenantArg, EXIT } from './context.js';
import { parsePositiveInt } from './input.js';
import { renderFields, renderTable, writeJson, writeLine } from './output.js';
import { withRuntime } from './runtime.js';

const STATES: readonly SmsLedgerState[] = ['claimed', 'accepted', 'rejected', 'deferred', 'unknown'];

interface ListOptions extends CommonOptions {
  state?: SmsLedgerState;
  tenant?: string;
  limit: number;
}

interface ShowOptions extends CommonOptions {
  tenant: string;
  id: string;
}

interface PurgeOptions extends CommonOptions {
  before?: Date;
}

/** Parses `--state`: one of the ledger states (exit 2 otherwise). */
function parseState(value: string): SmsLedgerState {
  if (!(STATES as readonly string[]).includes(value))
    throw new CliError(`--state must be one of ${STATES.join(', ')} (got "${value}")`);
  return value as SmsLedgerState;
}

/** Parses `--before`: an ISO date or date-time (exit 2 otherwise). */
function parseBefore(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime()))
    throw new CliError(
      `--before must be an ISO date, e.g. 2026-09-01 or 2026-09-01T00:00:00Z (got "${value}")`,
    );
  return d;
}

/** The ledger table as text: one line per notification, newest first. */
function renderEntries(rows: readonly SmsLedgerEntry[]): string {
  return renderTable(
    [
      { header: 'CREATED AT', value: (r) => r.createdAt.toISOString() },
      { header: 'TENANT', value: (r) => r.tenantId },
      { header: 'NOTIFICATION', value: (r) => r.notificationId },
      { header: 'STATE', value: (r) => r.state },
      { header: 'STATUS', value: (r) => r.status },
      { header: 'PROVIDER', value: (r) => r.provider },
      { header: 'TO', value: (r) => r.recipient },
      { header: 'ERROR CODE', value: (r) => r.error?.code },
      { header: 'MESSAGE ID', value: (r) => r.messageId },
    ],
    rows,
  );
}

/** Adds the `list` options and action to `cmd` (shared by `ledger list` and `log`). */
function listCommand(cmd: Command, io: CliIo): Command {
  return cmd
    .option('--state <state>', `only rows in this state (${STATES.join(', ')})`, parseState)
    .option('--tenant <id>', 'only this tenant')
    .option('--limit <n>', 'how many rows', parsePositiveInt('--limit', 10_000), 50)
    .action(async (opts: ListOptions) => {
      if (opts.tenant !== undefined) checkTenantArg(opts.tenant);
      await withRuntime(opts, io, async (rt) => {
        const rows = await rt.ledger.list({
          limit: opts.limit,
          ...(opts.state ? { state: opts.state } : {}),
          ...(opts.tenant ? { tenantId: opts.tenant } : {}),
        });
        if (opts.json) writeJson(io.stdout, rows);
        else writeLine(io.stdout, renderEntries(rows));
      });
    });
}

/** Registers `ledger list|show|purge` and `log`. */
export function registerLedgerCommands(program: Command, io: CliIo, common: AddCommon): void {
  const ledger = program
    .command('ledger')
    .description(
      'the dispatch ledger (notification_dispatch_log): one row per notification, its state and fate; numbers masked, never the body',
    );

  listCommand(
    common(
      ledger
        .command('list')
        .description('list notifications, newest first (legacy rows with a derived state)'),
    ),
    io,
  );
  listCommand(common(program.command('log').description('alias of "ledger list"')), io);

  common(
    ledger
      .command('show')
      .description("one notification's row: state, attempts, stored result or error, latest status")
      .requiredOption('--tenant <id>', 'tenant id')
      .requiredOption('--id <notificationId>', 'the notification id given to send --id (or to dispatch())'),
  ).action(async (opts: ShowOptions) => {
    const tenantId = checkTenantArg(opts.tenant);
    await withRuntime(opts, io, async (rt) => {
      const entry = await rt.ledger.get(tenantId, opts.id);
      if (!entry)
        throw new CliError(
          `no ledger row for notification "${opts.id}" of tenant "${tenantId}"`,
          EXIT.failed,
          {
            code: 'not_found',
          },
        );
      if (opts.json) writeJson(io.stdout, entry);
      else {
        const { attempts, result, error, ...fields } = entry;
        writeLine(
          io.stdout,
          renderFields({ ...fields, ...(result ? { result } : {}), ...(error ? { error } : {}) }),
        );
        for (const [i, a] of attempts.entries())
          writeLine(io.stdout, renderFields({ [`attempt ${i + 1}`]: a }));
      }
    });
  });

  common(
    ledger
      .command('purge')
      .description(
        `delete rows created before --before (default: the retention, ${DEFAULT_LEDGER_RETENTION_DAYS} days ago)`,
      )
      .option('--before <date>', 'ISO date or date-time; rows created earlier are deleted', parseBefore),
  )
    .addHelpText(
      'after',
      `\nRows hold recipient numbers (personal data): without --before, rows older than ${DEFAULT_LEDGER_RETENTION_DAYS} days are deleted.`,
    )
    .action(async (opts: PurgeOptions) => {
      await withRuntime(opts, io, async (rt) => {
        const before = opts.before ?? new Date(Date.now() - DEFAULT_LEDGER_RETENTION_DAYS * 86_400_000);
        const out = { deleted: await rt.ledger.purge({ before }), before: before.toISOString() };
        if (opts.json) writeJson(io.stdout, out);
        else writeLine(io.stdout, `Deleted ${out.deleted} ledger row(s) created before ${out.before}.`);
      });
    });
}

/** Registers `reconcile`: one sweep of unknown rows and expired claims (docs/design.md §11). */
export function registerReconcileCommand(program: Command, io: CliIo, common: AddCommon): void {
  common(
    program
      .command('reconcile')
      .description(
        "ask the provider what became of each 'unknown' notification (and expired claims): found → accepted, proved absent after the settle deadline → deferred, else still unknown with a reason",
      )
      .option('--limit <n>', 'how many rows at most', parsePositiveInt('--limit', 10_000), 500),
  ).action(async (opts: CommonOptions & { limit: number }) => {
    await withRuntime(opts, io, async (rt) => {
      const outcomes = await rt.dispatcher.reconcile({ limit: opts.limit });
      if (opts.json) {
        writeJson(io.stdout, outcomes);
        return;
      }
      if (outcomes.length === 0) {
        writeLine(io.stdout, 'Nothing to reconcile: no unknown rows and no expired claims.');
        return;
      }
      writeLine(
        io.stdout,
        renderTable(
          [
            { header: 'TENANT', value: (o) => o.tenantId },
            { header: 'NOTIFICATION', value: (o) => o.notificationId },
            { header: 'STATE', value: (o) => o.state },
            { header: 'REASON', value: (o) => o.reason },
            { header: 'MESSAGE ID', value: (o) => o.messageId },
          ],
          outcomes,
        ),
      );
    });
  });
}
