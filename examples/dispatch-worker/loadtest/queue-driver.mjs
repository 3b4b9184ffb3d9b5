// The run's side of the queue: enqueues through the example's producer, enqueues a share of ids again once their
// first job completed and was removed (BullMQ's job-id dedupe then no longer applies: only the ledger stands in the
// way of a second send), and tells when the queue is drained. An id whose first job has not completed by the drain
// (an MSG91 notification left unknown is asked about again and again) is not enqueued again: `reenqueuedAt` says
// which were.
import { QueueEvents } from 'bullmq';
import { createProducer, jobIdFor } from '../src/producer.mjs';

/**
 * @typedef {import('./plan.mjs').LoadNotification} LoadNotification
 */

/** Notifications enqueued per batch (one round trip each). */
const BATCH = 100;

/**
 * The job data of a notification (the example's `{ tenantId, notificationId, message }`).
 * @param {LoadNotification} n
 */
const jobData = (n) => ({
  tenantId: n.tenantId,
  notificationId: n.notificationId,
  message: { to: n.to, body: n.body },
});

/**
 * Opens the producer and the completed/failed event stream of `queueName`.
 * @param {{ redisUrl: string, queueName: string, reenqueue: LoadNotification[] }} o
 */
export async function openQueueDriver(o) {
  const producer = createProducer({ redisUrl: o.redisUrl, queueName: o.queueName });
  const events = new QueueEvents(o.queueName, { connection: { url: o.redisUrl } });
  await events.waitUntilReady();
  const pending = new Map(o.reenqueue.map((n) => [jobIdFor(n.tenantId, n.notificationId), n]));
  /** Job id → when it was enqueued again (job starts after it belong to the second job). */
  const reenqueuedAt = new Map();
  let inFlight = 0;
  let failed = 0;
  /** @type {unknown} */
  let reenqueueError;
  events.on('failed', ({ jobId }) => {
    failed++;
    pending.delete(jobId); // failed for good (rejected or out of attempts): nothing to enqueue again
  });
  events.on('completed', ({ jobId }) => {
    const n = pending.get(jobId);
    if (!n) return;
    pending.delete(jobId);
    inFlight++;
    (async () => {
      await producer.queue.remove(jobId);
      reenqueuedAt.set(jobId, Date.now());
      await producer.enqueue(jobData(n));
    })()
      .catch((e) => {
        reenqueueError = e;
      })
      .finally(() => inFlight--);
  });
  return {
    reenqueuedAt,
    /** Jobs that failed (BullMQ `failed` events: rejected, or out of attempts). */
    get failedJobs() {
      return failed;
    },
    /** Enqueues every notification, in batches. */
    async enqueueAll(/** @type {LoadNotification[]} */ notifications) {
      for (let i = 0; i < notifications.length; i += BATCH) {
        await Promise.all(notifications.slice(i, i + BATCH).map((n) => producer.enqueue(jobData(n))));
      }
    },
    /**
     * The queue's half of "drained" (the ledger's half is the caller's): no re-enqueue under way and no job waiting,
     * so every job enqueued again has been taken by a worker. Jobs still active or delayed then can change nothing
     * once every row is settled (they answer from the ledger).
     */
    async drained() {
      if (reenqueueError) throw reenqueueError;
      if (inFlight > 0) return false;
      const c = await producer.queue.getJobCounts('waiting', 'prioritized', 'paused');
      return (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0) === 0;
    },
    /** The queue's job counts by state (waiting includes prioritized), and the re-enqueues still pending. */
    async counts() {
      const c = await producer.queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'delayed',
        'completed',
        'failed',
      );
      return {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
        reenqueuePending: pending.size,
      };
    },
    /** Removes the queue's keys from Redis and closes the connections. */
    async close() {
      await events.close();
      await producer.queue.obliterate({ force: true }).catch(() => {});
      await producer.close();
    },
  };
}
