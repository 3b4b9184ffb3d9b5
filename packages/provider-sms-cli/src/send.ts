import { randomUUID } from 'node:crypto';
import type { SmsMessage, TwilioProvider } from '@leadmetrics/provider-sms';
import { checkMessage, isSmsError, TWILIO_VALIDITY_PERIOD } from '@leadmetrics/provider-sms';
import type { Command } from 'commander';
import type { AddCommon, SetExit } from './config.js';
import {
  CliError,
  type CliIo,
  type CommonOptions,
  checkTenantArg,
  EXIT,
  errorMessage,
  isInputError,
  smsErrorFields,
} from './context.js';
import { collectVar, parsePositiveInt, parseSendAt, readBodyInput } from './input.js';
import { renderFields, writeJson, writeLine } from './output.js';
import { type CliRuntime, platformNotConfigured, withRuntime } from './runtime.js';

interface ResolveOptions extends CommonOptions {
  tenant: string;
}

interface SendOptions extends CommonOptions {
  tenant: string;
  to: string;
  body?: string;
  bodyFile?: string;
  templateId?: string;
  var?: Record<string, string>;
  reference?: string;
  id?: string;
  validity?: number;
  sendAt?: Date;
}

/** What `resolve` reports: the provider chosen for a tenant and why. */
async function resolution(rt: CliRuntime, tenantId: string) {
  const r = await rt.resolver.resolve(tenantId);
  const accountSid = r.source === 'tenant' ? (r.provider as Partial<TwilioProvider>).accountSid : undefined;
  return {
    resolved: r,
    fields: {
      tenant: tenantId,
      provider: r.provider.name,
      source: r.source,
      reason: r.reason ?? null,
      ...(accountSid ? { accountSid } : {}),
      ...(r.source === 'platform-default' && !rt.platformConfigured
        ? { platformDefaultConfigured: false }
        : {}),
    },
  };
}

/** Registers `resolve` and `send`. */
export function registerSendCommands(program: Command, io: CliIo, common: AddCommon, setExit: SetExit): void {
  common(
    program
      .command('resolve')
      .description(
        "show which provider a tenant's SMS go through and why (source 'tenant' or 'platform-default' with a reason)",
      )
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: ResolveOptions) => {
    const tenantId = checkTenantArg(opts.tenant);
    await withRuntime(opts, io, async (rt) => {
      const { fields } = await resolution(rt, tenantId);
      if (opts.json) writeJson(io.stdout, fields);
      else writeLine(io.stdout, renderFields(fields));
    });
  });

  common(
    program
      .command('send')
      .description(
        'send one SMS for a tenant through the dispatch ledger and the resolver (tenant Twilio, else the MSG91 platform default); ' +
          'prints the ledger state and result, or the SmsError code, ledgerState, retryAfterMs, retryable and outcome (exit 1; 2 when refused locally)',
      )
      .requiredOption('--tenant <id>', 'tenant id')
      .requiredOption('--to <number>', 'recipient in E.164, e.g. +919876543210')
      .option(
        '--id <notificationId>',
        'notification id: sent at most once (a repeat prints the stored result); default a new cli-<uuid>, printed',
      )
      .option(
        '--body <text>',
        'message text (visible in ps and shell history: for OTPs use --body-file or stdin)',
      )
      .option(
        '--body-file <path>',
        "read the message text from a file ('-' = stdin); without --body, stdin is read",
      )
      .option('--template-id <id>', 'MSG91 flow/template id (platform default only)')
      .option('--var <name=value>', 'MSG91 template variable (repeatable)', collectVar)
      .option('--reference <id>', "caller's reference (MSG91 CRQID)")
      .option(
        '--validity <seconds>',
        `how long the message is worth sending, 1–${TWILIO_VALIDITY_PERIOD.max} s (Twilio ValidityPeriod; MSG91: local only)`,
        parsePositiveInt('--validity', TWILIO_VALIDITY_PERIOD.max),
      )
      .option(
        '--send-at <iso>',
        'schedule the send, e.g. 2026-12-24T09:00:00Z (Twilio: Messaging Service sender only, 15 min – 35 days ahead); prints status scheduled',
        parseSendAt,
      ),
  )
    .addHelpText(
      'after',
      '\nThe body comes from --body, --body-file PATH or stdin (printf %s "$OTP" | provider-sms send …); ' +
        'the last two keep an OTP off the process list.\n' +
        'This sends a REAL SMS unless TWILIO_API_BASE_URL / MSG91_API_BASE_URL point at emulators ' +
        '(see "provider-sms emulator").\nEvery send is recorded in the ledger ("provider-sms ledger list"); ' +
        'the same --id again sends nothing and prints the stored result (deduplicated: true).\nThe platform default needs MSG91_AUTH_KEY (and MSG91_TEMPLATE_ID or --template-id).',
    )
    .action(async (opts: SendOptions) => {
      const tenantId = checkTenantArg(opts.tenant);
      if (opts.body !== undefined && opts.bodyFile !== undefined)
        throw new CliError('use either --body or --body-file, not both');
      const body = opts.body ?? (await readBodyInput(opts.bodyFile, io.stdin ?? process.stdin));
      const message: SmsMessage = { to: opts.to, body };
      if (opts.templateId !== undefined || opts.var !== undefined) {
        message.template = {
          ...(opts.templateId !== undefined ? { id: opts.templateId } : {}),
          ...(opts.var !== undefined ? { variables: opts.var } : {}),
        };
      }
      if (opts.reference !== undefined) message.reference = opts.reference;
      if (opts.validity !== undefined) message.validityPeriodSec = opts.validity;
      if (opts.sendAt !== undefined) message.sendAt = opts.sendAt;
      // Local checks first (malformed number, empty body): exit 2, nothing opened or sent.
      const checked = await checkMessage(message);
      message.to = checked.to;
      await withRuntime(opts, io, async (rt) => {
        const { resolved, fields } = await resolution(rt, tenantId);
        // Refused before anything is claimed: the ledger would otherwise keep a row that cannot be sent.
        if (resolved.source === 'platform-default' && rt.platformMissing !== undefined)
          throw platformNotConfigured(rt.platformMissing);
        const notificationId = opts.id ?? `cli-${randomUUID()}`;
        try {
          const sent = await rt.dispatcher.dispatch({ tenantId, notificationId, message });
          const out = {
            ok: true,
            ...fields,
            to: checked.to,
            notificationId,
            state: sent.state,
            deduplicated: sent.deduplicated,
            ...sent.result,
          };
          if (opts.json) writeJson(io.stdout, out);
          else writeLine(io.stdout, renderFields(out));
        } catch (err) {
          if (!isSmsError(err)) throw err;
          const out = {
            ok: false,
            ...fields,
            to: checked.to,
            notificationId,
            error: { ...smsErrorFields(err), message: errorMessage(err) },
          };
          if (opts.json) writeJson(io.stdout, out);
          else {
            writeLine(io.stdout, renderFields({ ...fields, to: checked.to, notificationId }));
            writeLine(io.stdout, renderFields(out.error));
          }
          io.stderr.write(`provider-sms: send failed: ${err.code} — ${errorMessage(err)}\n`);
          // Refused locally by the provider (e.g. --send-at from a plain Twilio number): bad input, nothing sent.
          setExit(isInputError(err) ? EXIT.usage : EXIT.failed);
        }
      });
    });
}
