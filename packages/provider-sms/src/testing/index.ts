// Public API of @leadmetrics/provider-sms/testing: emulators for tests. Exports only.
// msw is never imported at load time: twilioHandlers()/msg91Handlers() load it on first call.
export type { EmulatorFault, EmulatorRequest, EmulatorResponse, ReceivedRequest } from './core.js';
export { EMULATOR_MAX_BODY_BYTES, TWILIO_SDK_ENV_VARS } from './core.js';
export type { SmsInbox, SmsInboxMessage, SmsInboxOptions } from './inbox/inbox.js';
export { startSmsInbox } from './inbox/inbox.js';
export type {
  EmulatedMsg91Message,
  FireDeliveryReportOptions,
  Msg91Emulator,
  Msg91EmulatorEvent,
  Msg91EmulatorOptions,
  Msg91Handled,
  Msg91ReportDelivery,
  Msg91ReportedStatus,
  Msg91State,
  Msg91Template,
  RejectedMsg91Request,
} from './msg91-emulator.js';
export {
  createMsg91AuthKey,
  handleMsg91Request,
  MSG91_INVALID_TEMPLATE_MESSAGE,
  MSG91_MAGIC_MOBILES,
  startMsg91Emulator,
} from './msg91-emulator.js';
export { MSG91_INVALID_SCHTIME_MESSAGE } from './msg91-schtime.js';
export type {
  Msg91HandlersOptions,
  Msg91MswHandlers,
  TwilioHandlersOptions,
  TwilioMswHandlers,
} from './msw-handlers.js';
export { msg91Handlers, twilioHandlers } from './msw-handlers.js';
export type {
  EmulatedMessage,
  FireStatusCallbackOptions,
  RejectedTwilioMessage,
  StatusCallbackDelivery,
  TwilioCallbackStatus,
  TwilioEmulator,
  TwilioEmulatorEvent,
  TwilioEmulatorMode,
  TwilioEmulatorOptions,
  TwilioErrorBody,
  TwilioHandled,
  TwilioRequestOptions,
  TwilioTestAccount,
} from './twilio-emulator.js';
export {
  createTwilioTestAccount,
  handleTwilioRequest,
  startTwilioEmulator,
  TWILIO_MAGIC_FROM,
  TWILIO_MAGIC_TO,
  TWILIO_VALID_FROM,
} from './twilio-emulator.js';
export { TWILIO_SEND_AT_WINDOW_MS, TWILIO_VALIDITY_PERIOD } from './twilio-emulator-validate.js';
