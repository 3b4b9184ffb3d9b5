// `@leadmetrics/provider-sms/webhooks`: delivery statuses on their own page — the webhook handler and its
// node adapter, the parsers, signatures and status order. Every name is also exported by the root entry
// (this entry re-exports it, so the two are the same objects and cost the same to import).
export type {
  FetchHandler,
  Msg91DeliveryReportOptions,
  NodeListenerOptions,
  SmsStatusEvent,
  StatusWebhookCacheControl,
  StatusWebhookHandler,
  StatusWebhookHandlerOptions,
  StatusWebhookLedger,
  TwilioSignatureParams,
  TwilioStatusCallbackOptions,
  TwilioWebhookAuth,
} from '../index.js';
export {
  computeTwilioSignature,
  createStatusWebhookHandler,
  isStatusAdvance,
  msg91ReportStatus,
  parseMsg91DeliveryReport,
  parseTwilioStatusCallback,
  statusRank,
  toNodeListener,
  twilioDeliveryErrorCode,
  validateTwilioSignature,
} from '../index.js';
