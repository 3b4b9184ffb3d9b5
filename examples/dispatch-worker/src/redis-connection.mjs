// @ts-check
// Redis connections for BullMQ: workers need `maxRetriesPerRequest: null` (a blocking command must wait out a
// Redis restart instead of failing the worker); connection errors are logged once per outage, not per retry.
import { Redis } from 'ioredis';

/**
 * Opens an ioredis connection to `redisUrl`; `forWorker` sets `maxRetriesPerRequest: null` (BullMQ requires it
 * for workers), otherwise commands fail fast while Redis is down (a producer sees the error).
 * @param {string} redisUrl @param {{ forWorker: boolean, emit: import('./json-log.mjs').EmitEvent }} options
 * @returns {Redis}
 */
export function openRedis(redisUrl, { forWorker, emit }) {
  const redis = new Redis(redisUrl, forWorker ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3 });
  let down = false;
  redis.on('error', (err) => {
    if (down) return;
    down = true;
    emit('redis-down', { message: err.message });
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    emit('redis-up', {});
  });
  return redis;
}
