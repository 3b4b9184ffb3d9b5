// A database of its own for each load-test run (`loadtest_<random>` on the server of DATABASE_URL), dropped at
// the end: parallel runs, other tests and earlier runs never share rows, tenants or NOTIFY channels.
import { randomBytes } from 'node:crypto';
import { openDatabase } from '@leadmetrics/provider-sms';

/**
 * Creates `loadtest_<hex>` next to the database of `serverUrl`; resolves its URL and a `drop()` that removes it.
 * @param {string} serverUrl
 * @returns {Promise<{ name: string, url: string, drop(): Promise<void> }>}
 */
export async function createFreshDatabase(serverUrl) {
  const name = `loadtest_${randomBytes(6).toString('hex')}`;
  const admin = await openDatabase({ databaseUrl: serverUrl });
  try {
    await admin.db.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const a = await openDatabase({ databaseUrl: serverUrl });
      try {
        await a.db.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.close();
      }
    },
  };
}
