import type {
  EmulatedMsg91Message,
  FireDeliveryReportOptions,
  Msg91ReportDelivery,
} from './msg91-emulator.js';

const DLR_DESCRIPTIONS: Record<string, { code: number; desc: string }> = {
  delivered: { code: 1, desc: 'DELIVERED' },
  failed: { code: 2, desc: 'FAILED' },
  undelivered: { code: 26, desc: 'UNDELIVERED' },
};

/** "YYYY-MM-DD hh:mm:ss" in Indian Standard Time, as MSG91 writes report dates. */
function istDate(d: Date): string {
  return new Date(d.getTime() + 5.5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** A DLR v2 request (one request id, a report per recipient, CRQID echoed) and the report status code it carries. */
export function msg91DeliveryReport(
  requestId: string,
  targets: readonly EmulatedMsg91Message[],
  options: Pick<FireDeliveryReportOptions, 'status' | 'code'>,
): { request: Record<string, unknown>; code: number } {
  const desc = DLR_DESCRIPTIONS[options.status];
  if (!desc) throw new RangeError(`unsupported status ${String(options.status)}`);
  const code = options.code ?? desc.code;
  if (!Number.isInteger(code) || code < 0) throw new RangeError('code must be a non-negative integer');
  const date = istDate(new Date());
  const first = targets[0];
  const request: Record<string, unknown> = {
    requestId,
    userId: 'emulator',
    campaignName: 'API',
    ...(first?.sender ? { senderId: first.sender } : {}),
    report: targets.map((m) => ({
      date,
      number: m.mobile,
      status: String(code),
      desc: desc.desc,
      failedReason: options.status === 'delivered' ? '' : desc.desc,
      CRQID: m.crqid ?? '',
      credit: '1',
    })),
  };
  return { request, code };
}

/** POSTs a delivery (form field `data`) and records the endpoint's answer, or the failure, on it. */
export async function postMsg91Report(
  delivery: Msg91ReportDelivery,
  signal: AbortSignal,
): Promise<Msg91ReportDelivery> {
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ data: JSON.stringify(delivery.data) }).toString(),
      signal,
    });
    delivery.responseStatus = res.status;
    delivery.responseBody = (await res.text()).slice(0, 4096);
  } catch (err) {
    delivery.error = (err as Error).message;
  }
  return delivery;
}
