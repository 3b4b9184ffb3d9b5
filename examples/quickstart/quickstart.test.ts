// The README's dispatch-service example is this directory's file: it runs, prints what the README says it
// prints (ids masked), and exits by itself (everything it opened is closed) — with PGlite, and with
// DATABASE_URL when set.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const file = fileURLToPath(new URL('./dispatch-service.mjs', import.meta.url));
const webhooks = fileURLToPath(new URL('./status-webhooks.mjs', import.meta.url));
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Runs the example in a fresh process; rejects if it has not exited after 45 s. */
function run(
  env: NodeJS.ProcessEnv,
  script = file,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [script], { env, timeout: 45_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** The output with message ids masked, as the README shows it. */
const masked = (s: string) =>
  s
    .replace(/'SM[0-9a-f]{32}'/g, "'SM…'")
    .replace(/\bSM[0-9a-f]{32}\b/g, 'SM…')
    .replace(/messageId: '[0-9a-f]{24}'/g, "messageId: '…'");

const env = { ...process.env, DATABASE_URL: '', PROVIDER_CONFIG_KEYS: '' };

describe('examples/quickstart/dispatch-service.mjs', () => {
  it('runs against the emulators on PGlite, prints what the README shows, and exits by itself', async () => {
    const { code, stdout, stderr } = await run(env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = masked(stdout).trim();
    expect(out).toContain('tenant-42 Twilio config verified: true');
    expect(out).toContain("provider: 'twilio'");
    expect(out).toContain("provider: 'msg91'");
    expect(out).toContain("code: 'invalid_recipient', outcome: 'not_sent', retryable: false");
    // The README shows this very output.
    expect(readme).toContain(out);
  });

  it.runIf(Boolean(process.env.DATABASE_URL))('runs the same against DATABASE_URL and exits', async () => {
    const { code, stdout } = await run({ ...env, DATABASE_URL: process.env.DATABASE_URL });
    expect(code).toBe(0);
    expect(masked(stdout)).toContain("provider: 'twilio'");
  });

  it('is the code the README shows', () => {
    const code = readFileSync(file, 'utf8');
    const body = code.slice(code.indexOf('import {'));
    expect(readme).toContain(body.trim());
  });
});

describe('examples/quickstart/status-webhooks.mjs', () => {
  it('receives the signed sent and delivered callbacks of its send, prints them as the README shows, exits', async () => {
    const { code, stdout, stderr } = await run(env, webhooks);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = masked(stdout).trim();
    expect(out.split('\n')).toEqual([
      'sent twilio SM… queued',
      'status tenant-42 SM… sent',
      'status tenant-42 SM… delivered',
    ]);
    expect(readme).toContain(out);
  });
});
