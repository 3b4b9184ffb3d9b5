import { sanitizeCause } from '../errors.js';
import { BoundedLru } from '../lru.js';
import type { Logger, SmsStatus } from '../types.js';
import { isStatusAdvance, type SmsStatusEvent, statusEventKey, statusMessageKey } from './status.js';

/** Options of `createStatusMemory`. */
export interface StatusMemoryOptions {
  /** Receives each new event once; throwing (or rejecting) makes `deliver` resolve false. */
  onEvent(event: SmsStatusEvent): void | Promise<void>;
  /** Shared duplicate check, asked after the in-memory one misses (per key, in order); true → the event is dropped. */
  isDuplicate?: (key: string) => boolean | Promise<boolean>;
  /** Called for each key `isDuplicate` was asked about when `onEvent` failed. */
  forgetKey?: (key: string) => void | Promise<void>;
  /** Bound of the memory of seen keys and of last statuses. */
  capacity: number;
  logger?: Logger;
}

/** Passes events on once each and only forward (monotonic per message); every key is within the event's tenant. */
export interface StatusMemory {
  /**
   * true → `onEvent` ran, or the event was a duplicate or stale; false → `onEvent` failed (not marked seen).
   * `dedupeKey` (e.g. a Twilio idempotency token's key) is checked (in memory, then with `isDuplicate`) before the
   * event key, never instead of it: a duplicate by either is dropped.
   */
  deliver(event: SmsStatusEvent, dedupeKey?: string): Promise<boolean>;
}

/** Creates the in-memory dedupe and monotonic-status memory of the webhook handler (lost on restart). */
export function createStatusMemory(options: StatusMemoryOptions): StatusMemory {
  const seen = new BoundedLru<string, true>(options.capacity);
  const latest = new BoundedLru<string, SmsStatus>(options.capacity);
  const inFlight = new Map<string, Promise<boolean>>();
  const log = options.logger;

  // True (and logged) when `event` does not advance its message's last status: it is not passed on.
  function isStale(event: SmsStatusEvent, messageKey: string): boolean {
    const current = latest.get(messageKey);
    if (isStatusAdvance(current, event.status)) return false;
    log?.debug(
      { provider: event.provider, messageId: event.messageId, status: event.status, latest: current },
      'stale delivery status ignored',
    );
    return true;
  }

  async function run(event: SmsStatusEvent, keys: readonly string[], messageKey: string) {
    const asked: string[] = [];
    let reserved = false;
    let previous: SmsStatus | undefined;
    const markSeen = () => {
      for (const k of keys) seen.set(k, true);
    };
    try {
      if (options.isDuplicate) {
        for (const k of keys) {
          asked.push(k);
          if (await options.isDuplicate(k)) {
            markSeen();
            return true;
          }
        }
        // A higher status of this message may have been passed on while the shared store answered.
        if (isStale(event, messageKey)) return true;
      }
      // Reserve (no await since the check above): a concurrent lower status is stale from here on.
      previous = latest.get(messageKey);
      latest.set(messageKey, event.status);
      reserved = true;
      await options.onEvent(event);
      markSeen();
      return true;
    } catch (err) {
      // Roll back only our own reservation (a higher status may have replaced it meanwhile).
      if (reserved && latest.get(messageKey) === event.status) {
        if (previous === undefined) latest.delete(messageKey);
        else latest.set(messageKey, previous);
      }
      log?.error(
        {
          provider: event.provider,
          messageId: event.messageId,
          status: event.status,
          err: sanitizeCause(err),
        },
        'delivery status handler failed',
      );
      for (const k of asked) await Promise.resolve(options.forgetKey?.(k)).catch(() => undefined);
      return false;
    }
  }

  return {
    async deliver(event, dedupeKey) {
      // The event key is signed content; a dedupe key (e.g. an unsigned idempotency header) only adds to it.
      const keys = dedupeKey ? [dedupeKey, statusEventKey(event)] : [statusEventKey(event)];
      if (keys.some((k) => seen.has(k))) return true;
      const pending = keys.map((k) => inFlight.get(k)).find((p) => p !== undefined);
      if (pending) return pending;
      const messageKey = statusMessageKey(event);
      if (isStale(event, messageKey)) return true;
      const p = run(event, keys, messageKey).finally(() => {
        for (const k of keys) inFlight.delete(k);
      });
      for (const k of keys) inFlight.set(k, p);
      return p;
    },
  };
}
