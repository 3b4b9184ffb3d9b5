// Public API of @leadmetrics/provider-sms/testing: emulators for tests. Exports only.
// msw is never imported at load time: twilioHandlers()/msg91Handlers() load it on first call.
export type { EmulatorFault, EmulatorRequest, EmulatorResponse, ReceivedRequest } from './core.js';
export type {
  EmulatedMsg91Message,
  Msg91Emulator,
  Msg91EmulatorOptions,
  Msg91Handled,
  Msg91State,
  Msg91Template,
} from './msg91-emulator.js';
export {
  createMsg91AuthKey,
  handleMsg91Request,
  MSG91_INVALID_TEMPLATE_MESSAGE,
  MSG91_MAGIC_MOBILES,
  startMsg91Emulator,
} from './msg91-emulator.js';
export type {
  Msg91HandlersOptions,
  Msg91MswHandlers,
  TwilioHandlersOptions,
  TwilioMswHandlers,
} from './msw-handlers.js';
export { msg91Handlers, twilioHandlers } from './msw-handlers.js';
export type {
  EmulatedMessage,
  StatusCallbackDelivery,
  TwilioEmulator,
  TwilioEmulatorOptions,
  TwilioErrorBody,
  TwilioHandled,
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
