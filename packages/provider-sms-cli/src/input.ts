import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CliError } from './context.js';

/** The most the CLI reads from stdin or a `--body-file` (a body is at most 1600 characters). */
const MAX_INPUT_BYTES = 64 * 1024;

/** Reads `stream` to its end as UTF-8; refuses more than `maxBytes` (naming `what`). */
async function readAll(stream: Readable, maxBytes: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new CliError(`the ${what} is over ${maxBytes} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a message body from `--body-file PATH` (`-` = stdin), else from stdin when it is piped, so that an
 * OTP stays off the process's argv. One trailing newline (what `echo` adds) is dropped.
 */
export async function readBodyInput(
  bodyFile: string | undefined,
  stdin: Readable & { isTTY?: boolean },
): Promise<string> {
  let text: string;
  if (bodyFile !== undefined && bodyFile !== '-') {
    try {
      text = await readAll(createReadStream(bodyFile), MAX_INPUT_BYTES, 'message body (--body-file)');
    } catch (err) {
      if (err instanceof CliError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'read error';
      throw new CliError(`cannot read --body-file ${bodyFile.slice(0, 200)}: ${code}`);
    }
  } else {
    if (stdin.isTTY)
      throw new CliError(
        'no message body: pipe it on stdin (printf %s "$BODY" | provider-sms send …), use --body-file PATH, or --body TEXT',
      );
    text = await readAll(stdin, MAX_INPUT_BYTES, 'message body (stdin)');
  }
  return text.replace(/\r?\n$/, '');
}

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
  const value = (await readAll(stdin, MAX_INPUT_BYTES, what)).trim();
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

// ISO 8601 with a zone: a time without one would depend on the machine's time zone.
const ISO_WITH_ZONE_RE =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** Parses `--send-at`: an ISO 8601 time with a zone (Z or ±hh:mm) that lies in the future. */
export function parseSendAt(value: string): Date {
  const m = ISO_WITH_ZONE_RE.exec(value);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  // The day must exist in its month (Date would turn 2026-02-30 into March 2).
  if (!m || mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) {
    throw new CliError(
      `--send-at must be an ISO 8601 time with a zone, e.g. 2026-12-24T09:00:00Z (got "${value.slice(0, 40)}")`,
    );
  }
  const at = new Date(value);
  if (at.getTime() <= Date.now())
    throw new CliError(`--send-at must be in the future (got ${at.toISOString()})`);
  return at;
}
