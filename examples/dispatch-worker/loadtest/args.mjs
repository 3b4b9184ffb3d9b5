// `pnpm loadtest` flags → the run's settings (pure; an unknown or malformed flag throws a UsageError naming it).

/** A bad command line: run.mjs prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/** The usage text printed with `--help` or after a UsageError. */
export const USAGE = `pnpm loadtest [--quick] [--json] [--workers N] [--notifications M] [options]

  --quick                 ≤ 3 minutes: 3 workers, 600 notifications, kills every 4 s (≥ 3), no throughput series
  --json                  stdout is exactly one JSON line; every log line (children's too) goes to stderr
  --workers N             worker processes at a time (default 4; quick 3)
  --notifications M       distinct notifications (default 1500; quick 600)
  --concurrency C         jobs in flight per worker (default 8; also the ceiling point's)
  --series-concurrency C  jobs in flight per worker in the 1/2/4-worker series (default 2: 4 workers stay I/O-bound)
  --series-notifications M  notifications per series point (default 400: the 4-worker point lasts ≥ ~10 s)
  --latency-ms MS         emulated provider latency per request (default 150)
  --kill-every-ms MS      SIGKILL a random worker this often (default 5000; quick 4000; 0 = never)
  --fault-every-ms MS     inject the next provider fault this often (default 1500; 0 = never)
  --reenqueue-share F     share of ids enqueued again after BullMQ removed their job (default 0.1)
  --tenants T             tenants (default 50), of which --twilio-tenants (default 15) have their own Twilio account
  --min-kills K           the drain is not declared before K kills (default 5, 3 with --quick; with kills on)
  --no-chaos              neither kills nor faults (what the throughput series runs)
  --no-throughput         full run without the 1/2/4-worker throughput series and the ceiling point
  --no-write              do not write BENCHMARKS.md's loadtest section
  --help                  this text`;

/**
 * @typedef {{ quick: boolean, json: boolean, workers: number, notifications: number, concurrency: number,
 *   seriesConcurrency: number, seriesNotifications: number, latencyMs: number, killEveryMs: number, faultEveryMs: number, reenqueueShare: number, tenants: number,
 *   twilioTenants: number, minKills: number, chaos: boolean, throughput: boolean, write: boolean, help: boolean }} LoadtestSettings
 */

/**
 * Jobs in flight per worker in the throughput series: at ~20 ms CPU per notification (all processes) 2 cores carry
 * ≈ 100/s, and 4 workers × 2 jobs at the 150 ms latency want ≈ 40/s (measured: 0.83 of 2 cores), so the series stays
 * I/O-bound; 8 jobs per worker want ≈ 150/s and are CPU-bound (the ceiling point measures that).
 */
export const SERIES_CONCURRENCY = 2;

/**
 * Notifications per series point: at ≈ 30–40/s the 4-worker point (the shortest) lasts 10–15 s, so the span's ramp
 * (to the first job) and tail (last job → drained, polled every 500 ms), measured at ≈ 0.2 s, stay ≈ 2 % of it.
 */
export const SERIES_NOTIFICATIONS = 400;

const NUMBERS = /** @type {const} */ ({
  '--workers': ['workers', 1, 64],
  '--notifications': ['notifications', 1, 100_000],
  '--concurrency': ['concurrency', 1, 200],
  '--series-concurrency': ['seriesConcurrency', 1, 200],
  '--series-notifications': ['seriesNotifications', 1, 100_000],
  '--latency-ms': ['latencyMs', 0, 10_000],
  '--kill-every-ms': ['killEveryMs', 0, 600_000],
  '--fault-every-ms': ['faultEveryMs', 0, 600_000],
  '--tenants': ['tenants', 1, 1000],
  '--twilio-tenants': ['twilioTenants', 0, 1000],
  '--min-kills': ['minKills', 0, 1000],
});

/**
 * Parses the command line (without `node run.mjs`) into settings; `--quick` changes defaults, explicit flags win.
 * @param {string[]} argv
 * @returns {LoadtestSettings}
 */
export function parseArgs(argv) {
  const quick = argv.includes('--quick');
  /** @type {LoadtestSettings} */
  const s = {
    quick,
    json: false,
    workers: quick ? 3 : 4,
    notifications: quick ? 600 : 1500,
    concurrency: 8,
    seriesConcurrency: SERIES_CONCURRENCY,
    seriesNotifications: SERIES_NOTIFICATIONS,
    latencyMs: 150,
    killEveryMs: quick ? 4000 : 5000,
    faultEveryMs: 1500,
    reenqueueShare: 0.1,
    tenants: 50,
    twilioTenants: 15,
    minKills: quick ? 3 : 5,
    chaos: true,
    throughput: !quick,
    write: !quick,
    help: false,
  };
  const flags = { '--quick': () => {}, '--json': () => (s.json = true), '--help': () => (s.help = true) };
  const off = { '--no-chaos': 'chaos', '--no-throughput': 'throughput', '--no-write': 'write' };
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    if (arg in flags) flags[/** @type {keyof typeof flags} */ (arg)]();
    else if (arg in off)
      s[/** @type {'chaos' | 'throughput' | 'write'} */ (off[/** @type {keyof typeof off} */ (arg)])] = false;
    else if (arg in NUMBERS) {
      const [key, min, max] = NUMBERS[/** @type {keyof typeof NUMBERS} */ (arg)];
      s[key] = integerValue(arg, argv[++i], min, max);
    } else if (arg === '--reenqueue-share') {
      const v = Number(argv[++i]);
      if (!(v >= 0 && v <= 1)) throw new UsageError('--reenqueue-share needs a number from 0 to 1');
      s.reenqueueShare = v;
    } else throw new UsageError(`unknown option ${arg}`);
  }
  if (s.twilioTenants > s.tenants) throw new UsageError('--twilio-tenants cannot exceed --tenants');
  return s;
}

/** @param {string} flag @param {string | undefined} raw @param {number} min @param {number} max */
function integerValue(flag, raw, min, max) {
  const v = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new UsageError(`${flag} needs an integer from ${min} to ${max}`);
  return v;
}
