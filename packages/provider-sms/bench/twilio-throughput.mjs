// Figure 3: TwilioProvider.send throughput to the loopback emulator at concurrency 1 and 50, against
// (a) the limit: a bare keep-alive `node:http` POST of the same form body with the same headers, JSON answer
// parsed, and (b) the twilio SDK's own `client.messages.create` (its axios RequestClient). tinybench, paired
// rounds: every task runs in every round, order rotated, so all of them see the same machine load.
import { createRequire } from 'node:module';
import { bareJsonPost } from './bare-request.mjs';
import { directTwilioClient, TO, TWILIO_FROM, tenantConfig } from './fixtures.mjs';
import { benchRounds, figure, loadPackage, loadTesting, median, num, pairRatios, times } from './harness.mjs';

/** This figure's share of the default run's 3 minutes (bench/run.mjs prints the time it took beside it). */
export const budgetSeconds = 25;

const load = createRequire(import.meta.url);
const BODY = 'Your code is 4821';
const C = 50;

/** What `TwilioProvider.send` puts on the wire (the same form body and headers). */
function bareTwilioPost(emu) {
  const sdkVersion = load('twilio/package.json').version;
  const userAgent = `twilio-node/${sdkVersion} (${process.platform} ${process.arch}) node/${process.version}`;
  const auth = Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64');
  const form = new URLSearchParams({ To: TO, From: TWILIO_FROM, Body: BODY })
    .toString()
    .replace(/\+/g, '%20');
  return bareJsonPost(
    `${emu.url}/2010-04-01/Accounts/${emu.accountSid}/Messages.json`,
    {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'user-agent': userAgent,
      'accept-charset': 'utf-8',
      authorization: `Basic ${auth}`,
    },
    form,
    { expectStatus: 201 },
  );
}

export async function run({ quick = false } = {}) {
  const { TwilioProvider } = await loadPackage(['TwilioProvider']);
  const { startTwilioEmulator } = await loadTesting();
  const twilio = (await import('twilio')).default;
  const emu = await startTwilioEmulator({ statusCallbacks: false });
  const bare = bareTwilioPost(emu);
  try {
    const provider = new TwilioProvider(tenantConfig(emu), { apiBaseUrl: emu.url });
    const client = await directTwilioClient(twilio, emu.url, emu.accountSid, emu.authToken);
    const ours = () => provider.send({ to: TO, body: BODY });
    const sdk = () => client.messages.create({ from: TWILIO_FROM, to: TO, body: BODY });
    const batch = (fn, n) => () => Promise.all(Array.from({ length: n }, fn));
    // JIT warm-up of every path (and the SDK's lazy loading) before any measured round.
    for (let i = 0; i < (quick ? 1 : 10); i++)
      await Promise.all([batch(ours, C)(), batch(sdk, C)(), batch(bare, C)()]);
    emu.reset();

    const opts = quick
      ? { rounds: 1, time: 30, warmupTime: 10, iterations: 2 }
      : { rounds: 5, time: 600, warmupTime: 150, iterations: 10 };
    const r = await benchRounds(
      {
        'ours c=1': ours,
        'bare c=1': bare,
        'sdk c=1': sdk,
        [`ours c=${C}`]: batch(ours, C),
        [`bare c=${C}`]: batch(bare, C),
        [`sdk c=${C}`]: batch(sdk, C),
      },
      { ...opts, afterRound: () => emu.reset() },
    );
    const hz = (name, n) => r[name].mean.map((ms) => (n * 1000) / ms);
    const how = `tinybench, ${opts.rounds} paired rounds × ${opts.time} ms per task, order rotated per round`;
    const limitNote =
      'limit = a bare keep-alive `node:http` POST (own Agent, 256 sockets, LIFO, no idle timeout) of the same form body and headers to the same emulator, JSON answer parsed; the emulator runs in the same process, so its CPU is in both numbers and the ratio is of whole-process throughput. Ours includes the SDK’s `messages.create` (its URL parts remembered per client, but a `new URL`, a user-agent string and a `MessageInstance` with three dayjs date parses per call) and every local check; one recipient throughout, so the remembered recipient check always hits (a first-seen recipient adds the libphonenumber check)';
    const rows = [];
    for (const [c, limitTarget, sdkTarget] of [
      [1, 0.6, 0.95],
      [C, 0.7, 1.0],
    ]) {
      const o = hz(`ours c=${c}`, c);
      const b = hz(`bare c=${c}`, c);
      const s = hz(`sdk c=${c}`, c);
      const vsLimit = median(pairRatios(o, b));
      const vsSdk = median(pairRatios(o, s));
      const value = `${num(median(o), 0)} msg/s`;
      rows.push(
        figure({
          id: 'twilio-throughput',
          figure: `\`TwilioProvider.send\` throughput vs the limit, loopback emulator, concurrency ${c}`,
          value,
          baseline: `bare \`http.request\` ${num(median(b), 0)} msg/s`,
          ratio: times(vsLimit),
          target: `≥ ${limitTarget.toFixed(2)}×`,
          pass: vsLimit >= limitTarget,
          note: `${how}; ${limitNote}`,
          numbers: { subjectHz: median(o), baselineHz: median(b), ratio: vsLimit },
        }),
        figure({
          id: 'twilio-throughput',
          figure: `\`TwilioProvider.send\` throughput vs the SDK, loopback emulator, concurrency ${c}`,
          value,
          baseline: `SDK \`messages.create\` ${num(median(s), 0)} msg/s`,
          ratio: times(vsSdk),
          target: `≥ ${sdkTarget.toFixed(2)}×`,
          pass: vsSdk >= sdkTarget,
          note: `${how}; the SDK uses its own axios RequestClient pointed at the emulator`,
          numbers: { subjectHz: median(o), baselineHz: median(s), ratio: vsSdk },
        }),
      );
    }
    return rows;
  } finally {
    bare.close();
    await emu.close();
  }
}
