import { generateConfigKey, parseKeyRing } from '@leadmetrics/provider-sms';
import type { Command } from 'commander';
import { CliError, type CliIo, EXIT } from './context.js';
import { writeJson, writeLine } from './output.js';

const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** Registers `keys generate`: a new config-encryption key as a `PROVIDER_CONFIG_KEYS` value. */
export function registerKeysCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('config-encryption keys (PROVIDER_CONFIG_KEYS)');
  keys
    .command('generate')
    .description('print a new random 32-byte key as a PROVIDER_CONFIG_KEYS value (<id>:<base64>)')
    .option('--id <id>', 'the key id (letters, digits, - and _; at most 32)', 'k1')
    .option(
      '--rotate <ring>',
      'an existing PROVIDER_CONFIG_KEYS value: print the new key first (active), then the old ones (still decrypt)',
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  export PROVIDER_CONFIG_KEYS="$(provider-sms keys generate)"\n' +
        '  export PROVIDER_CONFIG_KEYS="$(provider-sms keys generate --id k2 --rotate "$PROVIDER_CONFIG_KEYS")"\n' +
        'The output is a secret: keep it in your secret store, never in the repository.',
    )
    .action((opts: { id: string; rotate?: string; json?: boolean }) => {
      if (!KEY_ID_RE.test(opts.id)) {
        throw new CliError('--id must be 1-32 letters, digits, "-" or "_"', EXIT.usage);
      }
      let ring = `${opts.id}:${generateConfigKey()}`;
      if (opts.rotate !== undefined) {
        const existing = parseKeyRing(opts.rotate, '--rotate');
        if (opts.id in existing.keys) {
          throw new CliError(`--id ${opts.id} is already in the ring given to --rotate`, EXIT.usage);
        }
        ring = `${ring},${opts.rotate.trim()}`;
      }
      if (opts.json) writeJson(io.stdout, { PROVIDER_CONFIG_KEYS: ring, activeKeyId: opts.id });
      else writeLine(io.stdout, ring);
    });
}
