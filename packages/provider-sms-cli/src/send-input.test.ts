// `send` reads the body from --body-file or stdin (an OTP stays off argv); `config set-twilio` takes a token
// on argv only behind --unsafe-auth-token-argv. In-process (main with its own io), PGlite in a temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import {
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './index.js';

let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
let dir: string;

beforeAll(async () => {
  [twilio, msg91] = await Promise.all([startTwilioEmulator(), startMsg91Emulator()]);
  dir = mkdtempSync(join(tmpdir(), 'provider-sms-send-input-'));
});
afterAll(async () => {
  await Promise.all([twilio.close(), msg91.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process with `stdin` (a piped stream, or a TTY when `tty`). */
async function cli(args: string[], stdin: string | { tty: true } = '') {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const input =
    typeof stdin === 'string'
      ? Readable.from([Buffer.from(stdin)])
      : Object.assign(Readable.from([]), { isTTY: true });
  const code = await main(['node', 'provider-sms', ...args, '--data-dir', join(dir, 'data')], {
    exit: false,
    io: {
      stdout: sink((s) => {
        stdout += s;
      }),
      stderr: sink((s) => {
        stderr += s;
      }),
      stdin: input,
      env: {
        TWILIO_API_BASE_URL: twilio.url,
        MSG91_API_BASE_URL: msg91.url,
        MSG91_AUTH_KEY: msg91.authKey,
        MSG91_TEMPLATE_ID: msg91.templateId,
      },
    },
  });
  return { code, stdout, stderr };
}

const send = ['send', '--tenant', 'umbrella', '--to', '+919876543210', '--json'];

describe('send: the body off argv', () => {
  it('reads the body from stdin when --body is not given (one trailing newline dropped)', async () => {
    const r = await cli(send, 'Your code is 482193\n');
    expect(r.code, r.stderr).toBe(0);
    expect(msg91.messages.at(-1)?.variables).toMatchObject({ body: 'Your code is 482193' });
  });

  it('reads the body from --body-file', async () => {
    const file = join(dir, 'otp.txt');
    writeFileSync(file, 'Your code is 771204\n', { mode: 0o600 });
    const r = await cli([...send, '--body-file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(msg91.messages.at(-1)?.variables).toMatchObject({ body: 'Your code is 771204' });
  });

  it('--body-file - reads stdin', async () => {
    const r = await cli([...send, '--body-file', '-'], 'code 5555');
    expect(r.code, r.stderr).toBe(0);
    expect(msg91.messages.at(-1)?.variables).toMatchObject({ body: 'code 5555' });
  });

  it('still accepts --body (documented as visible in ps)', async () => {
    const r = await cli([...send, '--body', 'hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(msg91.messages.at(-1)?.variables).toMatchObject({ body: 'hello' });
  });

  it('refuses --body with --body-file, a missing file and a terminal stdin (exit 2, nothing sent)', async () => {
    const before = msg91.received;
    const both = await cli([...send, '--body', 'a', '--body-file', join(dir, 'otp.txt')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--body or --body-file/);
    const missing = await cli([...send, '--body-file', join(dir, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --body-file .*ENOENT/);
    const tty = await cli(send, { tty: true });
    expect(tty.code).toBe(2);
    expect(tty.stderr).toMatch(/no message body: pipe it on stdin/);
    expect(msg91.received).toBe(before);
  });

  it('help says how to keep a body off argv', async () => {
    const r = await cli(['send', '--help']);
    expect(r.stdout).toContain('--body-file <path>');
    expect(r.stdout).toMatch(/keep an OTP off the process list/);
  });
});

describe('config set-twilio: a token on argv only behind an unsafe name', () => {
  const setTwilio = [
    'config',
    'set-twilio',
    '--tenant',
    'acme',
    '--account-sid',
    '',
    '--from',
    TWILIO_VALID_FROM,
  ];
  const args = () => setTwilio.map((a) => (a === '' ? twilio.accountSid : a));

  it('refuses the old --auth-token, naming the new option; nothing is saved', async () => {
    const r = await cli([...args(), '--auth-token', twilio.authToken, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--unsafe-auth-token-argv/);
    expect(r.stderr + r.stdout).not.toContain(twilio.authToken);
    expect((await cli(['config', 'show', '--tenant', 'acme'])).code).toBe(1);
  });

  it('accepts --unsafe-auth-token-argv with a warning, and stdin without one', async () => {
    const unsafe = await cli([...args(), '--unsafe-auth-token-argv', twilio.authToken]);
    expect(unsafe.code, unsafe.stderr).toBe(0);
    expect(unsafe.stderr).toMatch(/warning: --unsafe-auth-token-argv puts the token in your shell history/);
    const piped = await cli(args(), twilio.authToken);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(/warning/);
  });

  it('help lists --unsafe-auth-token-argv and not --auth-token', async () => {
    const r = await cli(['config', 'set-twilio', '--help']);
    expect(r.stdout).toContain('--unsafe-auth-token-argv');
    expect(r.stdout).not.toMatch(/--auth-token </);
  });
});
