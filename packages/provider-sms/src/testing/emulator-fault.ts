import { MAX_TIMER_MS } from '../duration.js';

/** What every fault may carry: when it applies and how often. */
interface FaultTiming {
  /** Wait this long first (ms, 0 – 2^31 − 1). */
  delayMs?: number;
  /** Apply to this many requests in a row (a positive integer, default 1). */
  times?: number;
  /** Response headers (added to the normal response, or to the replacement). */
  headers?: Record<string, string>;
}

/**
 * A fault applied to the next `times` requests (default 1), in the order `inject()` queued them.
 *
 * - `status` / `json` / `text`: replace the response (status defaults to 500); the request is not
 *   processed, nothing is recorded in `messages`.
 * - `headers` alone: added to the normal response.
 * - `delayMs` alone: the request is processed (and recorded) at once, the response is sent after the delay.
 *   With a replacement or a reset, the delay comes first.
 * - `resetSocket: 'before-response'`: the socket is destroyed right after the request is read; the
 *   request is NOT processed (nothing recorded) — the server "died" before handling it.
 * - `resetSocket: 'mid-response'`: the request IS processed (recorded), then the status line, headers and
 *   half the body are written and the socket is destroyed — the response is lost after the send happened.
 * - `afterRecord: true` with `status` / `json` / `text`: the request IS processed (recorded) first, then the
 *   replacement is answered — e.g. `{ status: 500, afterRecord: true }`, a 5xx after the send happened.
 * - `hang: true`: the request IS processed (recorded), then no response is ever written: the client's timeout
 *   fires (or the emulator's `close()` drops the connection) — a hang past the timeout after the send happened.
 *
 * Either way the request counts in the emulator's `received` counter. Under msw, a reset maps to
 * `HttpResponse.error()`.
 */
export type EmulatorFault = FaultTiming &
  (
    | {
        status?: number;
        json?: unknown;
        text?: never;
        resetSocket?: 'mid-response';
        afterRecord?: boolean;
        hang?: never;
      }
    | {
        status?: number;
        text: string;
        json?: never;
        resetSocket?: 'mid-response';
        afterRecord?: boolean;
        hang?: never;
      }
    | {
        resetSocket: 'before-response';
        status?: never;
        json?: never;
        text?: never;
        afterRecord?: never;
        hang?: never;
      }
    | { hang: true; status?: never; json?: never; text?: never; resetSocket?: never; afterRecord?: never }
  );

const KEYS = new Set([
  'status',
  'json',
  'text',
  'headers',
  'delayMs',
  'resetSocket',
  'afterRecord',
  'hang',
  'times',
]);
const RESETS = new Set(['before-response', 'mid-response']);

/** Returns `fault` if it is one of the shapes above, else throws naming the bad key or value (`RangeError` for a number out of range, else `TypeError`). */
export function checkEmulatorFault(fault: unknown): EmulatorFault {
  if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) {
    throw new TypeError('inject(fault): fault must be an object such as { status: 503 } or { delayMs: 100 }');
  }
  const f = fault as Record<string, unknown>;
  const fail = (why: string) => new TypeError(`inject(fault): ${why}`);
  const outOfRange = (why: string) => new RangeError(`inject(fault): ${why}`);
  for (const key of Object.keys(f)) {
    if (!KEYS.has(key)) throw fail(`unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  }
  if (
    f.status !== undefined &&
    !(Number.isInteger(f.status) && (f.status as number) >= 100 && (f.status as number) <= 599)
  ) {
    throw outOfRange('status must be an integer HTTP status (100–599)');
  }
  if (f.text !== undefined && typeof f.text !== 'string') throw fail('text must be a string');
  if (f.text !== undefined && f.json !== undefined) throw fail('give json or text, not both');
  if (f.headers !== undefined) {
    const ok =
      typeof f.headers === 'object' &&
      f.headers !== null &&
      Object.values(f.headers).every((v) => typeof v === 'string');
    if (!ok) throw fail('headers must map header names to strings');
  }
  if (f.delayMs !== undefined) {
    const d = f.delayMs;
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > MAX_TIMER_MS) {
      throw outOfRange(`delayMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}`);
    }
  }
  if (f.resetSocket !== undefined && !RESETS.has(f.resetSocket as string)) {
    throw fail(
      `resetSocket must be 'before-response' or 'mid-response' (got ${JSON.stringify(f.resetSocket)})`,
    );
  }
  if (
    f.resetSocket === 'before-response' &&
    (f.status !== undefined || f.json !== undefined || f.text !== undefined)
  ) {
    throw fail("resetSocket 'before-response' sends no response: drop status/json/text");
  }
  checkAfterRecord(f, fail);
  if (f.times !== undefined && !(Number.isInteger(f.times) && (f.times as number) >= 1)) {
    throw outOfRange('times must be a positive integer');
  }
  return f as EmulatorFault;
}

/** The record-then-fail keys: `afterRecord` needs a replacement response; `hang` stands alone. */
function checkAfterRecord(f: Record<string, unknown>, fail: (why: string) => TypeError): void {
  const replaces = f.status !== undefined || f.json !== undefined || f.text !== undefined;
  if (f.afterRecord !== undefined) {
    if (typeof f.afterRecord !== 'boolean') throw fail('afterRecord must be a boolean');
    if (f.afterRecord && !replaces) {
      throw fail(
        'afterRecord needs status, json or text (without a replacement the request is processed anyway)',
      );
    }
    if (f.afterRecord && f.resetSocket === 'before-response') {
      throw fail("afterRecord cannot be combined with resetSocket 'before-response' (nothing is processed)");
    }
  }
  if (f.hang !== undefined) {
    if (f.hang !== true) throw fail('hang must be true');
    if (replaces || f.resetSocket !== undefined || f.afterRecord !== undefined) {
      throw fail('hang sends no response: drop status/json/text/resetSocket/afterRecord');
    }
  }
}
