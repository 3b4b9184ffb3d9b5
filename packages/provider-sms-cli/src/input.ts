import type { Readable } from 'node:stream';
import { CliError } from './context.js';

/** Reads a secret piped on stdin (trimmed); refuses a terminal so that a token is never typed visibly. */
export async function readSecretFromStdin(
  stdin: Readable & { isTTY?: boolean },
  what: string,
): Promise<string> {
  if (stdin.isTTY) {
    throw new CliError(
      `no ${what}: pipe it on stdin (e.g. printf %s "$TWILIO_AUTH_TOKEN" | provider-sms config set-twilio …) or use --auth-token-env NAME`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const value = Buffer.concat(chunks).toString('utf8').trim();
  if (!value)
    throw new CliError(`no ${what} on stdin (it was empty); pipe it in or use --auth-token-env NAME`);
  return value;
}

/** Parses repeatable `--var name=value` options into a record. */
export function collectVar(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`--var must be name=value (got "${value.slice(0, 40)}")`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Parses a positive integer option (ports, limits). */
export function parsePositiveInt(name: string, max = Number.MAX_SAFE_INTEGER, allowZero = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > max || (!allowZero && n === 0)) {
      throw new CliError(
        `${name} must be an integer ${allowZero ? '0' : '1'}–${max} (got "${value.slice(0, 20)}")`,
      );
    }
    return n;
  };
}
