// Test-only: the vendored Twilio Message schema (test/fixtures), compiled with Ajv and real checks of its formats.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

/** The Message resource schema from Twilio's OpenAPI description (test/fixtures/twilio-message.schema.json). */
export const twilioMessageSchema = JSON.parse(
  readFileSync(new URL('../../test/fixtures/twilio-message.schema.json', import.meta.url), 'utf8'),
) as { properties: Record<string, unknown> };

// Real checks for the schema's custom formats (Ajv would otherwise ignore them, with a warning).
const ajv = new Ajv({ strict: false })
  .addFormat('phone-number', /^\+[1-9]\d{1,14}$/)
  .addFormat(
    'date-time-rfc-2822',
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/,
  )
  .addFormat('currency', /^[A-Z]{3}$/)
  .addFormat('uri-map', true);

/** Validates a body against the Message schema (`validateTwilioMessage.errors` after a failure). */
export const validateTwilioMessage = ajv.compile(twilioMessageSchema);
