// Per-sender pacing for createSmsSender({ pacing }) (design §12): picks the sender and its rate, bounds the wait by
// the message's validity, the sender's maxQueueDelayMs and the send's deadline, reserves a slot in the store,
// and waits for it (the sender's sleep honours the abort signal and the deadline).

import { checkDurationMs } from '../duration.js';
import { SmsError } from '../errors.js';
import { countSegments } from '../message.js';
import type { SmsMessage, SmsProvider } from '../types.js';
import { createMemoryPacingStore } from './memory-pacing-store.js';
import type { SmsPacingState, SmsPacingStore } from './pacing-store.js';
import { createRedisPacingStore, type SmsPacingRedis } from './redis-pacing-store.js';
import { pacingSenderOf, type SmsPacingSender, type SmsSenderKind } from './sender-key.js';

/** Default segments per second by sender kind (Twilio's figures where it publishes one; conservative elsewhere). */
export const DEFAULT_PACING_RATES: Readonly<Record<SmsSenderKind, number>> = Object.freeze({
  us_ca_long_code: 1,
  toll_free: 3,
  short_code: 100,
  messaging_service: 1,
  alphanumeric: 10,
  international_long_code: 10,
  msg91: 50,
});

/** Default longest wait for a slot before a message is refused (`sender_queue_full`). */
export const DEFAULT_MAX_QUEUE_DELAY_MS = 60_000;

/** Default delivery jitter the slots absorb: 25 ms per second, i.e. pacing runs at 1000/1025 ≈ 97.6 % of the rate. */
export const DEFAULT_JITTER_TOLERANCE_MS = 25;

/** Options of `createSmsSender({ pacing })`; pacing is off unless given. */
export interface SmsPacingOptions {
  /** Segments per second by sender kind, over `DEFAULT_PACING_RATES`. */
  rates?: Partial<Record<SmsSenderKind, number>>;
  /** Per-tenant rate (segments per second) for the sender a send uses, or undefined for the kind's rate. */
  overrides?: (tenantId: string, sender: SmsPacingSender) => number | undefined;
  /** Longest wait for a slot (0 to 2^31 − 1 ms); a message whose slot is later is refused; default 60 000. */
  maxQueueDelayMs?: number;
  /**
   * Delivery jitter (0 to 1000 ms) the slots absorb: a message reaching the provider this much later than its
   * slot, next to one on time, still keeps every 1 s window within the rate (slots are (1000 + it) / 1000 wider);
   * default 25 (pacing at ≈ 97.6 % of the rate). 0 paces at exactly the rate.
   */
  jitterToleranceMs?: number;
  /** Share slots across processes through this Redis client (ioredis); default: in memory, per process. */
  redis?: SmsPacingRedis;
  /** Prefix of the Redis keys; default 'sms:pacing:'. */
  redisKeyPrefix?: string;
}

/** The pacing state the sender exposes as `sender.pacing`. */
export interface SmsSenderPacing {
  /** Each paced sender's current queue delay (ms) and rate (Redis: the senders this process used). */
  snapshot(): Promise<SmsPacingState[]>;
}

/** What the sender hands `pace()`: the send's bounds, its sleep and its event hooks. */
export interface PaceContext {
  tenantId: string;
  message: SmsMessage;
  /** When the send started and when its deadline passes (ms, the sender's clock). */
  startedAt: number;
  deadlineAt?: number;
  /** Sleeps on the sender's clock; rejects with the send's stop error on abort or deadline. */
  sleep(ms: number): Promise<void>;
  onPacing(event: {
    pacing: 'wait' | 'refused';
    sender: SmsPacingSender;
    segments: number;
    delayMs: number;
    retryAfterMs?: number;
  }): void;
}

/** A slot the message waited for: give it back when the message was certainly not sent. */
export interface PacedSlot {
  release(): Promise<void>;
}

/** Per-sender pacing bound to one sender's options and clock. */
export interface SendPacing extends SmsSenderPacing {
  /** Reserves and waits for the provider's slot; throws `sender_queue_full` when it is too late; undefined if not paced. */
  pace(provider: SmsProvider, ctx: PaceContext): Promise<PacedSlot | undefined>;
}

const refusals = new WeakSet<SmsError>();

/** True for the `sender_queue_full` error of a message pacing refused (the provider was not called). */
export function isPacingRefusal(err: unknown): boolean {
  return err instanceof SmsError && refusals.has(err);
}

function invalid(option: string, why: string): SmsError {
  return new SmsError({ code: 'invalid_config', message: `createSmsSender: pacing.${option} ${why}` });
}

function checkRate(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1_000_000)
    throw invalid(option, 'must be a number of segments per second > 0 and ≤ 1 000 000');
  return value;
}

