// Figure: latency `dispatcher.dispatch()` adds over `sender.send()` (claim, attempt record, accept: three durable
// commits, synchronous_commit left on), against the loopback Twilio emulator. PostgreSQL at DATABASE_URL when
// set, else in-process PGlite (noted: no network round trip, no fsync; not the goal's setting).
import { performance } from 'node:perf_hooks';
import { commitProbe, openDispatchBench } from './bench-db.mjs';
import { cipherOptions, TO, tenantConfig } from './fixtures.mjs';
import { boundedLoop, figure, loadPackage, loadTesting, median, num, percentile } from './harness.mjs';

const BODY = 'Your code is 4821';
const MIN_PAIRS = 300;
const STOP_AFTER_S = 6;

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 8;

export async function run({ quick = false } = {}) {
  const m = await loadPackage(['createSmsDispatcher', 'createSmsLedger', 'createSmsSender', 'migrate']);
  const { startTwilioEmulator } = await loadTesting();
  const { emu, kind, db, schema, sender, dispatcher, counted, close } = await openDispatchBench(
    m,
    startTwilioEmulator,
    {
      cipherOptions,
      tenantConfig,
    },
  );
  try {
    const message = { to: TO, body: BODY };
    const N = quick ? 20 : 1500;
    const send = [];
    const dispatch = [];
    const commits = [];
    const probe = await commitProbe(db, schema);
    let n = 0;
    const once = async (out, fn) => {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    };
    const pair = async () => {
      const id = `bench-${n++}`;
      // Alternate the order so neither path always runs on a warmer socket.
      const a = () => once(send, () => sender.send('tenant-1', message));
      const b = () =>
        once(dispatch, () => dispatcher.dispatch({ tenantId: 'tenant-1', notificationId: id, message }));
      if (n % 2) {
        await a();
        await b();
      } else {
        await b();
        await a();
      }
      await once(commits, probe.commit);
    };
    for (let i = 0; i < (quick ? 2 : 100); i++) await pair(); // warm-up
    send.length = 0;
    dispatch.length = 0;
    commits.length = 0;
    counted.statements = 0;
    // At most N pairs, and no more than STOP_AFTER_S once MIN_PAIRS are in (a loaded database slows every pair).
    const bounds = { max: N, min: quick ? N : MIN_PAIRS, seconds: STOP_AFTER_S };
    const pairs = await boundedLoop(bounds, async (i) => {
      await pair();
      if (i % 200 === 0) emu.reset();
    });
    const p50 = median(dispatch) - median(send);
    const commitP50 = median(commits);
    const perDispatch = counted.statements / pairs;
    const p99 = percentile(dispatch, 99) - percentile(send, 99);
    const onPostgres = Boolean(process.env.DATABASE_URL);
    return [
      figure({
        id: 'dispatch',
        figure: '`dispatch()` added latency over `sender.send()`, c=1 (p50 / p99)',
        value: `+${num(p50)} ms / +${num(p99)} ms`,
        baseline: `\`sender.send()\` p50 ${num(median(send))} ms, p99 ${num(percentile(send, 99))} ms; one bare commit (1-row INSERT) p50 ${num(commitP50)} ms`,
        ratio: `added p50 = ${num(p50 / commitP50, 1)} bare commits`,
        target: 'p50 ≤ +2 ms on PostgreSQL',
        pass: onPostgres ? p50 <= 2 : null,
        note: `${pairs} interleaved pairs (at most ${N}, stopped after ${STOP_AFTER_S} s once ${MIN_PAIRS} were in), fresh notification id each; ${num(perDispatch, 2)} ledger statements (round trips, each its own commit) per dispatch; ${kind}`,
        numbers: {
          commitP50Ms: commitP50,
          addedP50Ms: p50,
          addedP99Ms: p99,
          sendP50Ms: median(send),
          dispatchP50Ms: median(dispatch),
        },
      }),
    ];
  } finally {
    await close();
  }
}
