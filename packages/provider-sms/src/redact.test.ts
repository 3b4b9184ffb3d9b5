import { expect, it } from 'vitest';
import { redactUrl } from './redact.js';

it('redactUrl prints protocol//host:port/db only: no user, password or query string', () => {
  expect(redactUrl('postgres://u@h/db?password=hunter2')).toBe('postgres://h/db');
  expect(
    redactUrl('postgres://u:hunter2@h:5433/db?sslmode=require&sslpassword=hunter2&sslkey=/k/hunter2'),
  ).toBe('postgres://h:5433/db');
  expect(redactUrl('postgresql://[::1]:5432/app#password=hunter2')).toBe('postgresql://[::1]:5432/app');
  // Not a URL (e.g. key/value): still no secret.
  expect(redactUrl('host=h user=u password=hunter2 dbname=d')).not.toContain('hunter2');
  expect(redactUrl('::not a url?password=hunter2')).not.toContain('hunter2');
});
