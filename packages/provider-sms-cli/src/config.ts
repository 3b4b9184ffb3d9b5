import type { SmsError, StoredProviderConfig } from '@leadmetrics/provider-sms';
import { parseTwilioConfig } from '@leadmetrics/provider-sms';
import { type Command, Option } from 'commander';
import {
  CliError,
  type CliIo,
  type CommonOptions,
  checkTenantArg,
  EXIT,
  errorMessage,
  smsErrorFields,
} from './context.js';
import { readSecretFromStdin } from './input.js';
import { renderFields, writeJson, writeLine } from './output.js';
import { type CliRuntime, unknownTenant, withRuntime } from './runtime.js';

/** Shared wiring of every command: `--json`, `--data-dir`, `--verbose`. */
export type AddCommon = (cmd: Command) => Command;
/** Records the exit code a command finished with. */
export type SetExit = (code: number) => void;

interface SetTwilioOptions extends CommonOptions {
  tenant: string;
  accountSid: string;
  from: string;
  authTokenEnv?: string;
  unsafeAuthTokenArgv?: string;
  /** The old `--auth-token`: refused with a pointer to the new names. */
  authToken?: string;
}

interface TenantOptions extends CommonOptions {
  tenant: string;
}

const TWILIO = { provider: 'twilio' as const };

/** The outcome of a verification as the CLI prints it. */
function verificationFields(r: { verified: boolean; error?: SmsError | undefined }): Record<string, unknown> {
  return r.verified || !r.error
    ? { verified: r.verified }
    : { verified: false, error: { ...smsErrorFields(r.error), message: errorMessage(r.error) } };
}

async function getRow(rt: CliRuntime, tenantId: string): Promise<StoredProviderConfig> {
  const row = await rt.store.get({ tenantId, ...TWILIO });
  if (!row) unknownTenant(tenantId);
  return row;
}

/** Reads the auth token: stdin, `--auth-token-env NAME`, or `--unsafe-auth-token-argv`. Never logs it. */
async function readAuthToken(opts: SetTwilioOptions, io: CliIo): Promise<string> {
  if (opts.authToken !== undefined)
    throw new CliError(
      '--auth-token was renamed --unsafe-auth-token-argv (the token is visible in ps and shell history); ' +
        'pipe the token on stdin or use --auth-token-env NAME',
    );
  if (opts.authTokenEnv !== undefined) {
    if (opts.unsafeAuthTokenArgv !== undefined)
      throw new CliError('use either --auth-token-env or --unsafe-auth-token-argv, not both');
    const value = io.env[opts.authTokenEnv]?.trim();
    if (!value)
      throw new CliError(
        `the environment variable ${opts.authTokenEnv} (--auth-token-env) is not set or empty`,
      );
    return value;
  }
  if (opts.unsafeAuthTokenArgv !== undefined) {
    io.stderr.write(
      'provider-sms: warning: --unsafe-auth-token-argv puts the token in your shell history and the process list; ' +
        'prefer stdin or --auth-token-env NAME\n',
    );
    return opts.unsafeAuthTokenArgv;
  }
  return readSecretFromStdin(io.stdin ?? process.stdin, 'auth token');
}

