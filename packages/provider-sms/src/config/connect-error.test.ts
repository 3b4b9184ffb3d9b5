import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isSmsError } from '../errors.js';
import { openDatabase } from './database.js';

const SECRET = 'hunter2-Pa55';

/** A loopback port nobody listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(databaseUrl: string) {
  const err = await openDatabase({ databaseUrl, connectTimeoutMs: 3_000 }).then(
    async (db) => {
      await db.close();
      throw new Error('connected');
    },
    (e: unknown) => e,
  );
  if (!isSmsError(err)) throw err;
  expect(err.message).not.toContain(SECRET);
  expect(JSON.stringify(err)).not.toContain(SECRET);
  return err;
}

describe('openDatabase names why it could not connect, never the password', () => {
  it('a refused port', async () => {
    const port = await deadPort();
    const err = await failure(`postgres://u:${SECRET}@127.0.0.1:${port}/db?sslpassword=${SECRET}`);
    expect(err.code).toBe('provider_unavailable');
    expect(err.message).toBe(
      `Could not connect to DATABASE_URL (postgres://127.0.0.1:${port}/db): connection refused at 127.0.0.1:${port} (is the server running?)`,
    );
  });

  it('a malformed URL or another scheme is invalid_config, nothing opened', async () => {
    for (const url of [`postgres://u:${SECRET}@[::1/db`, `mysql://u:${SECRET}@h/db`, 'not a url']) {
      const err = await failure(url);
      expect(err.code, url).toBe('invalid_config');
      expect(err.message).toMatch(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    }
  });

  const server = process.env.DATABASE_URL;
  it.runIf(Boolean(server))('a missing database and a missing role, as the server says', async () => {
    const base = new URL(server!);
    const noDb = new URL(base);
    noDb.pathname = '/provider_sms_no_such_db';
    noDb.password = SECRET;
    expect((await failure(noDb.href)).message).toMatch(/database "provider_sms_no_such_db" does not exist$/);
    const noRole = new URL(base);
    noRole.username = 'provider_sms_no_such_role';
    noRole.password = SECRET;
    expect((await failure(noRole.href)).message).toMatch(/role "provider_sms_no_such_role" does not exist$/);
  });
});
