import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { SmsError } from '../errors.js';

/** Name of the lock file an open embedded data directory holds (pid, hostname, start time, command). */
export const DATA_DIR_LOCK_FILE = 'provider-sms.lock';

/** Who holds a data directory, as its lock file says. */
export interface DataDirLockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
  command: string;
}

/** An embedded data directory already open in a live process (PGlite is single-process): `invalid_config`. */
export class DataDirLockedError extends SmsError {
  readonly dataDir: string;
  readonly holder: DataDirLockHolder;
  constructor(dataDir: string, holder: DataDirLockHolder) {
    const lock = join(dataDir, DATA_DIR_LOCK_FILE);
    super({
      code: 'invalid_config',
      message:
        holder.pid === process.pid && holder.hostname === hostname()
          ? `The data dir ${dataDir} is already open in this process: an embedded data dir can be open once ` +
            '(close() the other handle first)'
          : `The data dir ${dataDir} is in use by process ${holder.pid} on ${holder.hostname} (${holder.command}), ` +
            `since ${holder.startedAt}: the embedded database is single-process. Stop that process or use ` +
            `DATABASE_URL (if that process is gone, delete ${lock})`,
    });
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.holder = holder;
  }
}

/** A held data-directory lock; `release()` is idempotent. */
export interface DataDirLock {
  readonly file: string;
  release(): void;
}

const held = new Set<{ file: string; token: string }>();
let exitHookInstalled = false;

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

const unlinkQuiet = (file: string): void => {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
};

const releaseFile = (file: string, token: string): void => {
  if (readText(file)?.includes(token)) unlinkQuiet(file);
};

const releaseAllOnExit = (): void => {
  for (const h of held) releaseFile(h.file, h.token);
  held.clear();
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
};

/** The lock's holder; undefined when the file does not parse (treated as stale); 'gone' when there is none. */
const readHolder = (file: string): DataDirLockHolder | undefined | 'gone' => {
  const text = readText(file);
  if (text === undefined) return 'gone';
  try {
    const v = JSON.parse(text) as Partial<DataDirLockHolder>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    const str = (x: unknown) => (typeof x === 'string' ? x : '');
    return { pid: v.pid, hostname: str(v.hostname), startedAt: str(v.startedAt), command: str(v.command) };
  } catch {
    return undefined;
  }
};

/** True when the holder may still be running: same host and its pid answers (another host cannot be checked). */
const isLive = (h: DataDirLockHolder): boolean => h.hostname !== hostname() || isAlive(h.pid);

/** This process for a lock file: `node <script> <word> <word>`; options and values (maybe secrets) are left out. */
const describeCommand = (): string => {
  const [script, ...rest] = process.argv.slice(1);
  const words = rest.slice(0, 2).filter((a) => /^[a-z][a-z0-9-]{0,40}$/i.test(a));
  return [basename(process.execPath), ...(script ? [basename(script)] : []), ...words].join(' ');
};

/** Creates `file` with `content` only if absent; atomic (a complete file is linked into place). */
const tryCreate = (file: string, content: string): boolean => {
  const tmp = `${file}.${process.pid}.${globalThis.crypto.randomUUID()}`;
  writeFileSync(tmp, content, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkQuiet(tmp);
  }
};

/** Replaces a stale lock under a short-lived takeover mutex, so two takers never both win. */
function takeOver(file: string, content: string, stale: DataDirLockHolder | undefined): boolean {
  const mutex = `${file}.takeover`;
  if (!tryCreate(mutex, String(process.pid))) {
    const pid = Number(readText(mutex));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return false;
    unlinkQuiet(mutex); // its taker died mid-takeover
    if (!tryCreate(mutex, String(process.pid))) return false;
  }
  try {
    const current = readHolder(file);
    if (current === 'gone') return tryCreate(file, content);
    if (current && (isLive(current) || current.pid !== stale?.pid)) return false;
    unlinkQuiet(file);
    return tryCreate(file, content);
  } finally {
    unlinkQuiet(mutex);
  }
}

/**
 * Creates `dataDir` (mode 0700; an existing database dir is tightened to 0700, best-effort) and takes its lock: an
 * exclusive-create lock file with this process's pid, hostname, start time and command. A lock of a dead
 * process (same host, pid gone) is taken over; a live holder, including this process, gets `DataDirLockedError`.
 * The lock is released by `release()` and on process exit.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const created = mkdirSync(dataDir, { recursive: true, mode: 0o700 }) !== undefined;
  // An existing database dir (made before dirs were created 0700) is tightened too; any other dir is left alone.
  if (created || existsSync(join(dataDir, 'PG_VERSION'))) {
    try {
      chmodSync(dataDir, 0o700);
    } catch {
      // not ours to change: best-effort
    }
  }
  const file = join(dataDir, DATA_DIR_LOCK_FILE);
  const token = `${process.pid}-${globalThis.crypto.randomUUID()}`;
  const me: DataDirLockHolder & { token: string } = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    command: describeCommand(),
    token,
  };
  const content = `${JSON.stringify(me)}\n`;
  let locked = false;
  for (let attempt = 0; attempt < 5 && !locked; attempt++) {
    locked = tryCreate(file, content);
    if (locked) break;
    const holder = readHolder(file);
    if (holder === 'gone') continue;
    if (holder && isLive(holder)) throw new DataDirLockedError(dataDir, holder);
    locked = takeOver(file, content, holder);
  }
  if (!locked) {
    throw new SmsError({
      code: 'invalid_config',
      message: `Could not take the lock ${file}: other processes are opening the data dir ${dataDir} too`,
    });
  }
  const entry = { file, token };
  held.add(entry);
  if (!exitHookInstalled) {
    process.on('exit', releaseAllOnExit);
    exitHookInstalled = true;
  }
  return {
    file,
    release() {
      if (!held.delete(entry)) return;
      releaseFile(file, token);
    },
  };
}