/** Registers `config set-twilio | show | verify | disable | enable | remove`. */
export function registerConfigCommands(
  program: Command,
  io: CliIo,
  common: AddCommon,
  setExit: SetExit,
): void {
  const config = program
    .command('config')
    .description("manage tenants' Twilio SMS configs (stored encrypted in notification_providers)");

  common(
    config
      .command('set-twilio')
      .description(
        "save a tenant's Twilio config, then verify it against Twilio. The auth token is read from stdin " +
          '(piped) or from the variable named by --auth-token-env; never pass it as an argument.',
      )
      .requiredOption('--tenant <id>', 'tenant id')
      .requiredOption('--account-sid <sid>', 'Twilio Account SID (AC + 32 hex)')
      .requiredOption(
        '--from <sender>',
        'E.164 number, Messaging Service SID (MG…) or alphanumeric sender id',
      )
      .option('--auth-token-env <name>', 'read the auth token from this environment variable')
      .option(
        '--unsafe-auth-token-argv <token>',
        'the auth token as an argument (UNSAFE: visible in ps and shell history; for throwaway tokens only)',
      )
      .addOption(new Option('--auth-token <token>').hideHelp()),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  printf %s "$TOKEN" | provider-sms config set-twilio --tenant acme --account-sid AC… --from +15005550006\n' +
        '  provider-sms config set-twilio --tenant acme --account-sid AC… --from +15005550006 --auth-token-env TOKEN\n' +
        'Exit codes: 0 saved and verified; 1 saved but verification failed; 2 bad input (nothing written).',
    )
    .action(async (opts: SetTwilioOptions) => {
      const tenantId = checkTenantArg(opts.tenant);
      const authToken = await readAuthToken(opts, io);
      // Validate before opening anything: bad input writes nothing.
      const cfg = parseTwilioConfig({ accountSid: opts.accountSid, authToken, fromNumber: opts.from });
      await withRuntime(opts, io, async (rt) => {
        const r = await rt.service.saveTwilioConfig(tenantId, cfg);
        const row = await rt.store.get({ tenantId, ...TWILIO });
        const fields = {
          tenant: tenantId,
          provider: 'twilio',
          saved: true,
          configVersion: row?.configVersion,
          ...verificationFields(r),
        };
        if (opts.json) writeJson(io.stdout, fields);
        else {
          writeLine(
            io.stdout,
            `Saved the Twilio config of tenant "${tenantId}" (config version ${row?.configVersion ?? '?'}).`,
          );
          writeLine(
            io.stdout,
            r.verified
              ? 'Verification passed (the credentials; Twilio checks the From number on each send): the tenant now sends through its own Twilio account.'
              : `Verification FAILED: ${r.error?.code ?? 'unknown'}${r.error?.providerCode !== undefined ? ` (${r.error.providerCode})` : ''} — ${errorMessage(r.error)}. ` +
                  'The tenant keeps sending through the platform default (tenant_config_unverified).',
          );
        }
        setExit(r.verified ? EXIT.ok : EXIT.failed);
      });
    });

  common(
    config
      .command('show')
      .description(
        "show a tenant's Twilio config: state and non-secret fields; the auth token is always redacted",
      )
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: TenantOptions) => {
    const tenantId = checkTenantArg(opts.tenant);
    await withRuntime(opts, io, async (rt) => {
      const cfg = await rt.service.get(tenantId);
      if (!cfg) unknownTenant(tenantId);
      const fields = {
        ...cfg,
        verifiedAt: cfg.verifiedAt?.toISOString() ?? null,
        createdAt: cfg.createdAt.toISOString(),
        updatedAt: cfg.updatedAt.toISOString(),
      };
      if (opts.json) writeJson(io.stdout, fields);
      else writeLine(io.stdout, renderFields(fields));
    });
  });

  common(
    config
      .command('verify')
      .description("verify a tenant's stored Twilio credentials against Twilio again (exit 1 when they fail)")
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: TenantOptions) => {
    const tenantId = checkTenantArg(opts.tenant);
    await withRuntime(opts, io, async (rt) => {
      await getRow(rt, tenantId);
      const r = await rt.service.verify(tenantId);
      const fields = { tenant: tenantId, provider: 'twilio', ...verificationFields(r) };
      if (opts.json) writeJson(io.stdout, fields);
      else
        writeLine(
          io.stdout,
          r.verified
            ? `Tenant "${tenantId}": Twilio credentials verified.`
            : `Tenant "${tenantId}": verification FAILED: ${r.error?.code ?? 'unknown'} — ${errorMessage(r.error)}`,
        );
      setExit(r.verified ? EXIT.ok : EXIT.failed);
    });
  });

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    common(
      config
        .command(name)
        .description(
          enabled
            ? "re-enable a tenant's Twilio config (it is used again once verified)"
            : "disable a tenant's Twilio config: the platform default sends (tenant_config_disabled)",
        )
        .requiredOption('--tenant <id>', 'tenant id'),
    ).action(async (opts: TenantOptions) => {
      const tenantId = checkTenantArg(opts.tenant);
      await withRuntime(opts, io, async (rt) => {
        await getRow(rt, tenantId);
        if (enabled) await rt.service.enable(tenantId);
        else await rt.service.disable(tenantId);
        const row = await getRow(rt, tenantId);
        const fields = {
          tenant: tenantId,
          provider: 'twilio',
          enabled: row.enabled,
          verified: row.verifiedAt !== null,
        };
        if (opts.json) writeJson(io.stdout, fields);
        else writeLine(io.stdout, `Tenant "${tenantId}": Twilio config ${enabled ? 'enabled' : 'disabled'}.`);
      });
    });
  }

  common(
    config
      .command('remove')
      .description("delete a tenant's Twilio config (the platform default sends: no_tenant_config)")
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: TenantOptions) => {
    const tenantId = checkTenantArg(opts.tenant);
    await withRuntime(opts, io, async (rt) => {
      await getRow(rt, tenantId);
      await rt.service.remove(tenantId);
      if (opts.json) writeJson(io.stdout, { tenant: tenantId, provider: 'twilio', removed: true });
      else writeLine(io.stdout, `Tenant "${tenantId}": Twilio config removed.`);
    });
  });
}
