// Figure: aggregate send rate of N processes pacing one sender through Redis, against that sender's limit,
// measured from the emulator's receive timestamps (not from the senders). Goal: never above the limit over
// any 1 s window, and within 5 % of it over 10 s.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TO, TWILIO_FROM } from './fixtures.mjs';
import { childEnv, figure, loadPackage, loadTesting, num, PKG_DIR } from './harness.mjs';

const PROCESSES = 3;
const RATE = 20; // segments per second of the one sender (us_ca_long_code, overridden)
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHILD = fileURLToPath(new URL('./pacing-child.mjs', import.meta.url));

function startChild(cfg) {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(cfg)], {
    cwd: PKG_DIR,
    env: childEnv(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const ready = new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      out += String(d);
      if (out.includes('R\n')) resolve();
    });
  });
  const done = new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      code === 0 && line
        ? resolve(JSON.parse(line))
        : reject(new Error(`pacing child exited ${code}: ${out}`));
    }),
  );
  return { child, ready, done };
}

/** Most segments received in any window [t, t + ms) that starts at a receipt. */
function maxInWindow(times, ms) {
  let best = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + ms) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 15;

export async function run({ quick = false } = {}) {
  const base = {
    id: 'pacing',
    figure: `pacing: ${PROCESSES} processes, one sender at ${RATE} segments/s (Redis)`,
  };
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  const down = await redis.connect().then(
    () => undefined,
    (e) => String(e?.message ?? e),
  );
  if (down) {
    redis.disconnect();
    const note = `skipped: Redis at ${REDIS_URL} is unreachable (${down})`;
    return [
      figure({ ...base, value: '—', baseline: '—', ratio: '—', target: '—', pass: null, note, numbers: {} }),
    ];
  }
  const { startTwilioEmulator } = await loadTesting();
  const { DEFAULT_JITTER_TOLERANCE_MS } = await loadPackage(['DEFAULT_JITTER_TOLERANCE_MS']);
  const emu = await startTwilioEmulator({ statusCallbacks: false });
  const prefix = `sms:pacing:bench:${randomUUID()}:`;
  const seconds = quick ? 1.5 : 12; // ≥ 10 s of traffic for the 10 s window
  const count = Math.ceil((seconds * RATE) / PROCESSES);
  const children = [];
  try {
    const cfg = {
      url: emu.url,
      twilio: { accountSid: emu.accountSid, authToken: emu.authToken, fromNumber: TWILIO_FROM },
      redisUrl: REDIS_URL,
      prefix,
      rate: RATE,
      count,
      to: TO,
    };
    for (let i = 0; i < PROCESSES; i++) children.push(startChild(cfg));
    await Promise.all(children.map((c) => c.ready));
    emu.reset(); // the children's warm-up sends
    for (const c of children) c.child.stdin.end('go\n');
    const outcomes = await Promise.all(children.map((c) => c.done));
    const refused = outcomes.reduce((s, o) => s + o.refused, 0);
    const times = emu.messages.map((m) => m.createdAt.getTime()).sort((a, b) => a - b);
    const peak1s = maxInWindow(times, 1000);
    const span = (times.at(-1) - times[0]) / 1000;
    // Sustained rate: segments in the first 10 s (quick: over the whole span, one slot per interval).
    const window = quick ? span + 1 / RATE : 10;
    const inWindow = times.filter((t) => t < times[0] + window * 1000).length;
    const sustained = inWindow / window;
    const within = Math.abs(sustained - RATE) / RATE;
    // Arrival jitter: spread of (receipt − i·slot) over the back-to-back slots (one segment each).
    const slotMs = (1000 + DEFAULT_JITTER_TOLERANCE_MS) / RATE;
    const offsets = times.map((t, i) => t - times[0] - i * slotMs);
    const jitterMs = Math.max(...offsets) - Math.min(...offsets);
    return [
      figure({
        ...base,
        value: `peak ${peak1s} segments in any 1 s; ${num(sustained, 2)} segments/s over ${num(window, 1)} s`,
        baseline: `limit ${RATE} segments/s`,
        ratio: `${num(sustained / RATE, 3)}×`,
        target: `peak ≤ ${RATE}; within 5 % over 10 s`,
        pass: peak1s <= RATE && within <= 0.05 && refused === 0,
        note: `${times.length} messages from ${PROCESSES} processes (${refused} refused), emulator receive timestamps (ms), arrival jitter spread ${num(jitterMs, 0)} ms (default jitterToleranceMs ${DEFAULT_JITTER_TOLERANCE_MS}); ${quick ? 'quick run: short window' : 'first 10 s window'}`,
        numbers: { peak1s, sustained, limit: RATE, messages: times.length, refused, jitterMs },
      }),
    ];
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await emu.close();
  }
}
