// A private tenant-id check of the webhook routes (issue 13, item 12). Another change adds the shared
// `assertTenantId` (src/tenant-id.ts) used at every entry point; at merge this should call that one.

/** Longest tenant id a webhook route accepts (the config store's limit). */
export const MAX_WEBHOOK_TENANT_ID = 256;

// C0 controls, DEL and C1 controls; a lone surrogate is checked with isWellFormed().
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** True when a decoded route segment can be a tenant id: non-empty, ≤ 256 chars, no control characters, no lone surrogates. */
export function isWebhookTenantId(id: string): boolean {
  return (
    id.length > 0 &&
    id.length <= MAX_WEBHOOK_TENANT_ID &&
    !CONTROL_RE.test(id) &&
    (id as string & { isWellFormed(): boolean }).isWellFormed()
  );
}
