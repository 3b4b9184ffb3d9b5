// The webhook handler's event sink with a dispatch ledger (docs/design.md §10): each verified event is applied to the
// ledger, which is then the persistent dedupe: `onEvent` sees an event that changed a row (before the write, so an
// `onEvent` failure writes nothing and the provider's retry is seen again) or that names no ledger row.
import { SmsError } from '../errors.js';
import type { SmsLedger } from '../ledger/ledger.js';
import type { Logger } from '../types.js';
import type { SmsStatusEvent } from './status.js';

/** What the webhook handler needs of a ledger. */
export type StatusWebhookLedger = Pick<SmsLedger, 'applyStatus'>;

/** Wraps `onEvent`: applies each event to the ledger (Twilio within `event.tenantId`, MSG91 by attempt id / request id) and passes on only new ones. */
export function ledgerEventSink(
  ledger: StatusWebhookLedger,
  onEvent: (event: SmsStatusEvent) => void | Promise<void>,
  logger?: Logger,
): (event: SmsStatusEvent) => Promise<void> {
  if (typeof ledger !== 'object' || ledger === null || typeof ledger.applyStatus !== 'function')
    throw new SmsError({
      code: 'invalid_config',
      message: 'createStatusWebhookHandler: ledger must be a dispatch ledger (createSmsLedger)',
    });
  return async (event) => {
    // Twilio events carry the tenant whose route and token verified them; MSG91 reports have no tenant route.
    const scope = event.provider === 'twilio' ? event.tenantId : undefined;
    const { outcome } = await ledger.applyStatus(scope, event, { beforeWrite: () => onEvent(event) });
    if (outcome === 'not_found') await onEvent(event);
    else if (outcome === 'unchanged')
      logger?.debug(
        { provider: event.provider, messageId: event.messageId, status: event.status },
        'delivery status already in the dispatch ledger',
      );
  };
}
