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

// Display width: code points, so that a few non-ASCII characters do not break alignment.
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}
