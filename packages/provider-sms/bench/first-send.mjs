// Figure 2: cold import + first Twilio send to the loopback emulator, process start to "sent", vs the same
// with the `twilio` SDK used directly (its own axios client). Fresh processes, interleaved, median of ratios.
import { TO, TWILIO_FROM } from './fixtures.mjs';
import {
  distUrl,
  figure,
  interleave,
  loadTesting,
  median,
  num,
  pairRatios,
  timeChild,
  times,
} from './harness.mjs';

const ours = (emu) => [
  '--input-type=module',
  '-e',
  `const { TwilioProvider } = await import(${JSON.stringify(distUrl('index.js'))});
   const p = new TwilioProvider(${JSON.stringify({ accountSid: emu.accountSid, authToken: emu.authToken, fromNumber: TWILIO_FROM })}, { apiBaseUrl: ${JSON.stringify(emu.url)} });
   const r = await p.send({ to: ${JSON.stringify(TO)}, body: 'Your code is 4821' });
   if (!r.messageId.startsWith('SM')) throw new Error('no SID');
   process.stdout.write('R\\n');`,
];

const direct = (emu) => [
  '--input-type=module',
  '-e',
  `const twilio = (await import('twilio')).default;
   const base = new URL(${JSON.stringify(emu.url)});
   class LoopbackRequestClient extends twilio.RequestClient {
     request(opts) { const u = new URL(opts.uri); return super.request({ ...opts, uri: base.origin + u.pathname + u.search }); }
   }
   const client = twilio(${JSON.stringify(emu.accountSid)}, ${JSON.stringify(emu.authToken)}, { httpClient: new LoopbackRequestClient({}), autoRetry: false });
   const m = await client.messages.create({ from: ${JSON.stringify(TWILIO_FROM)}, to: ${JSON.stringify(TO)}, body: 'Your code is 4821' });
   if (!m.sid.startsWith('SM')) throw new Error('no SID');
   process.stdout.write('R\\n');`,
];

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 8;

export async function run({ quick = false } = {}) {
  const { startTwilioEmulator } = await loadTesting();
  const emu = await startTwilioEmulator({ statusCallbacks: false });
  try {
    const rounds = quick ? 1 : 12;
    const s = await interleave(
      {
        ours: async () => (await timeChild(ours(emu))).ms,
        direct: async () => (await timeChild(direct(emu))).ms,
      },
      rounds,
      { warmup: quick ? 0 : 1 },
    );
    const ratio = median(pairRatios(s.ours, s.direct));
    return [
      figure({
        id: 'first-send',
        figure: 'cold import + first Twilio send (ESM, `TwilioProvider.send`), start → sent',
        value: `${num(median(s.ours))} ms`,
        baseline: `direct \`twilio\` SDK ${num(median(s.direct))} ms`,
        ratio: times(ratio),
        target: '≤ 1.05×',
        pass: ratio <= 1.05,
        note: `${rounds} paired runs, loopback emulator; ${emu.messages.length} messages accepted`,
        numbers: { subjectMs: median(s.ours), baselineMs: median(s.direct), ratio },
      }),
    ];
  } finally {
    await emu.close();
  }
}
