// Public API of @leadmetrics/provider-sms: exports only, nothing else.
export type { SmsAttempt, SmsErrorCode, SmsErrorOptions, SmsOutcome, SanitizedCause } from './errors.js';
export { isSmsError, SMS_ERROR_CODES, SmsError } from './errors.js';
export type { CheckedMessage, SegmentInfo } from './message.js';
export { checkMessage, countSegments, MAX_BODY_LENGTH, normalizeRecipient } from './message.js';
export type { Msg91Config, TwilioConfig } from './config/schemas.js';
export type {
  Logger,
  ProviderOptions,
  SmsCallOptions,
  SmsEncoding,
  SmsMessage,
  SmsProvider,
  SmsProviderName,
  SmsSendResult,
  SmsStatus,
} from './types.js';
