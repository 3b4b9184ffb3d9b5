// The worker's and the webhook process's environment: defaults, errors naming the variable, no secret in any
// view of the options, and the entries refusing to start (exit 2) without DATABASE_URL.
import { execFile } from 'node:child_process';
import { inspect } from 'node:util';
import { generateConfigKey } from '@leadmetrics/provider-sms';
import { describe, expect, it } from 'vitest';
import { readWebhookEnv } from './webhook-env.mjs';
import { readWorkerEnv } from './worker-env.mjs';

const KEY = generateConfigKey();
const AUTH_KEY = 'msg91-secret-auth-key-123456';
const PASSWORD = 's3cret-db-pass';
const base = {
  DATABASE_URL: `postgres://app:${PASSWORD}@db.internal:5432/sms`,
  PROVIDER_CONFIG_KEYS: `k1:${KEY}`,
  MSG91_AUTH_KEY: AUTH_KEY,
  MSG91_TEMPLATE_ID: '0123456789abcdef01234567',
};
const secrets = [KEY, AUTH_KEY, PASSWORD];

/** Runs an entry with `env` only (no inherited DATABASE_URL); resolves with its exit code and output. */
function runEntry(file: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [new URL(file, import.meta.url).pathname],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

describe('readWorkerEnv', () => {
  it('fills the documented defaults', () => {
    const o = readWorkerEnv(base);
    expect(o).toMatchObject({
      schema: 'public',
      redisUrl: 'redis://127.0.0.1:6379',
      queueName: 'sms-dispatch',
      concurrency: 8,
      poolSize: 10,
      requestTimeoutMs: 10_000,
      settleMs: 120_000,
      leaseMs: 30_000,
      unknownRecheckMs: 10_000,
      settledRecheckMs: 60_000,
      reconcileIntervalMs: 30_000,
      drainTimeoutMs: 25_000,
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
      maxStalledCount: 50,
      maxStartedAttempts: 500,
      twilioOptions: { timeoutMs: 10_000 },
    });
    expect(o.statusCallbackBaseUrl).toBeUndefined();
    expect(o.workerName).toBeUndefined();
    expect(o.pacing).toBeUndefined(); // off unless asked for
    expect(o.platformDefault.name).toBe('msg91');
  });

  it('reads every override', () => {
    const o = readWorkerEnv({
      ...base,
      PROVIDER_SMS_SCHEMA: 'sms_a',
      REDIS_URL: 'redis://10.0.0.5:6380/2',
      SMS_QUEUE: 'sms-eu',
      WORKER_CONCURRENCY: '32',
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9999/',
      STATUS_WEBHOOK_URL: 'https://hooks.example.com/sms/',
      SMS_REQUEST_TIMEOUT_MS: '2000',
      SMS_SETTLE_MS: '0',
      LEDGER_LEASE_MS: '5000',
      UNKNOWN_RECHECK_MS: '700',
      UNKNOWN_SETTLED_RECHECK_MS: '800',
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_LEASE_MS: '3000',
      DRAIN_TIMEOUT_MS: '1000',
      BULLMQ_LOCK_DURATION_MS: '4000',
      BULLMQ_STALLED_INTERVAL_MS: '1000',
      BULLMQ_MAX_STALLED_COUNT: '9',
      BULLMQ_MAX_STARTED_ATTEMPTS: '99',
      WORKER_NAME: 'worker-3-1',
      SMS_PACING: 'redis',
      SMS_PACING_KEY_PREFIX: 'eu:pacing:',
      SMS_PACING_MAX_QUEUE_DELAY_MS: '5000',
    });
    expect(o).toMatchObject({
      schema: 'sms_a',
      redisUrl: 'redis://10.0.0.5:6380/2',
      queueName: 'sms-eu',
      concurrency: 32,
      poolSize: 20,
      twilioOptions: { timeoutMs: 2000, apiBaseUrl: 'http://127.0.0.1:9999' },
      statusCallbackBaseUrl: 'https://hooks.example.com/sms/twilio',
      settleMs: 0,
      leaseMs: 5000,
      unknownRecheckMs: 700,
      settledRecheckMs: 800,
      reconcileIntervalMs: 0,
      reconcileLeaseMs: 3000,
      drainTimeoutMs: 1000,
      lockDurationMs: 4000,
      stalledIntervalMs: 1000,
      maxStalledCount: 9,
      maxStartedAttempts: 99,
      workerName: 'worker-3-1',
      pacing: { keyPrefix: 'eu:pacing:', maxQueueDelayMs: 5000 },
    });
    expect(readWorkerEnv({ ...base, DATABASE_POOL_SIZE: '5' }).poolSize).toBe(5);
    expect(readWorkerEnv({ ...base, SMS_PACING: 'redis' }).pacing).toEqual({
      keyPrefix: 'sms:pacing:',
      maxQueueDelayMs: 60_000,
    });
  });

  it('names the bad variable, never its value', () => {
    const cases: Array<[Record<string, string | undefined>, RegExp]> = [
      [{ DATABASE_URL: undefined }, /DATABASE_URL is not set.*PGlite cannot be shared between processes/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres/],
      [{ PROVIDER_CONFIG_KEYS: undefined }, /PROVIDER_CONFIG_KEYS is not set/],
      [{ PROVIDER_CONFIG_KEYS: 'k1:c2hvcnQ=' }, /PROVIDER_CONFIG_KEYS/],
      [{ MSG91_AUTH_KEY: undefined }, /MSG91_AUTH_KEY is required/],
      [{ MSG91_TEMPLATE_ID: undefined }, /MSG91_TEMPLATE_ID is required/],
      [{ MSG91_API_BASE_URL: 'not a url' }, /MSG91_API_BASE_URL/],
      [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL must be an absolute redis\/rediss URL/],
      [{ SMS_QUEUE: 'a:b' }, /SMS_QUEUE must be/],
      [{ PROVIDER_SMS_SCHEMA: 'Bad-Schema' }, /PROVIDER_SMS_SCHEMA must be/],
      [{ TWILIO_API_BASE_URL: 'ftp://x' }, /TWILIO_API_BASE_URL must be an absolute http\/https URL/],
      [{ STATUS_WEBHOOK_URL: '/relative' }, /STATUS_WEBHOOK_URL/],
      [{ WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY must be an integer from 1 to 1000/],
      [{ WORKER_CONCURRENCY: '2.5' }, /WORKER_CONCURRENCY/],
      [{ SMS_SETTLE_MS: '-1' }, /SMS_SETTLE_MS/],
      [{ LEDGER_LEASE_MS: 'soon' }, /LEDGER_LEASE_MS/],
      [{ BULLMQ_LOCK_DURATION_MS: '10' }, /BULLMQ_LOCK_DURATION_MS must be an integer from 1000/],
      [{ WORKER_NAME: 'has space' }, /WORKER_NAME must be/],
      [{ DATABASE_POOL_SIZE: '1' }, /DATABASE_POOL_SIZE must be an integer from 2 to 200/],
      [{ SMS_PACING: 'memory' }, /SMS_PACING must be "off" or "redis"/],
      [{ SMS_PACING: 'redis', SMS_PACING_MAX_QUEUE_DELAY_MS: 'x' }, /SMS_PACING_MAX_QUEUE_DELAY_MS/],
    ];
    for (const [change, message] of cases) {
      let thrown: unknown;
      try {
        readWorkerEnv({ ...base, ...change });
      } catch (e) {
        thrown = e;
      }
      expect(thrown, JSON.stringify(change)).toMatchObject({ name: 'EnvError', exitCode: 2 });
      expect(String((thrown as Error).message)).toMatch(message);
      for (const s of secrets) expect((thrown as Error).message).not.toContain(s);
    }
  });

  it('keeps secrets out of JSON and util.inspect of the options', () => {
    const o = readWorkerEnv({ ...base, REDIS_URL: 'redis://:redispass99@127.0.0.1:6379' });
    for (const view of [JSON.stringify(o), inspect(o, { depth: 5 }), String(JSON.stringify({ o }))]) {
      for (const s of [...secrets, 'redispass99']) expect(view).not.toContain(s);
      expect(view).toContain('db.internal');
    }
  });
});

describe('readWebhookEnv', () => {
  it('defaults, overrides and errors naming the variable', () => {
    expect(readWebhookEnv(base)).toMatchObject({ schema: 'public', host: '127.0.0.1', port: 8080 });
    const secret = 'msg91-hook-secret-0123456789';
    const o = readWebhookEnv({ ...base, PORT: '0', HOST: '0.0.0.0', MSG91_WEBHOOK_SECRET: secret });
    expect(o).toMatchObject({ port: 0, host: '0.0.0.0', msg91Secret: secret });
    expect(JSON.stringify(o) + inspect(o)).not.toContain(secret);
    expect(() => readWebhookEnv({ ...base, PORT: '70000' })).toThrow(
      /PORT must be an integer from 0 to 65535/,
    );
    expect(() => readWebhookEnv({ ...base, MSG91_WEBHOOK_SECRET: 'short' })).toThrow(/MSG91_WEBHOOK_SECRET/);
    expect(() => readWebhookEnv({ ...base, PUBLIC_BASE_URL: 'x' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => readWebhookEnv({ ...base, DATABASE_URL: '' })).toThrow(/DATABASE_URL is not set/);
  });
});

describe('the entries refuse to start without DATABASE_URL', () => {
  for (const file of ['./worker.mjs', './webhook-server-main.mjs']) {
    it(`${file}: exit 2, one JSON error line on stderr saying why, nothing on stdout`, async () => {
      const { code, stdout, stderr } = await runEntry(file, {
        PROVIDER_CONFIG_KEYS: `k1:${KEY}`,
        MSG91_AUTH_KEY: AUTH_KEY,
        MSG91_TEMPLATE_ID: base.MSG91_TEMPLATE_ID,
      });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      const event = JSON.parse(lines[0] as string);
      expect(event.event).toBe('error');
      expect(event.message).toMatch(/DATABASE_URL is not set.*PGlite cannot be shared between processes/);
      for (const s of secrets) expect(stderr).not.toContain(s);
    });
  }

  it('./worker.mjs names a bad variable with exit 2', async () => {
    const { code, stderr } = await runEntry('./worker.mjs', { ...base, WORKER_CONCURRENCY: 'many' });
    expect(code).toBe(2);
    expect(JSON.parse(stderr).message).toMatch(/WORKER_CONCURRENCY must be an integer/);
  });
});
