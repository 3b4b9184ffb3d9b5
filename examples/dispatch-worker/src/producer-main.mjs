#!/usr/bin/env node
// @ts-check
// `node src/producer-main.mjs < jobs.jsonl`: one `{ tenantId, notificationId, message }` per line on stdin → one job
// each (REDIS_URL, SMS_QUEUE). Stderr: `{"event":"enqueued","count":…}` at the end, `{"event":"bad-line",…}` per
// line that is not a job; exit 2 if any line was bad, 1 if Redis failed.
import { createInterface } from 'node:readline';
import { queueName, redisUrl } from './env-vars.mjs';
import { jsonLines, routeConsole } from './json-log.mjs';
import { createProducer } from './producer.mjs';

const emit = jsonLines(process.stderr);
routeConsole(emit); // dependencies' console output becomes JSON lines too
/** @type {ReturnType<typeof createProducer>} */
let producer;
try {
  producer = createProducer({ redisUrl: redisUrl(process.env), queueName: queueName(process.env), emit });
} catch (err) {
  emit('error', { message: err instanceof Error ? err.message : String(err) });
  process.exit(2);
}
let count = 0;
let bad = 0;
let code = 0;
try {
  let line = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let job;
    try {
      job = JSON.parse(text);
    } catch {
      job = undefined;
    }
    if (
      !job ||
      typeof job !== 'object' ||
      typeof job.tenantId !== 'string' ||
      typeof job.notificationId !== 'string'
    ) {
      bad++;
      emit('bad-line', { line, message: 'expected {"tenantId":…,"notificationId":…,"message":{…}}' });
      continue;
    }
    await producer.enqueue(job);
    count++;
  }
} catch (err) {
  emit('error', { message: err instanceof Error ? err.message : String(err) });
  code = 1;
} finally {
  await producer.close().catch(() => undefined);
}
emit('enqueued', { count, bad });
process.exit(code || (bad > 0 ? 2 : 0));
