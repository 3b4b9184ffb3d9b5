// Cross-process dispatch on the real PostgreSQL server (PGlite is single-process): two processes racing on one id,
// and workers killed with SIGKILL before and after their provider call. Without DATABASE_URL the suite is skipped
// with a printed reason, except under CI (CI=true), where it must run. Children use the built package (dist/).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConfigCipher } from '../config/cipher.js';
import { randomSchema } from '../config/test-databases.js';
import { migrate } from '../migrate.js';
import { TwilioProvider } from '../providers/twilio.js';
import { createSmsSender } from '../sender.js';
import {
  createTwilioTestAccount,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '../testing/index.js';
import { createSmsDispatcher } from './dispatcher.js';
import { createSmsLedger } from './ledger.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(PKG, 'dist', 'index.js');
const URL = process.env.DATABASE_URL;
if (!URL && !process.env.CI)
  console.warn('[dispatcher.processes.test] skipped: DATABASE_URL is not set; set CI=true to require it');

const KEY = randomBytes(32);
const account = createTwilioTestAccount();
const TO = '+14155550172';
const MESSAGE = { to: TO, body: 'Your code is 654321' };
const children: ChildProcess[] = [];

/** A worker process: dispatches one notification through the built package after 'go' on stdin. */
function worker(
  schema: string,
  twilioUrl: string,
  notificationId: string,
  opts: { leaseMs?: number; hangInResolve?: boolean } = {},
) {
  const script = `
    const m = await import(${JSON.stringify(DIST)});
    const { default: pg } = await import('pg');
    const db = new pg.Pool({ connectionString: ${JSON.stringify(URL)}, max: 2 });
    const cipher = m.createConfigCipher({ keys: { k1: Buffer.from(${JSON.stringify(KEY.toString('base64'))}, 'base64') }, activeKeyId: 'k1' });
    const provider = new m.TwilioProvider(
      { accountSid: ${JSON.stringify(account.accountSid)}, authToken: ${JSON.stringify(account.authToken)}, fromNumber: ${JSON.stringify(TWILIO_VALID_FROM)} },
      { apiBaseUrl: ${JSON.stringify(twilioUrl)}, timeoutMs: 20000 });
    const hang = ${opts.hangInResolve === true};
    const resolver = { resolve: async () => {
      if (hang) { process.stdout.write('resolving\\n'); await new Promise(() => {}); }
      return { provider, source: 'tenant' };
    } };
    const sender = m.createSmsSender({ resolver, retry: false, circuitBreaker: false });
    const ledger = m.createSmsLedger({ db, cipher, schema: ${JSON.stringify(schema)}, leaseMs: ${opts.leaseMs ?? 30_000} });
    const dispatcher = m.createSmsDispatcher({ sender, ledger, resolver });
    await db.query('SELECT 1');
    process.stdout.write('ready\\n');
    await new Promise((r) => process.stdin.once('data', r));
    try {
      const out = await dispatcher.dispatch({ tenantId: 'tenant-x', notificationId: ${JSON.stringify(notificationId)}, message: ${JSON.stringify(MESSAGE)} });
      process.stdout.write(JSON.stringify({ ok: true, deduplicated: out.deduplicated }) + '\\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ ok: false, code: e.code, ledgerState: e.ledgerState }) + '\\n');
    }
    await db.end();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PKG,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (d) => {
    out += String(d);
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const line = (pred: (l: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find(pred);
        if (found !== undefined) return resolve(found);
        if (child.exitCode !== null) return reject(new Error(`worker exited (${child.exitCode})`));
        waiters.push(check);
      };
      child.once('exit', () => waiters.push(check) && check());
      check();
    });
  return {
    child,
    ready: () => line((l) => l === 'ready'),
    go: () => child.stdin?.end('go\n'),
    result: async () => JSON.parse(await line((l) => l.startsWith('{'))) as Record<string, unknown>,
    resolving: () => line((l) => l === 'resolving'),
  };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

const until = async (cond: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 400 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 25));
};

describe.skipIf(!URL && !process.env.CI)('dispatch across processes (real PostgreSQL)', () => {
  let pool: pg.Pool;
  let twilio: TwilioEmulator;
  const schema = randomSchema('sms_ledger_procs');
  const cipher = createConfigCipher({ keys: { k1: KEY }, activeKeyId: 'k1' });

  beforeAll(async () => {
    if (!URL) throw new Error('CI=true: DATABASE_URL is required for the cross-process ledger tests');
    if (!existsSync(DIST) || !readFileSync(DIST, 'utf8').includes('createSmsDispatcher'))
      execFileSync('pnpm', ['exec', 'tsup'], { cwd: PKG, stdio: 'ignore' });
    const { default: pgm } = await import('pg');
    pool = new pgm.Pool({ connectionString: URL, max: 4 });
    pool.on('error', () => undefined);
    await migrate(pool, { schema });
    // Live mode: the account's messages can be listed, so a dead worker's attempt is reconciled (§11).
    twilio = await startTwilioEmulator({ mode: 'live', accounts: [account], statusCallbacks: false });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await twilio?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });
  beforeEach(() => twilio.reset());

  const parentDispatcher = () => {
    const provider = new TwilioProvider(
      { accountSid: account.accountSid, authToken: account.authToken, fromNumber: TWILIO_VALID_FROM },
      { apiBaseUrl: twilio.url, timeoutMs: 5_000 },
    );
    const resolver = { resolve: async () => ({ provider, source: 'tenant' as const }) };
    const sender = createSmsSender({ resolver, retry: false, circuitBreaker: false });
    const ledger = createSmsLedger({ db: pool, cipher, schema });
    return { ledger, dispatcher: createSmsDispatcher({ sender, ledger, resolver }) };
  };
  const nid = () => `proc-${randomBytes(6).toString('hex')}`;

  it('two processes racing on one id: exactly one provider request', async () => {
    const id = nid();
    const ws = [worker(schema, twilio.url, id), worker(schema, twilio.url, id)];
    await Promise.all(ws.map((w) => w.ready()));
    for (const w of ws) w.go();
    const outs = await Promise.all(ws.map((w) => w.result()));
    expect(twilio.requests).toHaveLength(1);
    expect(outs.filter((o) => o.ok === true && o.deduplicated === false)).toHaveLength(1);
    for (const o of outs) {
      if (o.ok !== true) expect(o).toMatchObject({ code: 'in_progress', ledgerState: 'claimed' });
    }
  }, 60_000);

  it('killed after the emulator recorded its message: after the lease, the next dispatch ends accepted with that SID, nothing new sent', async () => {
    const id = nid();
    const w = worker(schema, twilio.url, id, { leaseMs: 300 });
    await w.ready();
    twilio.inject({ delayMs: 15_000 }); // recorded at once, answered late: the worker dies before its accept
    w.go();
    await until(() => twilio.messages.length === 1);
    expect(twilio.messages).toHaveLength(1);
    await killed(w.child);
    const { dispatcher, ledger } = parentDispatcher();
    await until(async () => (await ledger.get('tenant-x', id))!.leaseExpiresAt!.getTime() < Date.now() - 100);
    const out = await dispatcher.dispatch({ tenantId: 'tenant-x', notificationId: id, message: MESSAGE });
    expect(out).toMatchObject({
      state: 'accepted',
      deduplicated: true,
      result: { messageId: twilio.messages[0]?.sid, provider: 'twilio' },
    });
    expect(await ledger.get('tenant-x', id)).toMatchObject({
      state: 'accepted',
      messageId: twilio.messages[0]?.sid,
    });
    expect(twilio.received).toBe(1);
    expect(twilio.messages).toHaveLength(1);
  }, 60_000);

  it('killed before its attempt was recorded: the next dispatch sends exactly once', async () => {
    const id = nid();
    const w = worker(schema, twilio.url, id, { leaseMs: 300, hangInResolve: true });
    await w.ready();
    w.go();
    await w.resolving(); // claimed, no attempt yet
    await killed(w.child);
    const { dispatcher, ledger } = parentDispatcher();
    const row = await ledger.get('tenant-x', id);
    expect(row).toMatchObject({ state: 'claimed', attempts: [] });
    await until(async () => (await ledger.get('tenant-x', id))!.leaseExpiresAt!.getTime() < Date.now() - 100);
    const out = await dispatcher.dispatch({ tenantId: 'tenant-x', notificationId: id, message: MESSAGE });
    expect(out).toMatchObject({ state: 'accepted', deduplicated: false });
    expect(twilio.received).toBe(1);
  }, 60_000);
});
