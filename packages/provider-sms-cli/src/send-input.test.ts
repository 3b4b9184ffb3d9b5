// `send` reads the body from --body-file or stdin (an OTP stays off argv); `config set-twilio` takes a token
// on argv only behind --unsafe-auth-token-argv; --validity and --send-at are checked before anything is sent.
// In-process (main with its own io), PGlite in a temp dir.
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

describe('send --validity and --send-at (issue 15)', () => {
  const MG = `MG${'d'.repeat(32)}`;
  const HOUR = 3_600_000;
  const inAnHour = () => new Date(Math.ceil((Date.now() + HOUR) / 1000) * 1000);
  const setTwilio = (tenant: string, from: string) =>
    cli(
      ['config', 'set-twilio', '--tenant', tenant, '--account-sid', twilio.accountSid, '--from', from],
      twilio.authToken,
    );
  const sent = () => twilio.received + msg91.received;

  beforeAll(async () => {
    for (const [tenant, from] of [
      ['sched-mg', MG],
      ['sched-number', TWILIO_VALID_FROM],
    ] as const) {
      const r = await setTwilio(tenant, from);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('schedules through a Twilio Messaging Service: prints status scheduled; the emulator has SendAt and ValidityPeriod', async () => {
    const at = inAnHour();
    const r = await cli(
      [
        'send',
        '--tenant',
        'sched-mg',
        '--to',
        '+14155552671',
        '--validity',
        '300',
        '--send-at',
        at.toISOString(),
      ],
      'See you tomorrow',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^status:\s+scheduled$/m);
    expect(twilio.messages.at(-1)).toMatchObject({ status: 'scheduled', sendAt: at, validityPeriod: 300 });
  });

  it('schedules through MSG91 with schtime (JSON output: status scheduled)', async () => {
    const at = inAnHour();
    const r = await cli([...send, '--send-at', at.toISOString(), '--validity', '60'], 'See you tomorrow');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, provider: 'msg91', status: 'scheduled' });
    expect(msg91.messages.at(-1)).toMatchObject({ schtime: String(at.getTime() / 1000), sendAt: at });
  });

  it('bad --validity or --send-at values exit 2 naming the option; nothing is sent', async () => {
    const before = sent();
    const cases: [string, string, RegExp][] = [
      ['--validity', '0', /--validity must be an integer 1–36000/],
      ['--validity', '36001', /--validity must be an integer 1–36000/],
      ['--validity', '5m', /--validity must be an integer 1–36000/],
      ['--send-at', 'tomorrow', /--send-at must be an ISO 8601 time with a zone/],
      ['--send-at', '2030-12-24T09:00:00', /--send-at must be an ISO 8601 time with a zone/],
      ['--send-at', '2030-02-30T09:00:00Z', /--send-at must be an ISO 8601 time with a zone/],
      ['--send-at', '2030-12-24T25:00:00Z', /--send-at must be an ISO 8601 time with a zone/],
      ['--send-at', '2020-12-24T09:00:00Z', /--send-at must be in the future/],
    ];
    for (const [option, value, re] of cases) {
      const r = await cli([...send, option, value], 'hello');
      expect(r.code, `${option} ${value}`).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    expect(sent()).toBe(before);
  });

  it('--send-at from a plain Twilio number (or under 15 minutes ahead) exits 2, nothing sent', async () => {
    const before = sent();
    const soon = new Date(Date.now() + 5 * 60_000).toISOString();
    for (const [tenant, at, re] of [
      ['sched-number', inAnHour().toISOString(), /message\.sendAt needs a Messaging Service sender/],
      ['sched-mg', soon, /message\.sendAt must be 15 minutes to 35 days ahead/],
    ] as const) {
      const r = await cli(['send', '--tenant', tenant, '--to', '+14155552671', '--send-at', at], 'hello');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    expect(sent()).toBe(before);
  });

  it('help lists both options', async () => {
    const r = await cli(['send', '--help']);
    expect(r.stdout).toContain('--validity <seconds>');
    expect(r.stdout).toContain('--send-at <iso>');
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
