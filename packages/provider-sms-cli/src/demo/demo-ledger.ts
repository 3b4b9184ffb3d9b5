// The demo's ledger steps: the batch through the dispatcher, a deduplicated re-send, a delivered status arriving.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ConfigCipher,
  createStatusWebhookHandler,
  isSmsError,
  type SmsConfigStore,
  type SmsDispatcher,
  type SmsLedger,
  type SmsLedgerState,
  type SmsMessage,
  type SmsProviderName,
  type SmsStatusEvent,
  toNodeListener,
} from '@leadmetrics/provider-sms';
import type { TwilioEmulator } from '@leadmetrics/provider-sms/testing';

/** One notification of the demo batch. */
export interface DemoItem {
  label: string;
  tenant: string;
  message: SmsMessage;
}

/** One send of the demo batch, as printed. */
export interface DemoDispatchRow {
  label: string;
  tenant: string;
  /** The notification id the dispatcher was given. */
  notificationId: string;
  /** The ledger state the dispatch left; null when refused before anything was claimed (bad input: no row). */
  state: SmsLedgerState | null;
  provider: SmsProviderName | null;
  source: 'tenant' | 'platform-default' | null;
  reason: string | null;
  to: string;
  /** The provider's status on success, else null. */
  status: string | null;
  /** The `SmsError` code on failure, else null. */
  errorCode: string | null;
  providerCode: string | number | null;
  messageId: string | null;
  segments: number | null;
  encoding: string | null;
}

/** The re-send of an accepted notification: the stored result, no provider request. */
export interface DemoResend {
  notificationId: string;
  deduplicated: boolean;
  messageId: string;
  /** Message-create requests the Twilio emulator received during the re-send (0). */
  providerRequests: number;
}

/** An outcome left unknown (the provider recorded the message, the connection broke) and then reconciled. */
export interface DemoReconciled {
  notificationId: string;
  /** The ledger state the failed dispatch left ('unknown': it may have been sent). */
  stateAfterFailure: string | null;
  /** The row's state once settled ('accepted': found at Twilio). */
  reconciledState: string | null;
  /** What settled it: the sweep's lookup at Twilio, or Twilio's status callback when it reached the ledger first. */
  settledBy: 'reconciliation sweep' | 'status callback' | null;
  messageId: string | null;
  /** The dispatch after the sweep: the stored result, deduplicated. */
  deduplicated: boolean;
  /** Message-create requests the emulator received after the failure (0: nothing sent twice). */
  providerRequests: number;
}

/** The status callbacks of one Twilio message, as the webhook server received them. */
export interface DemoDelivery {
  notificationId: string;
  messageId: string;
  /** Statuses received for the message, in order (e.g. sent, delivered). */
  statuses: string[];
  /** The ledger row's latest status afterwards. */
  ledgerStatus: string | null;
}

/** A local status-webhook server (createStatusWebhookHandler over the config store). */
export interface DemoWebhookServer {
  /** The resolver's `statusCallbackBaseUrl`. */
  twilioBaseUrl: string;
  events: SmsStatusEvent[];
  close(): Promise<void>;
}