function resolveRates(rates: SmsPacingOptions['rates']): Record<SmsSenderKind, number> {
  if (rates !== undefined && (typeof rates !== 'object' || rates === null))
    throw invalid('rates', 'must be an object');
  const out = { ...DEFAULT_PACING_RATES };
  for (const [kind, rate] of Object.entries(rates ?? {})) {
    if (!Object.hasOwn(DEFAULT_PACING_RATES, kind))
      throw invalid(
        `rates.${kind}`,
        `is not a sender kind (${Object.keys(DEFAULT_PACING_RATES).join(', ')})`,
      );
    if (rate !== undefined) out[kind as SmsSenderKind] = checkRate(rate, `rates.${kind}`);
  }
  return out;
}

/** Checks `pacing` options (invalid_config naming the option) and binds them to the sender's clock. */
export function createSendPacing(options: SmsPacingOptions, now: () => number): SendPacing {
  if (!options || typeof options !== 'object')
    throw new SmsError({ code: 'invalid_config', message: 'createSmsSender: pacing must be an object' });
  const rates = resolveRates(options.rates);
  const { overrides } = options;
  if (overrides !== undefined && typeof overrides !== 'function')
    throw invalid('overrides', 'must be a function');
  const maxQueueDelayMs = checkDurationMs(options.maxQueueDelayMs ?? DEFAULT_MAX_QUEUE_DELAY_MS, {
    option: 'pacing.maxQueueDelayMs',
    owner: 'createSmsSender',
  });
  const jitterToleranceMs = checkDurationMs(options.jitterToleranceMs ?? DEFAULT_JITTER_TOLERANCE_MS, {
    option: 'pacing.jitterToleranceMs',
    owner: 'createSmsSender',
  });
  if (jitterToleranceMs > 1000) throw invalid('jitterToleranceMs', 'must be ≤ 1000 ms');
  const store: SmsPacingStore =
    options.redis !== undefined
      ? createRedisPacingStore(options.redis, {
          ...(options.redisKeyPrefix !== undefined ? { keyPrefix: options.redisKeyPrefix } : {}),
        })
      : createMemoryPacingStore(now);

  const rateOf = (tenantId: string, sender: SmsPacingSender): number => {
    let custom: unknown;
    try {
      custom = overrides?.(tenantId, sender);
    } catch {
      throw invalid('overrides', `threw for tenant ${JSON.stringify(tenantId)}; nothing was sent`);
    }
    return custom === undefined ? rates[sender.kind] : checkRate(custom, 'overrides() result');
  };

  /** The longest acceptable wait and what sets it: the validity, the deadline or maxQueueDelayMs. */
  const waitBound = (ctx: PaceContext): { maxWaitMs: number; why: string } => {
    const t = now();
    let bound = { maxWaitMs: maxQueueDelayMs, why: `the sender's maxQueueDelayMs (${maxQueueDelayMs} ms)` };
    const v = ctx.message.validityPeriodSec;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
      const left = ctx.startedAt + v * 1000 - t;
      // Negative once the validity has passed (e.g. during retries): even a free slot is refused then.
      if (left < bound.maxWaitMs) bound = { maxWaitMs: left, why: `the message's validity (${v} s)` };
    }
    if (ctx.deadlineAt !== undefined && ctx.deadlineAt - t < bound.maxWaitMs)
      bound = { maxWaitMs: Math.max(0, ctx.deadlineAt - t), why: 'the send deadline' };
    return bound;
  };

  return {
    snapshot: () => store.snapshot(),
    async pace(provider, ctx) {
      const sender = pacingSenderOf(provider);
      // A scheduled message leaves the provider at `sendAt`, not now: it takes no slot of the current queue.
      if (!sender || ctx.message.sendAt !== undefined) return undefined;
      const segmentsPerSecond = rateOf(ctx.tenantId, sender);
      const segments = await countSegments(ctx.message.body).then(
        (s) => s.segments,
        () => 1, // the provider's own checks report a bad body
      );
      const { maxWaitMs, why } = waitBound(ctx);
      const r = await store.reserve({ sender, segments, segmentsPerSecond, maxWaitMs, jitterToleranceMs });
      if (!r.accepted) {
        const retryAfterMs = Math.max(1, Math.ceil(r.waitMs - maxWaitMs));
        ctx.onPacing({ pacing: 'refused', sender, segments, delayMs: Math.ceil(r.waitMs), retryAfterMs });
        const err = new SmsError({
          code: 'sender_queue_full',
          outcome: 'not_sent',
          retryable: true,
          provider: provider.name,
          retryAfterMs,
          message: `Pacing refused the message: the next slot of ${sender.key} (${segmentsPerSecond} segments/s) is ${Math.ceil(r.waitMs)} ms away, past ${why}; nothing was sent`,
        });
        refusals.add(err);
        throw err;
      }
      if (r.waitMs > 0) {
        ctx.onPacing({ pacing: 'wait', sender, segments, delayMs: Math.ceil(r.waitMs) });
        try {
          await ctx.sleep(Math.ceil(r.waitMs));
        } catch (e) {
          await r.release().catch(() => {});
          throw e;
        }
      }
      return { release: () => r.release().catch(() => {}) };
    },
  };
}
