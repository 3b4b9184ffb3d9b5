import type { Writable } from 'node:stream';

/** One column of a text table: a header and how to read the cell from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/** Renders rows as an aligned plain-text table (header, rule, one line per row; '-' for empty cells). */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const v = c.value(r);
      return v === null || v === undefined || v === '' ? '-' : String(v);
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => width(row[i] ?? ''))));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : pad(v, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((row) => line(row)),
  ].join('\n');
}

/** Renders an object as aligned `key: value` lines (nested objects as JSON). */
export function renderFields(fields: Record<string, unknown>): string {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  const w = Math.max(0, ...entries.map(([k]) => k.length + 1));
  return entries
    .map(([k, v]) => {
      const text = v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return `${pad(`${k}:`, w)} ${text}`;
    })
    .join('\n');
}

/** Writes a value as pretty JSON followed by a newline. */
export function writeJson(out: Writable, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes text followed by a newline. */
export function writeLine(out: Writable, text = ''): void {
  out.write(`${text}\n`);
}

// C0 and C1 controls, DEL, line/paragraph separators and bidi overrides/isolates: what a terminal acts on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeCode = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Escapes control characters (`\u001b` → the six characters `\u001b`) so a string prints inert on a terminal. */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_UNSAFE, escapeCode);
}

/** One line of JSON whose strings have every terminal control character escaped (still valid JSON). */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(TERMINAL_UNSAFE, escapeCode);
}

// Display width: code points, so that a few non-ASCII characters do not break alignment.
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}
