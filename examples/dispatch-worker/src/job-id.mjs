// @ts-check
// The one place a notification's BullMQ job id is made (the producer sets it; the worker's sweeps look jobs up by it).

/**
 * The BullMQ job id of a notification: `<tenant>.<notification>`, tenant-scoped (notification ids are unique per
 * tenant), URI-encoded so it has no `:` and is never a bare integer (BullMQ refuses both); the tenant part has its
 * dots encoded too, so the first `.` separates and two different pairs never share an id.
 * @param {string} tenantId @param {string} notificationId @returns {string}
 */
export function jobIdFor(tenantId, notificationId) {
  return `${encodeURIComponent(tenantId).replaceAll('.', '%2E')}.${encodeURIComponent(notificationId)}`;
}
