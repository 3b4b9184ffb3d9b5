// Child of the pacing figure: one "replica" sending `count` messages at once through createSmsSender({ pacing })
// with slots shared through Redis; starts on 'go' from stdin, prints one JSON line { sent, refused }.
import { loadPackage } from './harness.mjs';

const cfg = JSON.parse(process.argv[2]);
const { Redis } = await import('ioredis');
const { createSmsSender, TwilioProvider } = await loadPackage(['createSmsSender', 'TwilioProvider']);
const redis = new Redis(cfg.redisUrl);
const provider = new TwilioProvider(cfg.twilio, { apiBaseUrl: cfg.url });
const sender = createSmsSender({
  resolver: { resolve: async () => ({ provider, source: 'tenant' }) },
  retry: false,
  pacing: { redis, redisKeyPrefix: cfg.prefix, rates: { us_ca_long_code: cfg.rate } },
});
// Warm-up outside the measurement: the first send loads the twilio SDK (~200 ms), which would hold back and then
// release together the messages whose slots passed meanwhile. The parent clears the emulator after 'R'.
await provider.send({ to: cfg.to, body: 'warm-up' });
process.stdout.write('R\n');
await new Promise((r) => process.stdin.once('data', r));
const results = await Promise.allSettled(
  Array.from({ length: cfg.count }, () => sender.send('tenant-1', { to: cfg.to, body: 'Your code is 4821' })),
);
const refused = results.filter((r) => r.status === 'rejected').length;
process.stdout.write(`${JSON.stringify({ sent: results.length - refused, refused })}\n`);
redis.disconnect();
process.exit(0);
