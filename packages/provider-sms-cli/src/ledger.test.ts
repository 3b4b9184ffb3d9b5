// `send --id` through the dispatcher, `ledger list|show|purge` and `log`: the BUILT bin, a PGlite data dir, the emulators.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Msg91Emulator,
  startMsg91Emulator,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, PKG, runBin } from '../test/cli-child.js';

let twilio: TwilioEmulator;
let msg91: Msg91Emulator;
let dir: string;
let dataDir: string;

/** Runs the bin against the emulators and this file's data dir; `--json` output parsed. */
async function cli(args: string[], input?: string) {
  const r = await runBin([...args, '--data-dir', dataDir, '--json'], {
    env: childEnv({ twilio, msg91 }),
    ...(input !== undefined ? { input } : {}),
  });
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
}

const send = (id: string | undefined, body = 'ledger test', to = '+14155552671') =>
  cli(['send', '--tenant', 'acme', '--to', to, '--body', body, ...(id ? ['--id', id] : [])]);

beforeAll(async () => {
  if (!existsSync(join(PKG, 'dist', 'index.js')))
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: PKG, stdio: 'ignore' });
  twilio = await startTwilioEmulator();
  msg91 = await startMsg91Emulator();
  dir = mkdtempSync(join(tmpdir(), 'provider-sms-ledger-'));
  dataDir = join(dir, 'db');
  const set = await cli(
    [
      'config',
      'set-twilio',
      '--tenant',
      'acme',
      '--account-sid',
      twilio.accountSid,
      '--from',
      TWILIO_VALID_FROM,
    ],
    `${twilio.authToken}\n`,
  );
  expect(set.code, set.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([twilio?.close(), msg91?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// One data dir, in order: each step reads what the previous ones wrote.
describe.sequential('provider-sms send --id and ledger commands (built binary)', () => {
  it('send --id goes through the dispatcher; the same id again prints the stored result and sends nothing', async () => {
    const first = await send('order-1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({
      ok: true,
      notificationId: 'order-1',
      state: 'accepted',
      deduplicated: false,
      provider: 'twilio',
      status: 'queued',
    });
    const count = twilio.messages.length;
    const again = await send('order-1');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({
      ok: true,
      notificationId: 'order-1',
      state: 'accepted',
      deduplicated: true,
      messageId: first.json.messageId,
    });
    expect(twilio.messages.length).toBe(count);
  });

  it('the same id with another body is an idempotency conflict: exit 1, nothing sent', async () => {
    const count = twilio.messages.length;
    const r = await send('order-1', 'another text');
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'idempotency_conflict', ledgerState: 'accepted' });
    expect(twilio.messages.length).toBe(count);
  });

  it('a bad --id (over 200 characters) exits 2 and claims nothing', async () => {
    const count = twilio.received;
    const r = await send('x'.repeat(201));
    expect(r.code).toBe(2);
    expect(r.json.error).toMatchObject({ code: 'invalid_config' });
    expect(r.stderr).toMatch(/notificationId/);
    expect(twilio.received).toBe(count);
  });

  it('an unknown outcome exits 1 with ledgerState unknown and retryAfterMs; a repeat sends nothing', async () => {
    twilio.inject({ status: 500, json: { message: 'boom' } });
    const r = await send('order-2');
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    expect(r.json.error.retryAfterMs).toBeGreaterThan(0);
    const count = twilio.messages.length;
    const again = await send('order-2');
    expect(again.code).toBe(1);
    expect(again.json.error).toMatchObject({ outcome: 'unknown', ledgerState: 'unknown' });
    expect(twilio.messages.length).toBe(count);
  });

  it('reconcile asks the provider about the unknown row: test credentials cannot list (20008) → still unknown, reason lookup_forbidden, nothing sent', async () => {
    const count = twilio.messages.length;
    const r = await cli(['reconcile']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          tenantId: 'acme',
          notificationId: 'order-2',
          state: 'unknown',
          reason: 'lookup_forbidden',
        }),
      ]),
    );
    expect(twilio.messages.length).toBe(count);
    const text = await runBin(['reconcile', '--data-dir', dataDir], { env: childEnv({ twilio, msg91 }) });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/order-2\s+unknown\s+lookup_forbidden/);
  });

  it('send without --id uses a generated cli-<uuid> id, printed, so the send is in the ledger', async () => {
    const r = await send(undefined);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.notificationId).toMatch(/^cli-[0-9a-f-]{36}$/);
    const show = await cli(['ledger', 'show', '--tenant', 'acme', '--id', r.json.notificationId]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.json).toMatchObject({ state: 'accepted', messageId: r.json.messageId });
  });

  it('ledger show: the row redacted (masked number, no body); an unknown id exits 1', async () => {
    const r = await cli(['ledger', 'show', '--tenant', 'acme', '--id', 'order-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ tenantId: 'acme', notificationId: 'order-1', state: 'accepted' });
    expect(r.json.attempts).toHaveLength(1);
    expect(r.stdout).not.toContain('ledger test');
    expect(r.stdout).not.toContain('+14155552671');
    const text = await runBin(
      ['ledger', 'show', '--tenant', 'acme', '--id', 'order-1', '--data-dir', dataDir],
      {
        env: childEnv({ twilio, msg91 }),
      },
    );
    expect(text.stdout).toMatch(/state:\s+accepted/);
    expect(text.stdout).toContain('attempt 1');
    const missing = await cli(['ledger', 'show', '--tenant', 'acme', '--id', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.json.error).toMatchObject({ code: 'not_found' });
  });

  it('ledger list filters by state and tenant; log is its alias with --tenant/--limit; a bad --state exits 2', async () => {
    const unknown = await cli(['ledger', 'list', '--state', 'unknown']);
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(unknown.json.map((e: { notificationId: string }) => e.notificationId)).toEqual(['order-2']);
    const all = await cli(['ledger', 'list', '--tenant', 'acme']);
    expect(all.json).toHaveLength(3);
    const other = await cli(['ledger', 'list', '--tenant', 'umbrella']);
    expect(other.json).toEqual([]);
    const log = await cli(['log', '--tenant', 'acme', '--limit', '1']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.json).toHaveLength(1);
    expect(log.json[0]).toMatchObject({ tenantId: 'acme', state: 'accepted' });
    const bad = await cli(['ledger', 'list', '--state', 'sent']);
    expect(bad.code).toBe(2);
  });

  it('ledger purge: without --before keeps rows younger than the retention; --before deletes older rows', async () => {
    const kept = await cli(['ledger', 'purge']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.json.deleted).toBe(0);
    expect(Date.parse(kept.json.before)).toBeLessThan(Date.now() - 89 * 86_400_000);
    const bad = await cli(['ledger', 'purge', '--before', 'yesterday']);
    expect(bad.code).toBe(2);
    const purged = await cli(['ledger', 'purge', '--before', new Date(Date.now() + 60_000).toISOString()]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.json.deleted).toBe(3);
    expect((await cli(['ledger', 'list'])).json).toEqual([]);
  });
});
