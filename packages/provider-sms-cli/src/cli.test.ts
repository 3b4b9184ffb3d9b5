// Runs the REAL built binary (`node bin/provider-sms.js`, which imports dist/index.js) in child processes,
// against emulators started in this process; each test has its own PGlite data dir (they are single-process).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openDatabase } from '@leadmetrics/provider-sms';
import {
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type BinRun, childEnv, PKG, runBin } from '../test/cli-child.js';

const DIST_CLI = join(PKG, 'dist', 'index.js');

type RunResult = BinRun;

let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'provider-sms-cli-'));
  dirs.push(d);
  return d;
}

/** The environment of a child: emulators, PGlite (no DATABASE_URL), no key env, no Twilio SDK vars. */
const env = (extra: Record<string, string | undefined> = {}) => childEnv({ twilio, msg91 }, extra);

/** Runs the bin with `args`; `input` is written to stdin (then closed). */
function run(
  args: string[],
  options: { input?: string; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  return runBin(args, {
    env: env(options.env),
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}

beforeAll(async () => {
  if (!existsSync(DIST_CLI)) {
    // `pnpm test` builds first; a bare `vitest run` on a fresh clone builds here once.
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: PKG, stdio: 'ignore' });
  }
  twilio = await startTwilioEmulator();
  msg91 = await startMsg91Emulator();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([twilio?.close(), msg91?.close()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('provider-sms CLI (built binary)', () => {
  it('prints --help for every command and exits 0', async () => {
    const commands = [
      [],
      ['migrate'],
      ['config'],
      ['config', 'set-twilio'],
      ['config', 'show'],
      ['config', 'verify'],
      ['config', 'disable'],
      ['config', 'enable'],
      ['resolve'],
      ['send'],
      ['log'],
      ['ledger'],
      ['ledger', 'list'],
      ['ledger', 'show'],
      ['ledger', 'purge'],
      ['reconcile'],
      ['emulator'],
      ['demo'],
    ];
    const results = await Promise.all(commands.map((c) => run([...c, '--help'])));
    for (const [i, r] of results.entries()) {
      expect(r.code, `${commands[i]?.join(' ')} --help`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: provider-sms/);
    }
    expect(results[3]?.stdout).toContain('--auth-token-env');
    const unknown = await run(['bogus']);
    expect(unknown.code).toBe(2);
  });

  it('config set-twilio (token on stdin) → verify → resolve → send, with the token never printed', async () => {
    const dataDir = join(tempDir(), 'db');
    const token = twilio.authToken;
    const outputs: string[] = [];
    const step = async (args: string[], input?: string) => {
      const r = await run([...args, '--data-dir', dataDir], input === undefined ? {} : { input });
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    const set = await step(
      [
        'config',
        'set-twilio',
        '--tenant',
        'acme',
        '--account-sid',
        twilio.accountSid,
        '--from',
        TWILIO_VALID_FROM,
        '--json',
      ],
      `${token}\n`,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ tenant: 'acme', saved: true, verified: true });
    expect(set.stderr).toMatch(/created a config key file .*provider-config\.key \(mode 0600\)/);
    expect(statSync(join(dataDir, 'provider-config.key')).mode & 0o777).toBe(0o600);

    const verify = await step(['config', 'verify', '--tenant', 'acme', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ tenant: 'acme', verified: true });

    const resolved = await step(['resolve', '--tenant', 'acme', '--json']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ provider: 'twilio', source: 'tenant', reason: null });

    const sent = await step([
      'send',
      '--tenant',
      'acme',
      '--to',
      '+1 (415) 555-2671',
      '--body',
      'CLI test',
      '--json',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    const result = JSON.parse(sent.stdout);
    expect(result).toMatchObject({
      ok: true,
      provider: 'twilio',
      status: 'queued',
      segments: 1,
      encoding: 'GSM-7',
    });
    expect(twilio.messages.find((m) => m.sid === result.messageId)).toMatchObject({
      to: '+14155552671',
      body: 'CLI test',
    });

    const optedOut = await step([
      'send',
      '--tenant',
      'acme',
      '--to',
      '+15005550004',
      '--body',
      'x',
      '--json',
    ]);
    expect(optedOut.code).toBe(1);
    expect(JSON.parse(optedOut.stdout).error).toMatchObject({
      code: 'recipient_opted_out',
      providerCode: 21610,
      retryable: false,
      outcome: 'not_sent',
    });

    const fallback = await step([
      'send',
      '--tenant',
      'umbrella',
      '--to',
      '+919876543210',
      '--body',
      'via MSG91',
      '--json',
    ]);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(JSON.parse(fallback.stdout)).toMatchObject({
      provider: 'msg91',
      source: 'platform-default',
      reason: 'no_tenant_config',
      status: 'queued',
    });

    const show = await step(['config', 'show', '--tenant', 'acme']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(twilio.accountSid);
    const showJson = await step(['config', 'show', '--tenant', 'acme', '--json']);
    expect(JSON.parse(showJson.stdout)).toMatchObject({
      tenantId: 'acme',
      enabled: true,
      verified: true,
      problem: null,
    });

    const disabled = await step(['config', 'disable', '--tenant', 'acme', '--json']);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ enabled: false });
    const afterDisable = await step(['resolve', '--tenant', 'acme', '--json']);
    expect(JSON.parse(afterDisable.stdout)).toMatchObject({
      source: 'platform-default',
      reason: 'tenant_config_disabled',
    });

    // Redaction: the token appears in no output of any command (stdout or stderr).
    for (const o of outputs) expect(o).not.toContain(token);
  }, 120_000);

  it('bad input exits 2 with one line on stderr and writes nothing; a failed verification exits 1', async () => {
    const dataDir = join(tempDir(), 'db');
    const common = ['--data-dir', dataDir];
    const badSid = await run(
      [
        'config',
        'set-twilio',
        '--tenant',
        'acme',
        '--account-sid',
        'AC123',
        '--from',
        TWILIO_VALID_FROM,
        ...common,
      ],
      { input: 'some-token-1234' },
    );
    expect(badSid.code).toBe(2);
    expect(badSid.stderr.trim().split('\n')).toHaveLength(1);
    expect(badSid.stderr).toMatch(/accountSid/);
    expect(badSid.stderr).not.toContain('some-token-1234');
    expect(existsSync(dataDir)).toBe(false); // validated before anything was opened

    const noToken = await run(
      [
        'config',
        'set-twilio',
        '--tenant',
        'acme',
        '--account-sid',
        twilio.accountSid,
        '--from',
        TWILIO_VALID_FROM,
        ...common,
      ],
      { input: '' },
    );
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/auth token/);

    const missingEnvVar = await run([
      ...[
        'config',
        'set-twilio',
        '--tenant',
        'acme',
        '--account-sid',
        twilio.accountSid,
        '--from',
        TWILIO_VALID_FROM,
      ],
      ...['--auth-token-env', 'NO_SUCH_TOKEN_VAR', ...common],
    ]);
    expect(missingEnvVar.code).toBe(2);

    const missingKeys = await run(['resolve', '--tenant', 'acme', '--json'], {
      env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    });
    expect(missingKeys.code).toBe(2);
    expect(missingKeys.stderr).toMatch(/PROVIDER_CONFIG_KEYS is not set/);
    expect(JSON.parse(missingKeys.stdout)).toMatchObject({ ok: false, error: { code: 'bad_input' } });

    const badNumber = await run([
      'send',
      '--tenant',
      'acme',
      '--to',
      '98765 43210',
      '--body',
      'x',
      ...common,
    ]);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/E\.164/);

    const unknownTenant = await run(['config', 'show', '--tenant', 'acme', '--json', ...common]);
    expect(unknownTenant.code).toBe(1); // well-formed, but there is nothing to show: the operation failed
    expect(unknownTenant.stderr).toMatch(/no Twilio SMS config for tenant "acme"/);
    expect(JSON.parse(unknownTenant.stdout)).toMatchObject({ ok: false, error: { code: 'unknown_tenant' } });
    expect((await run(['config', 'verify', '--tenant', 'acme', ...common])).code).toBe(1);

    const wrong = await run(
      [
        ...[
          'config',
          'set-twilio',
          '--tenant',
          'globex',
          '--account-sid',
          twilio.accountSid,
          '--from',
          TWILIO_VALID_FROM,
        ],
        ...['--auth-token-env', 'GLOBEX_TOKEN', '--json', ...common],
      ],
      { env: { GLOBEX_TOKEN: 'wrong-token-0000' } },
    );
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({
      saved: true,
      verified: false,
      error: { code: 'authentication_failed' },
    });
    expect(wrong.stdout + wrong.stderr).not.toContain('wrong-token-0000');
    const reverify = await run(['config', 'verify', '--tenant', 'globex', ...common]);
    expect(reverify.code).toBe(1);
    const resolved = await run(['resolve', '--tenant', 'globex', '--json', ...common]);
    expect(JSON.parse(resolved.stdout)).toMatchObject({
      provider: 'msg91',
      source: 'platform-default',
      reason: 'tenant_config_unverified',
    });
  }, 120_000);

  it('a bad --tenant (control character, edge space, over 128 characters) exits 2 before anything is opened', async () => {
    const dataDir = join(tempDir(), 'db');
    const bad = ['ac\u0001me', ' acme', 'acme\u0085', 't'.repeat(129)];
    const results = await Promise.all(
      bad.map((tenant) => run(['resolve', '--tenant', tenant, '--json', '--data-dir', dataDir])),
    );
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^provider-sms: --tenant (must not|is 129 characters)/);
    }
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('a data dir in use by another process: set-twilio exits 1 naming it; concurrent runs lose nothing', async () => {
    const dataDir = join(tempDir(), 'db');
    const setTwilio = (tenant: string) =>
      run(
        [
          'config',
          'set-twilio',
          '--tenant',
          tenant,
          '--account-sid',
          twilio.accountSid,
          '--from',
          TWILIO_VALID_FROM,
          '--data-dir',
          dataDir,
        ],
        { input: `${twilio.authToken}\n` },
      );
    const held = await openDatabase({ dataDir });
    try {
      const refused = await setTwilio('held');
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain(`in use by process ${process.pid} `);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await held.close();
    }
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    // Concurrent runs: each either saved (and its config is there afterwards) or failed loudly.
    const tenants = ['t1', 't2', 't3'];
    const results = await Promise.all(tenants.map(setTwilio));
    for (const [i, r] of results.entries()) {
      if (r.code !== 0) {
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/in use by process \d+ on \S+ \(node provider-sms\.js config set-twilio\)/);
      }
      const show = await run(['config', 'show', '--tenant', tenants[i]!, '--json', '--data-dir', dataDir]);
      if (r.code === 0) {
        expect(show.code, show.stderr).toBe(0);
        expect(JSON.parse(show.stdout)).toMatchObject({ verified: true });
      } else expect(show.code).not.toBe(0);
    }
    expect(statSync(join(dataDir, 'provider-config.key')).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('emulator prints URLs and credentials, reports each message, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'emulator', '--twilio-port', '0', '--msg91-port', '0', '--inbox-port', '0', '--json'],
      {
        cwd: PKG,
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(String((await lines.next()).value));
    const ready = await next();
    expect(ready).toMatchObject({
      event: 'ready',
      twilio: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) },
      inbox: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
    });
    const { url, accountSid, authToken } = ready.twilio;
    const page = await fetch(ready.inbox);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const res = await fetch(`${url}/2010-04-01/Accounts/${accountSid}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ From: TWILIO_VALID_FROM, To: '+14155552671', Body: 'hello emulator' }),
    });
    expect(res.status).toBe(201);
    expect(await next()).toMatchObject({
      event: 'message',
      provider: 'twilio',
      to: '+14155552671',
      body: 'hello emulator',
    });
    const listed = (await (await fetch(`${ready.inbox}api/messages`)).json()) as {
      messages: { body?: string }[];
    };
    expect(listed.messages.map((msg) => msg.body)).toContain('hello emulator');
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await next()).toMatchObject({ event: 'stopped', signal: 'SIGTERM' });
    expect(await exited).toBe(0);
  }, 30_000);
});
