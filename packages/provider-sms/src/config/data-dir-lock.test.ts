// The embedded data dir is single-process: a lock file refuses a second open while the holder lives.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSmsError } from '../errors.js';
import { DATA_DIR_LOCK_FILE, DataDirLockedError } from './data-dir-lock.js';
import { openDatabase } from './database.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(PKG, 'dist', 'index.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'provider-sms-lock-'));
  dirs.push(d);
  return join(d, 'db');
};

/** A child process that opens `dataDir` with the built package and holds it until killed (or exits at once). */
function holdInChild(dataDir: string, then = 'setInterval(() => {}, 1000)'): Promise<ChildProcess> {
  const script = `import(${JSON.stringify(DIST)}).then(async (m) => {
    await m.openDatabase({ dataDir: ${JSON.stringify(dataDir)} });
    process.stdout.write('ready\\n');
    ${then};
  }, (e) => { console.error(e); process.exit(3); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) resolve(child);
    });
    const exitsAtOnce = then.startsWith('process.exit');
    child.on('exit', (code) =>
      exitsAtOnce ? resolve(child) : reject(new Error(`holder exited with ${code}`)),
    );
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

beforeAll(() => {
  if (!existsSync(DIST)) execFileSync('pnpm', ['exec', 'tsup'], { cwd: PKG, stdio: 'ignore' });
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('embedded data dir lock', () => {
  it('refuses a data dir held by another live process, naming it; takes over once it was killed -9', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir);
    const err = await openDatabase({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect(isSmsError(err) && err.code).toBe('invalid_config');
    expect((err as Error).message).toContain(dataDir);
    expect((err as Error).message).toContain(`process ${child.pid} `);
    expect((err as DataDirLockedError).holder.pid).toBe(child.pid);
    expect((err as DataDirLockedError).holder.command).toMatch(/^node/);

    child.kill('SIGKILL');
    await exited(child);
    // The dead holder's lock is still there: it is stale and taken over.
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(true);
    const opened = await openDatabase({ dataDir });
    try {
      expect(JSON.parse(readFileSync(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      expect((await opened.db.query('SELECT 1 AS x')).rows[0].x).toBe(1);
    } finally {
      await opened.close();
    }
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false); // released on close()
  }, 60_000);

  it('refuses a second open in the same process until the first is closed', async () => {
    const dataDir = tempDir();
    const first = await openDatabase({ dataDir });
    try {
      const err = await openDatabase({ dataDir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect((err as Error).message).toMatch(/already open in this process/);
    } finally {
      await first.close();
    }
    const again = await openDatabase({ dataDir });
    await again.close();
  }, 60_000);

  it('releases the lock when the holding process exits without close()', async () => {
    const dataDir = tempDir();
    const child = await holdInChild(dataDir, 'process.exit(0)');
    await exited(child);
    expect(child.exitCode).toBe(0);
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  }, 60_000);

  it('creates the data dir 0700 and the lock file 0600', async () => {
    const dataDir = tempDir();
    const opened = await openDatabase({ dataDir });
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, DATA_DIR_LOCK_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      await opened.close();
    }
  }, 60_000);
});
