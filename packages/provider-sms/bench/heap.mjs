// Figure 7: heap after resolving 10 000 tenants vs an empty resolver (≤ 64 MB), and flat once the LRU is full.
// Measured in a child `node --expose-gc` (heap-child.mjs); the Twilio emulator runs here, outside that heap.
import { fileURLToPath } from 'node:url';
import { figure, loadTesting, median, num, timeChild, times } from './harness.mjs';

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 10;

export async function run({ quick = false } = {}) {
  const tenants = quick ? 200 : 10_000;
  const { startTwilioEmulator } = await loadTesting();
  const emu = await startTwilioEmulator({ statusCallbacks: false });
  const runs = [];
  try {
    for (let i = 0; i < 1; i++) {
      const { report } = await timeChild(
        [
          '--expose-gc',
          fileURLToPath(new URL('./heap-child.mjs', import.meta.url)),
          emu.url,
          emu.accountSid,
          emu.authToken,
          String(tenants),
        ],
        { timeoutMs: 600_000 },
      );
      runs.push(report);
      emu.reset();
    }
  } finally {
    await emu.close();
  }
  const m = (k) => median(runs.map((r) => r[k] - r.empty));
  const resolved = m('resolved');
  const resolvedTwice = m('resolvedTwice');
  const sent = m('sent');
  const sentTwice = m('sentTwice');
  const empty = median(runs.map((r) => r.empty));
  const flat = (a, b) => b / a <= 1.1 || b - a <= 2;
  const cmd = 'node packages/provider-sms/bench/run.mjs --only heap';
  return [
    figure({
      id: 'heap',
      figure: `heap, ${tenants} tenants resolved (LRU full), then ${tenants} more (evicting)`,
      value: `+${num(resolved)} MB, then +${num(resolvedTwice)} MB`,
      baseline: `empty resolver ${num(empty)} MB`,
      ratio: `${times(resolvedTwice / resolved)} after eviction`,
      target: '≤ 64 MB, flat once full',
      pass: resolved <= 64 && resolvedTwice <= 64 && flat(resolved, resolvedTwice),
      note: `--expose-gc child, heapUsed after gc, median of ${runs.length}`,
      command: cmd,
      numbers: { resolvedMb: resolved, resolvedTwiceMb: resolvedTwice, emptyMb: empty },
    }),
    figure({
      id: 'heap',
      figure: `heap, ${tenants} cached tenants after one send each, then ${tenants} new tenants resolve + send`,
      value: `+${num(sent)} MB, then +${num(sentTwice)} MB`,
      baseline: `empty resolver ${num(empty)} MB`,
      ratio: `${times(sentTwice / sent)} after eviction`,
      target: '≤ 64 MB, flat once full',
      pass: sent <= 64 && sentTwice <= 64 && flat(sent, sentTwice),
      note: 'each tenant provider then holds its twilio SDK client',
      command: cmd,
      numbers: { sentMb: sent, sentTwiceMb: sentTwice },
    }),
  ];
}
