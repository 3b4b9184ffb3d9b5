/** Longest body Twilio accepts (JavaScript string length), error 21617 beyond it. */
export const MAX_BODY_LENGTH = 1600;
/** Most MSG91 template variables one message may carry. */
export const MAX_TEMPLATE_VARIABLES = 100;
/** Longest MSG91 template variable name (JavaScript string length). */
export const MAX_TEMPLATE_VARIABLE_NAME_LENGTH = 64;
/** Longest MSG91 template variable value: a body's maximum (DLT `{#var#}` slots take 30; MSG91 enforces that). */
export const MAX_TEMPLATE_VARIABLE_LENGTH = MAX_BODY_LENGTH;
/** Longest template id (MSG91 flow ids are 24 hex characters). */
export const MAX_TEMPLATE_ID_LENGTH = 64;
/** Longest `reference` (sent as MSG91's CRQID and echoed in its delivery reports). */
export const MAX_REFERENCE_LENGTH = 64;
/** `validityPeriodSec` range in seconds: Twilio's `ValidityPeriod` (integers 1–36 000, error 21624). */
export const TWILIO_VALIDITY_PERIOD = { min: 1, max: 36_000 } as const;
/** How far ahead a Twilio `SendAt` may be, in ms: 15 minutes to 35 days (error 35114). */
export const TWILIO_SEND_AT_WINDOW_MS = { min: 15 * 60_000, max: 35 * 86_400_000 } as const;
