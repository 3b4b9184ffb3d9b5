// producer.mjs: the tenant-scoped job id, the job options, and the stdin CLI (needs Redis; see test-services.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { BACKOFF_TYPE } from './job-outcome.mjs';
import { DEFAULT_JOB_OPTIONS, jobIdFor } from './producer.mjs';
import { checkServices, obliterateQueue, REDIS_URL, uniqueName } from './test-services.js';

const services = await checkServices('producer.test', { postgres: false }); // Redis only
const CLI = fileURLToPath(new URL('./producer-main.mjs', import.meta.url));

describe('jobIdFor', () => {
  it('is tenant-scoped, has no ":" and is never a bare integer (BullMQ refuses both)', () => {
    expect(jobIdFor('tenant-42', 'n-1')).toBe('tenant-42.n-1');
    expect(jobIdFor('a', '123')).toBe('a.123');
    expect(jobIdFor('t:1', 'n:2')).toBe('t%3A1.n%3A2');
    expect(jobIdFor('t', 'n')).not.toBe(jobIdFor('u', 'n'));
  });

  it('never gives two (tenant, notification) pairs the same id, dots and percent signs included', () => {
    const parts = ['a', 'a.b', 'b.c', 'b', 'c', '.', '..', '%2E', 'a%2Eb', 'x:y', ''];
    const ids = new Map<string, string>();
    for (const t of parts)
      for (const n of parts) {
        const id = jobIdFor(t, n);
        expect(ids.get(id), `${t} | ${n}`).toBeUndefined();
        ids.set(id, `${t} | ${n}`);
        expect(id).not.toContain(':');
      }
  });

  it('job options: bounded attempts with the worker’s backoff strategy, finished jobs removed after a while', () => {
    expect(DEFAULT_JOB_OPTIONS).toMatchObject({ attempts: 20, backoff: { type: BACKOFF_TYPE } });
    expect(DEFAULT_JOB_OPTIONS.removeOnComplete).toMatchObject({ age: 3600 });
    expect(DEFAULT_JOB_OPTIONS.removeOnFail).toMatchObject({ age: 7 * 24 * 3600 });
  });
});

describe.skipIf(services.skip)('producer-main.mjs (JSON lines on stdin)', () => {
  it('enqueues each job once (a repeated id is one job), reports bad lines and exits 2 for them', async () => {
    services.assert();
    const queueName = uniqueName('dw-prod');
    const lines = [
      { tenantId: 't1', notificationId: 'n1', message: { to: '+14155550100', body: 'one' } },
      { tenantId: 't1', notificationId: 'n1', message: { to: '+14155550100', body: 'one' } },
      { tenantId: 't2', notificationId: 'n1', message: { to: '+14155550100', body: 'other tenant' } },
    ].map((l) => JSON.stringify(l));
    const input = [...lines, '', 'not json', '{"tenantId":1}'].join('\n');
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          [CLI],
          { env: { PATH: process.env.PATH ?? '', REDIS_URL, SMS_QUEUE: queueName }, timeout: 20_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
        child.stdin?.end(input);
      },
    );
    const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
    try {
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const events = stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events.filter((e) => e.event === 'bad-line').map((e) => e.line)).toEqual([5, 6]);
      expect(events.at(-1)).toEqual({ event: 'enqueued', count: 3, bad: 2 });
      const jobs = await queue.getJobs(['waiting']);
      expect(jobs.map((j) => j.id).sort()).toEqual(['t1.n1', 't2.n1']);
    } finally {
      await queue.close();
      await obliterateQueue(queueName);
    }
  });
});

describe.skipIf(services.skip)('producer-main.mjs with a password in REDIS_URL', () => {
  it('ioredis’s console warning (the server needs no password) is a JSON log line; the password is never printed', async () => {
    services.assert();
    const queueName = uniqueName('dw-prod');
    const withPassword = REDIS_URL.replace('redis://', 'redis://:unneeded-pass-31@');
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI],
        {
          env: { PATH: process.env.PATH ?? '', REDIS_URL: withPassword, SMS_QUEUE: queueName },
          timeout: 20_000,
        },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
      );
      child.stdin?.end(
        `${JSON.stringify({ tenantId: 't1', notificationId: 'n1', message: { to: '+1', body: 'x' } })}\n`,
      );
    });
    try {
      expect(code).toBe(0);
      expect(stderr).not.toContain('unneeded-pass-31');
      const events = stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)); // a plain-text line would throw here
      expect(events).toContainEqual(
        expect.objectContaining({
          event: 'log',
          level: 'warn',
          source: 'console',
          msg: expect.stringMatching(/password/),
        }),
      );
      expect(events.at(-1)).toEqual({ event: 'enqueued', count: 1, bad: 0 });
    } finally {
      await obliterateQueue(queueName);
    }
  });
});