/** Starts the status-webhook handler on 127.0.0.1 (a free port); verified events go to the ledger and are collected. */
export async function startDemoWebhooks(
  store: SmsConfigStore,
  cipher: ConfigCipher,
  ledger: SmsLedger,
): Promise<DemoWebhookServer> {
  const events: SmsStatusEvent[] = [];
  // With the ledger, each verified status is written to its notification's row (and replays are dropped).
  const handler = createStatusWebhookHandler({ store, cipher, ledger, onEvent: (e) => void events.push(e) });
  const server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    twilioBaseUrl: `http://127.0.0.1:${port}/hooks/sms/twilio`,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Dispatches the batch (ids `demo-1`…), one row per notification with the state it left in the ledger. */
export async function dispatchBatch(
  dispatcher: SmsDispatcher,
  resolve: (
    tenantId: string,
  ) => Promise<{ provider: { name: SmsProviderName }; source: DemoDispatchRow['source']; reason?: string }>,
  items: readonly DemoItem[],
): Promise<DemoDispatchRow[]> {
  const rows: DemoDispatchRow[] = [];
  for (const [i, item] of items.entries()) {
    const resolution = await resolve(item.tenant);
    const base = {
      label: item.label,
      tenant: item.tenant,
      notificationId: `demo-${i + 1}`,
      provider: resolution.provider.name,
      source: resolution.source,
      reason: resolution.reason ?? null,
      to: item.message.to,
    };
    try {
      const sent = await dispatcher.dispatch({
        tenantId: item.tenant,
        notificationId: base.notificationId,
        message: item.message,
      });
      const r = sent.result;
      rows.push({
        ...base,
        state: sent.state,
        provider: r.provider,
        status: r.status,
        errorCode: null,
        providerCode: null,
        messageId: r.messageId,
        segments: r.segments,
        encoding: r.encoding,
      });
    } catch (err) {
      if (!isSmsError(err)) throw err;
      rows.push({
        ...base,
        state: err.ledgerState ?? null,
        status: null,
        errorCode: err.code,
        providerCode: err.providerCode ?? null,
        messageId: err.messageId ?? null,
        segments: null,
        encoding: null,
      });
    }
  }
  return rows;
}

/** Dispatches an accepted notification again: the stored result comes back and the emulator receives nothing. */
export async function resendOnce(
  dispatcher: SmsDispatcher,
  twilio: TwilioEmulator,
  row: DemoDispatchRow,
  item: DemoItem,
): Promise<DemoResend> {
  const before = twilio.received;
  const again = await dispatcher.dispatch({
    tenantId: row.tenant,
    notificationId: row.notificationId,
    message: item.message,
  });
  return {
    notificationId: row.notificationId,
    deduplicated: again.deduplicated,
    messageId: again.result.messageId,
    providerRequests: twilio.received - before,
  };
}

/** Waits for the emulator's status callbacks of `row`'s message and reports what arrived (and the ledger's status). */
export async function awaitDelivery(
  twilio: TwilioEmulator,
  webhooks: DemoWebhookServer,
  ledger: SmsLedger,
  row: DemoDispatchRow,
): Promise<DemoDelivery> {
  await twilio.settled();
  const entry = await ledger.get(row.tenant, row.notificationId);
  return {
    notificationId: row.notificationId,
    messageId: row.messageId ?? '',
    statuses: webhooks.events.filter((e) => e.messageId === row.messageId).map((e) => e.status),
    ledgerStatus: entry?.status ?? null,
  };
}

/**
 * Leaves one notification `unknown` (the emulator records the message, then resets the connection mid-response),
 * sweeps, and dispatches it again: the reconciler finds the message at Twilio, nothing is sent twice.
 */
export async function reconcileUnknown(
  dispatcher: SmsDispatcher,
  ledger: SmsLedger,
  twilio: TwilioEmulator,
  tenantId: string,
  message: SmsMessage,
): Promise<DemoReconciled> {
  const notificationId = 'demo-unknown';
  twilio.inject({ resetSocket: 'mid-response' });
  let stateAfterFailure: string | null = null;
  try {
    await dispatcher.dispatch({ tenantId, notificationId, message });
  } catch (err) {
    if (!isSmsError(err)) throw err;
    stateAfterFailure = err.ledgerState ?? null;
  }
  const before = twilio.received;
  const outcome = (await dispatcher.reconcile()).find((o) => o.notificationId === notificationId);
  // The emulator's status callbacks are evidence too: when one reached the ledger before the sweep, the row is
  // already settled and the sweep has nothing to take (a race, said as it happened).
  const row = outcome ? undefined : await ledger.get(tenantId, notificationId);
  const settled = row && row.state !== 'unknown' ? row : undefined;
  const again = await dispatcher.dispatch({ tenantId, notificationId, message });
  return {
    notificationId,
    stateAfterFailure,
    reconciledState: outcome?.state ?? settled?.state ?? null,
    settledBy: outcome ? 'reconciliation sweep' : settled ? 'status callback' : null,
    messageId: outcome?.messageId ?? settled?.messageId ?? null,
    deduplicated: again.deduplicated,
    providerRequests: twilio.received - before,
  };
}
