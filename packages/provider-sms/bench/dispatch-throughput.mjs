// Figure: throughput of `dispatcher.dispatch()` vs `sender.send()` at concurrency 50 against a Twilio emulator that
// answers after 150 ms (as real Twilio does): the ledger's three writes per send should hide behind the provider's
// latency. PostgreSQL at DATABASE_URL when set (pool of 10), else in-process PGlite (noted). Paired rounds.
import { performance } from 'node:perf_hooks';
import { openDispatchBench } from './bench-db.mjs';
import { cipherOptions, TO, tenantConfig } from './fixtures.mjs';
import { figure, interleave, loadPackage, loadTesting, median, num, pairRatios, times } from './harness.mjs';

const BODY = 'Your code is 4821';
const C = 50;
const PROVIDER_DELAY_MS = 150;
const POOL = 10;

/** Runs `total` calls of `fn(i)` with `C` in flight; resolves calls per second. */
async function throughput(total, fn) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return (total * 1000) / (performance.now() - t);
}

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 20;

export async function run({ quick = false } = {}) {
  const m = await loadPackage(['createSmsDispatcher', 'createSmsLedger', 'createSmsSender', 'migrate']);
  const { startTwilioEmulator } = await loadTesting();
  const { emu, kind, sender, dispatcher, counted, close } = await openDispatchBench(m, startTwilioEmulator, {
    max: POOL,
    cipherOptions,
    tenantConfig,
  });
  try {
    const message = { to: TO, body: BODY };
    const N = quick ? C : 500; // calls per round: 10 provider round trips of 150 ms at c=50
    const rounds = quick ? 1 : 5;
    let ids = 0;
    let dispatched = 0;
    // Each round's provider requests answer after 150 ms; the emulator's store is emptied between rounds.
    const round = (fn) => () => {
      emu.reset();
      emu.inject({ delayMs: PROVIDER_DELAY_MS, times: N });
      return throughput(N, fn);
    };
    const r = await interleave(
      {
        send: round(() => sender.send('tenant-1', message)),
        dispatch: round(() => {
          dispatched++;
          return dispatcher.dispatch({ tenantId: 'tenant-1', notificationId: `tp-${ids++}`, message });
        }),
      },
      rounds,
      { warmup: quick ? 0 : 1 },
    );
    const ratio = median(pairRatios(r.dispatch, r.send));
    const perDispatch = counted.statements / dispatched;
    const dbMs = counted.ms / dispatched;
    const onPostgres = Boolean(process.env.DATABASE_URL);
    return [
      figure({
        id: 'dispatch-throughput',
        figure: `\`dispatch()\` throughput vs \`sender.send()\`, c=${C}, provider answering after ${PROVIDER_DELAY_MS} ms`,
        value: `${num(median(r.dispatch), 0)} msg/s`,
        baseline: `\`sender.send()\` ${num(median(r.send), 0)} msg/s`,
        ratio: times(ratio),
        target: '≥ 0.90× on PostgreSQL',
        pass: onPostgres ? ratio >= 0.9 : null,
        note: `${rounds} paired rounds × ${N} calls, fresh notification id each; ${num(perDispatch, 2)} ledger statements (round trips, each its own commit) per dispatch, ${num(dbMs)} ms of them per dispatch (pool wait included) beside the provider's ${PROVIDER_DELAY_MS} ms; ${kind}${onPostgres ? `, pool of ${POOL}` : ''}`,
        numbers: {
          dispatchHz: median(r.dispatch),
          sendHz: median(r.send),
          ratio,
          statementsPerDispatch: perDispatch,
          ledgerMsPerDispatch: dbMs,
        },
      }),
    ];
  } finally {
    await close();
  }
}
