import { SmsError } from '@leadmetrics/provider-sms';
import { expect, it } from 'vitest';
import { databaseTarget, openTarget, smsErrorFields } from './context.js';

it('DATABASE_URL with a password in the query never reaches a message (migrate prints target.display)', async () => {
  const env = { DATABASE_URL: 'postgres://u@127.0.0.1:1/db?password=hunter2&sslpassword=hunter3' };
  const target = databaseTarget({}, env);
  expect(target.display).toBe('postgres://127.0.0.1:1/db');
  expect(target.databaseUrl).toBe(env.DATABASE_URL); // the connection itself still gets it
  const err = await openTarget(target).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(Error);
  expect(err!.message).toContain('postgres://127.0.0.1:1/db');
  expect(err!.message).not.toMatch(/hunter[23]/);
});

it("smsErrorFields is the error's log-safe view without name, attempts and cause (messageId kept)", () => {
  const err = new SmsError({
    code: 'invalid_recipient',
    message: 'no',
    provider: 'twilio',
    providerCode: 30005,
    messageId: 'SM0123456789abcdef0123456789abcdef',
    cause: new Error('secret-ish'),
  });
  const fields = smsErrorFields(err);
  expect(fields).toMatchObject({
    code: 'invalid_recipient',
    messageId: 'SM0123456789abcdef0123456789abcdef',
  });
  expect(Object.keys(fields)).not.toContain('cause');
  expect(Object.keys(fields)).not.toContain('attempts');
});
