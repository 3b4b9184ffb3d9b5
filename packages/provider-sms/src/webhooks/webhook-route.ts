import { checkCallbackUrl } from '../callback-url.js';
import { isTenantId } from '../tenant-id.js';

/** Which webhook a request is for, from the end of its path (the handler can be mounted under any prefix). */
export interface Route {
  kind: 'twilio' | 'msg91';
  /** Tenant id (Twilio), decoded; undefined when the segment cannot be a tenant id (400). */
  tenantId?: string;
  /** The route part of the path as received (e.g. '/twilio/tenant%201'), for `publicBaseUrl`. */
  tail: string;
}

function decodeTenantId(segment: string): string | undefined {
  try {
    const id = decodeURIComponent(segment);
    return isTenantId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Routes on the path only: `…/twilio/:tenantId`, `…/msg91/:secret`, `…/msg91`; undefined for anything else. */
export function route(url: URL): Route | undefined {
  const segments = url.pathname.split('/');
  const n = segments.length;
  if (segments[n - 1] === '') segments.pop(); // trailing slash
  const last = segments[segments.length - 1];
  const before = segments[segments.length - 2];
  if (before === 'twilio' && last) {
    const tenantId = decodeTenantId(last);
    return { kind: 'twilio', ...(tenantId ? { tenantId } : {}), tail: `/twilio/${last}` };
  }
  if (before === 'msg91' && last) return { kind: 'msg91', tail: `/msg91/${last}` };
  if (last === 'msg91') return { kind: 'msg91', tail: '/msg91' };
  return undefined;
}

/** The handler's `publicBaseUrl` normalized (as the resolver sends its base URL), or `invalid_config` naming it. */
export function checkPublicBaseUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const option = { option: 'publicBaseUrl', owner: 'createStatusWebhookHandler', base: true };
  return checkCallbackUrl(value, option).replace(/\/+$/, '');
}
