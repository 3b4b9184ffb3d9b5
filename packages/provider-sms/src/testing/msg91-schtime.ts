/**
 * MSG91's `schtime` as its Flow API documents it: "Y-m-d H:i:s", "Y/m/d H:i:s" or a Unix timestamp in
 * seconds. MSG91 does not name the zone of the first two; the emulator reads them as India time (+05:30).
 */

const WALL_CLOCK_RE = /^(\d{4})([-/])(\d{2})\2(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const UNIX_SECONDS_RE = /^\d{1,11}$/;
const IST_OFFSET_MS = 330 * 60_000;

/** The message MSG91's emulator answers (as `type: "error"`) for a `schtime` in none of the documented formats. */
export const MSG91_INVALID_SCHTIME_MESSAGE =
  'Invalid schtime: use Y-m-d H:i:s, Y/m/d H:i:s or a Unix timestamp';

/** The time a `schtime` value names, or undefined when it is in none of MSG91's documented formats. */
export function parseMsg91Schtime(value: unknown): Date | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  if (UNIX_SECONDS_RE.test(text)) return new Date(Number(text) * 1000);
  const m = WALL_CLOCK_RE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[3], m[4], m[5], m[6], m[7]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const fields = [utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate()];
  fields.push(utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds());
  // Refuses what Date.UTC would roll over (2026-02-30, 24:00:00, 10:60:00).
  if (fields.join() !== [y, mo, d, h, mi, s].join()) return undefined;
  return new Date(utc.getTime() - IST_OFFSET_MS);
}
