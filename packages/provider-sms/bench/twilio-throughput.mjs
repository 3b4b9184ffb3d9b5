// Figure 3: TwilioProvider.send throughput to the loopback emulator at concurrency 1 and 50, vs the twilio SDK's
// own `client.messages.create` (its axios RequestClient, pointed at the emulator). tinybench, paired rounds.
import { directTwilioClient, TO, TWILIO_FROM, tenantConfig } from './fixtures.mjs';
import { benchRounds, figure, loadPackage, loadTesting, median, num, pairRatios, times } from './harness.mjs';

const BODY = 'Your code is 4821';

export async function run({ quick = false } = {}) {
  const { TwilioProvider } = await loadPackage(['TwilioProvider']);
  const { startTwilioEmulator } = await loadTesting();
  const twilio = (await import('twilio')).default;
  const emu = await startTwilioEmulator({ statusCallbacks: false });
  try {
    const provider = new TwilioProvider(tenantConfig(emu), { apiBaseUrl: emu.url });
    const client = await directTwilioClient(twilio, emu.url, emu.accountSid, emu.authToken);
    const ours = () => provider.send({ to: TO, body: BODY });
    const sdk = () => client.messages.create({ from: TWILIO_FROM, to: TO, body: BODY });
    const batch = (fn, n) => () => Promise.all(Array.from({ length: n }, fn));
    const C = 50;
    // Both paths once, so neither pays the SDK's lazy loading inside the measurement.
    // JIT warm-up of both paths (and the SDK's lazy loading) before any measured round.
    for (let i = 0; i < (quick ? 1 : 10); i++) await Promise.all([batch(ours, C)(), batch(sdk, C)()]);
    emu.reset();

    const opts = quick
      ? { rounds: 1, time: 30, warmupTime: 10, iterations: 2 }
      : { rounds: 5, time: 800, warmupTime: 200, iterations: 10 };
    const r = await benchRounds(
      {
        'ours c=1': ours,
        'sdk c=1': sdk,
        [`ours c=${C}`]: batch(ours, C),
        [`sdk c=${C}`]: batch(sdk, C),
      },
      { ...opts, afterRound: () => emu.reset() },
    );
    const hz = (name, n) => r[name].mean.map((ms) => (n * 1000) / ms);
    const rows = [];
    for (const [c, target] of [
      [1, 0.95],
      [C, 1.0],
    ]) {
      const o = hz(`ours c=${c}`, c);
      const s = hz(`sdk c=${c}`, c);
      const ratio = median(pairRatios(o, s));
      rows.push(
        figure({
          id: 'twilio-throughput',
          figure: `\`TwilioProvider.send\` throughput, loopback emulator, concurrency ${c}`,
          value: `${num(median(o), 0)} msg/s`,
          baseline: `SDK \`messages.create\` ${num(median(s), 0)} msg/s`,
          ratio: times(ratio),
          target: `≥ ${target.toFixed(2)}×`,
          pass: ratio >= target,
          note: `tinybench, ${opts.rounds} paired rounds × ${opts.time} ms per task`,
          numbers: { subjectHz: median(o), baselineHz: median(s), ratio },
        }),
      );
    }
    return rows;
  } finally {
    await emu.close();
  }
}
