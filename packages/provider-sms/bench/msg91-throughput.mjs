// Figure 4: Msg91Provider.send throughput at concurrency 50 against (a) the limit: a bare keep-alive
// `node:http` POST of the same JSON body and headers, JSON answer parsed, and (b) raw `fetch` of the same Flow
// request, all to the same loopback emulator. tinybench, paired rounds (order rotated per round).
import { bareJsonPost } from './bare-request.mjs';
import { TO } from './fixtures.mjs';
import { benchRounds, figure, loadPackage, loadTesting, median, num, pairRatios, times } from './harness.mjs';

/** This figure's share of the default run's 3 minutes (bench/run.mjs prints the time it took beside it). */
export const budgetSeconds = 12;

const C = 50;

export async function run({ quick = false } = {}) {
  const { Msg91Provider } = await loadPackage(['Msg91Provider']);
  const { startMsg91Emulator } = await loadTesting();
  const emu = await startMsg91Emulator({ balance: 1e12, duplicateWindowMs: 0 });
  let bare;
  try {
    const provider = new Msg91Provider(
      { authKey: emu.authKey, templateId: emu.templateId },
      { apiBaseUrl: emu.url },
    );
    const flowUrl = `${emu.url}/api/v5/flow`;
    const ours = () => provider.send({ to: TO, body: 'Your code is 4821' });
    // What a hand-written client would send: the same JSON body and headers, reading the JSON answer.
    const headers = { authkey: emu.authKey, 'content-type': 'application/json', accept: 'application/json' };
    const flowBody = () =>
      JSON.stringify({
        template_id: emu.templateId,
        short_url: '0',
        recipients: [{ mobiles: TO.slice(1), body: 'Your code is 4821' }],
      });
    bare = bareJsonPost(flowUrl, headers, flowBody(), {
      expectStatus: 200,
      check: (json) => json.type === 'success',
    });
    const raw = async () => {
      const res = await fetch(flowUrl, { method: 'POST', headers, body: flowBody() });
      const json = await res.json();
      if (json.type !== 'success') throw new Error(`MSG91 emulator answered ${JSON.stringify(json)}`);
      return json;
    };
    const batch = (fn) => () => Promise.all(Array.from({ length: C }, fn));
    // JIT warm-up of every path before any measured round.
    for (let i = 0; i < (quick ? 1 : 10); i++)
      await Promise.all([batch(ours)(), batch(bare)(), batch(raw)()]);
    emu.reset();
    const opts = quick
      ? { rounds: 1, time: 30, warmupTime: 10, iterations: 2 }
      : { rounds: 5, time: 600, warmupTime: 150, iterations: 10 };
    const r = await benchRounds(
      { [`ours c=${C}`]: batch(ours), [`bare c=${C}`]: batch(bare), [`fetch c=${C}`]: batch(raw) },
      { ...opts, afterRound: () => emu.reset() },
    );
    const o = r[`ours c=${C}`].mean.map((ms) => (C * 1000) / ms);
    const f = r[`fetch c=${C}`].mean.map((ms) => (C * 1000) / ms);
    const b = r[`bare c=${C}`].mean.map((ms) => (C * 1000) / ms);
    const ratio = median(pairRatios(o, f));
    const vsLimit = median(pairRatios(o, b));
    const how = `tinybench, ${opts.rounds} paired rounds × ${opts.time} ms per task, order rotated per round`;
    return [
      figure({
        id: 'msg91-throughput',
        figure: `\`Msg91Provider.send\` throughput vs the limit, loopback emulator, concurrency ${C}`,
        value: `${num(median(o), 0)} msg/s`,
        baseline: `bare \`http.request\` ${num(median(b), 0)} msg/s`,
        ratio: times(vsLimit),
        target: '≥ 0.75×',
        pass: vsLimit >= 0.75,
        note: `${how}; limit = a bare keep-alive \`node:http\` POST (own Agent, 256 sockets, LIFO) of the same JSON body and headers to the same emulator, JSON answer parsed; the emulator runs in the same process, so its CPU is in both numbers and the ratio is of whole-process throughput`,
        numbers: { subjectHz: median(o), baselineHz: median(b), ratio: vsLimit },
      }),
      figure({
        id: 'msg91-throughput',
        figure: `\`Msg91Provider.send\` throughput, loopback emulator, concurrency ${C}`,
        value: `${num(median(o), 0)} msg/s`,
        baseline: `raw \`fetch\` ${num(median(f), 0)} msg/s`,
        ratio: times(ratio),
        target: '≥ 0.90×',
        pass: ratio >= 0.9,
        note: how,
        numbers: { subjectHz: median(o), baselineHz: median(f), ratio },
      }),
    ];
  } finally {
    bare?.close();
    await emu.close();
  }
}
