// Pure: the notifications of a run (spread round-robin over the tenants, one recipient and one body each, so the
// emulators' records map back to exactly one notification) and which of them are enqueued a second time.

/**
 * @typedef {import('./verify.mjs').PlannedNotification & { to: string }} LoadNotification
 */

/**
 * `count` notifications over `tenants`; ids carry `runId` so no two runs share one. Twilio tenants get US numbers,
 * MSG91 tenants Indian ones (the platform default sends to India).
 * @param {{ runId: string, count: number, tenants: import('./seed-tenants.mjs').SeededTenant[] }} o
 * @returns {LoadNotification[]}
 */
export function planNotifications({ runId, count, tenants }) {
  return Array.from({ length: count }, (_, i) => {
    const tenant = /** @type {import('./seed-tenants.mjs').SeededTenant} */ (tenants[i % tenants.length]);
    const notificationId = `${runId}-n${String(i).padStart(6, '0')}`;
    const exchange = 200 + (Math.floor(i / 10_000) % 800);
    const line = String(i % 10_000).padStart(4, '0');
    const to =
      tenant.provider === 'twilio' ? `+1415${exchange}${line}` : `+9198${String(i).padStart(8, '0')}`;
    const code = String((i * 7919) % 1_000_000).padStart(6, '0');
    return {
      tenantId: tenant.tenantId,
      notificationId,
      to,
      body: `Load test ${notificationId}: your code is ${code}`,
    };
  });
}

/**
 * Every `1 / share`-th notification (rounded, evenly spread): the ids enqueued again once their first job is gone.
 * @param {LoadNotification[]} notifications
 * @param {number} share 0–1
 * @returns {LoadNotification[]}
 */
export function pickReenqueued(notifications, share) {
  if (share <= 0) return [];
  const want = Math.round(notifications.length * share);
  const step = notifications.length / Math.max(1, want);
  return Array.from(
    { length: want },
    (_, k) => /** @type {LoadNotification} */ (notifications[Math.floor(k * step)]),
  );
}
