// CPU time of processes by pid, read from /proc (Linux): what the run's processes and its PostgreSQL backends spent,
// to tell whether a throughput figure is bound by the provider latency or by the machine's cores.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU milliseconds `pid` has used so far, or 0 when it cannot be read (gone, or not Linux).
 * @param {number | undefined} pid
 */
export function processCpuMs(pid) {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU milliseconds per pid now, to subtract from a later reading (`cpuSince`).
 * @param {(number | undefined)[]} pids
 * @returns {Map<number, number>}
 */
export function cpuSnapshot(pids) {
  return new Map(pids.flatMap((pid) => (pid === undefined ? [] : [[pid, processCpuMs(pid)]])));
}

/**
 * CPU milliseconds `pids` used since `before` (a pid absent from it counts from its start).
 * @param {Map<number, number>} before
 * @param {(number | undefined)[]} pids
 */
export function cpuSince(before, pids) {
  let sum = 0;
  for (const pid of pids) if (pid !== undefined) sum += processCpuMs(pid) - (before.get(pid) ?? 0);
  return sum;
}
