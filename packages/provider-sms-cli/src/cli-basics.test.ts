import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseKeyRing } from '@leadmetrics/provider-sms';
import { describe, expect, it } from 'vitest';
import { PKG, runBin } from '../test/cli-child.js';

const version = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;

/** Runs the bin; with `closeStdout` the reading end of its stdout is closed at once (like `| head -0`). */
const run = (args: string[], closeStdout = false, env: NodeJS.ProcessEnv = process.env) =>
  runBin(args, { closeStdout, env });

describe('provider-sms basics (built binary)', () => {
  it('--version prints the CLI and library versions', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    const lib = version(join(PKG, '..', 'provider-sms'));
    expect(r.stdout.trim()).toBe(`${version(PKG)} (@leadmetrics/provider-sms ${lib})`);
  });

  it('survives a reader that closed the pipe (provider-sms --help | head -1): no EPIPE crash', async () => {
    for (const args of [['--help'], ['config', 'set-twilio', '--help'], ['--version']]) {
      const r = await run(args, true);
      expect(r.stderr, args.join(' ')).not.toMatch(/EPIPE|Error/);
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  it('with --json a usage error is a JSON document on stdout (and one line on stderr), exit 2', async () => {
    const r = await run(['config', 'show', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      error: { code: 'bad_usage', message: "required option '--tenant <id>' not specified" },
    });
    expect(r.stderr).toMatch(/--tenant/);
    const unknown = await run(['send', '--bogus', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, error: { code: 'bad_usage' } });
  });

  it('log --help states its default once', async () => {
    const r = await run(['log', '--help']);
    expect(r.stdout).toMatch(/how many rows \(default: 50\)/);
    expect(r.stdout).not.toMatch(/\(default 50\)/);
  });
});

describe('provider-sms keys generate', () => {
  it('prints a PROVIDER_CONFIG_KEYS value that parseKeyRing accepts, new each time', async () => {
    const a = await run(['keys', 'generate']);
    const b = await run(['keys', 'generate']);
    expect(a.code).toBe(0);
    const ring = parseKeyRing(a.stdout.trim());
    expect(ring.activeKeyId).toBe('k1');
    expect(ring.keys.k1).toHaveLength(32);
    expect(a.stdout).not.toBe(b.stdout);
  });

  it('--rotate puts the new key first (active) and keeps the old ones; a taken id or a bad ring is bad usage', async () => {
    const old = (await run(['keys', 'generate'])).stdout.trim();
    const r = await run(['keys', 'generate', '--id', 'k2', '--rotate', old, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { PROVIDER_CONFIG_KEYS: string; activeKeyId: string };
    expect(out.activeKeyId).toBe('k2');
    const ring = parseKeyRing(out.PROVIDER_CONFIG_KEYS);
    expect(ring.activeKeyId).toBe('k2');
    expect(Object.keys(ring.keys).sort()).toEqual(['k1', 'k2']);
    expect(out.PROVIDER_CONFIG_KEYS.endsWith(old)).toBe(true);
    expect((await run(['keys', 'generate', '--rotate', old])).code).toBe(2);
    const bad = await run(['keys', 'generate', '--id', 'k2', '--rotate', 'k1:c2hvcnQ=']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rotate/);
    expect((await run(['keys', 'generate', '--id', 'a b'])).code).toBe(2);
  });
});

describe('provider-sms migrate names why the database could not be opened, never the password', () => {
  it('a refused port exits 1 naming it; a malformed DATABASE_URL exits 2', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const env = (url: string) => ({ ...process.env, DATABASE_URL: url });
    const refused = await run(['migrate'], false, env(`postgres://u:hunter2@127.0.0.1:${port}/db`));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`connection refused at 127.0.0.1:${port}`);
    const malformed = await run(['migrate', '--json'], false, env('postgres://u:hunter2@[::1/db'));
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    for (const r of [refused, malformed]) expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});
