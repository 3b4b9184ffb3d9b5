// Slots shared by every process that paces against one Redis: the GCRA rule of gcra.ts as ONE atomic Lua script,
// on the server's clock (TIME), so processes on hosts with skewed clocks still agree. Times are integer
// microseconds inside the script (Lua numbers are doubles; Redis truncates returned numbers to integers).
// Chosen over rate-limiter-flexible: its limiters count points in fixed windows (RateLimiterRedis) or queue
// in one process (RateLimiterQueue); neither hands out non-overlapping slots across processes.

import { nodeCrypto } from '../builtins.js';
import { SmsError } from '../errors.js';
import { slotCostMs } from './gcra.js';
import type { SmsPacingState, SmsPacingStore } from './pacing-store.js';
import type { SmsPacingSender } from './sender-key.js';

/** The subset of an ioredis client (`new Redis(url)`) the Redis pacing store calls. */
export interface SmsPacingRedis {
  evalsha(sha1: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Options of `createRedisPacingStore`. */
export interface RedisPacingStoreOptions {
  /** Prefix of the Redis keys (one string key per sender); default 'sms:pacing:'. */
  keyPrefix?: string;
}

/** The pacing script: ARGV[1] = 'reserve' | 'release' | 'peek'; see the branches for the other arguments. */
export const PACING_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local op = ARGV[1]
if op == 'peek' then return {tat, now} end
if op == 'release' then
  if tat == tonumber(ARGV[3]) then
    local slot = tonumber(ARGV[2])
    if slot <= now then redis.call('DEL', KEYS[1]) return {now, now} end
    redis.call('SET', KEYS[1], slot, 'PX', math.ceil((slot - now) / 1000) + 1000)
    return {slot, now}
  end
  return {tat, now}
end
local cost = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
if tat - now > maxWait then return {0, tat, now, tat} end
local newTat = tat + cost
redis.call('SET', KEYS[1], newTat, 'PX', math.ceil((newTat - now) / 1000) + 1000)
return {1, tat, now, newTat}
`;

const SCRIPT_SHA1 = (() => {
  let sha: string | undefined;
  return () => {
    sha ??= nodeCrypto().createHash('sha1').update(PACING_SCRIPT).digest('hex');
    return sha;
  };
})();

function unavailable(e: unknown): SmsError {
  const what = (e as { code?: unknown })?.code ?? (e as { name?: unknown })?.name ?? 'error';
  // The client's error is not attached: a connection error may carry the Redis URL and its password.
  return new SmsError({
    code: 'provider_unavailable',
    outcome: 'not_sent',
    retryable: true,
    message: `The pacing store (Redis) failed (${String(what).slice(0, 40)}); nothing was sent`,
  });
}

/** Runs the script by SHA1, loading it with EVAL when the server does not have it yet (NOSCRIPT). */
async function runScript(client: SmsPacingRedis, key: string, args: (string | number)[]): Promise<number[]> {
  let out: unknown;
  try {
    out = await client.evalsha(SCRIPT_SHA1(), 1, key, ...args);
  } catch (e) {
    if (!String((e as Error)?.message ?? '').includes('NOSCRIPT')) throw unavailable(e);
    try {
      out = await client.eval(PACING_SCRIPT, 1, key, ...args);
    } catch (e2) {
      throw unavailable(e2);
    }
  }
  if (!Array.isArray(out) || !out.every((v) => typeof v === 'number' || typeof v === 'string'))
    throw unavailable(new Error('bad reply'));
  return out.map(Number);
}

interface Known {
  sender: SmsPacingSender;
  segmentsPerSecond: number;
}

/** A pacing store shared across processes through Redis (one atomic script per reservation). */
export function createRedisPacingStore(
  client: SmsPacingRedis,
  options: RedisPacingStoreOptions = {},
): SmsPacingStore {
  if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
    throw new SmsError({
      code: 'invalid_config',
      message: 'createSmsSender: pacing.redis must be a Redis client with eval() and evalsha() (ioredis)',
    });
  }
  const prefix = options.keyPrefix ?? 'sms:pacing:';
  if (typeof prefix !== 'string')
    throw new SmsError({
      code: 'invalid_config',
      message: 'createSmsSender: pacing.redisKeyPrefix must be a string',
    });
  const known = new Map<string, Known>(); // senders this process paced, for snapshot()
  return {
    async reserve({ sender, segments, segmentsPerSecond, maxWaitMs, jitterToleranceMs }) {
      const key = prefix + sender.key;
      const costUs = Math.round(slotCostMs(segments, segmentsPerSecond, jitterToleranceMs) * 1000);
      const maxWaitUs = Math.floor(maxWaitMs * 1000);
      const [accepted, slotUs, nowUs, newTatUs] = await runScript(client, key, [
        'reserve',
        costUs,
        maxWaitUs,
      ]);
      if (known.size >= 1_000 && !known.has(sender.key)) known.clear();
      known.set(sender.key, { sender, segmentsPerSecond });
      const waitMs = ((slotUs as number) - (nowUs as number)) / 1000;
      if (accepted !== 1) return { accepted: false, waitMs };
      return {
        accepted: true,
        waitMs,
        slotAt: (slotUs as number) / 1000,
        endsAt: (newTatUs as number) / 1000,
        release: async () => {
          await runScript(client, key, ['release', slotUs as number, newTatUs as number]);
        },
      };
    },
    async snapshot() {
      const out: SmsPacingState[] = [];
      for (const { sender, segmentsPerSecond } of known.values()) {
        const [tatUs, nowUs] = await runScript(client, prefix + sender.key, ['peek']);
        const queueDelayMs = Math.max(0, ((tatUs as number) - (nowUs as number)) / 1000);
        out.push({ key: sender.key, kind: sender.kind, segmentsPerSecond, queueDelayMs });
      }
      return out;
    },
  };
}
