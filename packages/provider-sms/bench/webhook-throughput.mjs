// Figure: verified Twilio status callbacks per second through `createStatusWebhookHandler` (behind `toNodeListener`
// on node:http) vs a bare node:http handler parsing the same form and checking the same candidate URLs' HMAC-SHA1
// (webhook-child.mjs), and the same pair with the ledger write on PostgreSQL (recorded). Each server runs alone in
// its own child process; this process is the load generator: 50 keep-alive connections on raw sockets, each with
// one request in flight, sending precomputed bytes (the same for both handlers: distinct realistic callbacks, each
// signed for the tenant's route), in interleaved paired rounds. Every answer must be 200 (a 403 is a failed run).
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { benchSchema, openBenchDb } from './bench-db.mjs';
import { childEnv, figure, interleave, loadPackage, median, num, pairRatios, times } from './harness.mjs';

/** This figure's share of the default run's 3 minutes (bench/run.mjs prints the time it took beside it). */
export const budgetSeconds = 40;

const C = 50;
const PUBLIC_BASE = 'https://hooks.example.com/sms';
const TENANT = 'tenant-1';
export const SETUP = {
  tenantId: TENANT,
  accountSid: `AC${randomBytes(16).toString('hex')}`,
  authToken: randomBytes(16).toString('hex'),
  publicBaseUrl: PUBLIC_BASE,
};

/** Starts a webhook-child.mjs server (`execArgv`: e.g. --cpu-prof); resolves its port, `cpuUs()` (its CPU time so far) and `stop()`. */
export function startServer(variant, setup, execArgv = []) {
  const child = spawn(
    process.execPath,
    [...execArgv, new URL('./webhook-child.mjs', import.meta.url).pathname, variant, JSON.stringify(setup)],
    { env: childEnv(), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = [];
  const waiting = [];
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl !== -1; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const nextLine = () => new Promise((r) => (lines.length ? r(lines.shift()) : waiting.push(r)));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`webhook-child ${variant} exited (${code})`)));
    nextLine().then((first) => {
      child.removeAllListeners('exit');
      resolve({
        port: JSON.parse(first).port,
        cpuUs: () => {
          child.stdin.write('\n');
          return nextLine().then(Number);
        },
        stop: () => child.kill('SIGTERM'),
      });
    });
  });
}

// Twilio's signature: base64 HMAC-SHA1 of the URL followed by every param, sorted by key (key + value).
const sign = (url, params) =>
  createHmac('sha1', SETUP.authToken)
    .update(
      url +
        Object.keys(params)
          .sort()
          .map((k) => k + params[k])
          .join(''),
    )
    .digest('base64');

/** The raw bytes of callback `i` of series `tag` (a distinct message each): POST …/twilio/tenant-1?sms_attempt=…. */
export function callbackRequest(tag, i) {
  const hex = `${tag}${i.toString(16)}`.padStart(32, '0');
  const delivered = i % 2 === 1;
  const params = {
    ApiVersion: '2010-04-01',
    AccountSid: SETUP.accountSid,
    From: '+15005550006',
    MessageSid: `SM${hex}`,
    MessageStatus: delivered ? 'delivered' : 'sent',
    MessagingServiceSid: `MG${'0'.repeat(32)}`,
    SmsSid: `SM${hex}`,
    SmsStatus: delivered ? 'delivered' : 'sent',
    To: '+919876543210',
    ...(delivered ? { RawDlrDoneDate: '2612011124' } : {}),
  };
  const attempt = `at${hex.slice(-20)}`; // 22 characters, distinct per callback, like the ledger's
  const path = `/hooks/sms/twilio/${TENANT}?sms_attempt=${attempt}`;
  const body = new URLSearchParams(params).toString();
  const head = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'User-Agent: TwilioProxy/1.1',
    'Content-Type: application/x-www-form-urlencoded',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Twilio-Signature: ${sign(PUBLIC_BASE + path.slice('/hooks/sms'.length), params)}`,
    `I-Twilio-Idempotency-Token: ${hex}`,
    'Accept: */*',
    '',
    '',
  ].join('\r\n');
  return { bytes: Buffer.from(head + body), attempt, messageId: params.MessageSid };
}

/** Sends every request over `C` keep-alive connections (one in flight each); resolves requests per second. */
export function drive(port, requests) {
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let t0 = 0;
    const sockets = [];
    const fail = (err) => {
      for (const s of sockets) s.destroy();
      reject(err);
    };
    const finish = () => {
      const hz = (requests.length * 1000) / (performance.now() - t0);
      for (const s of sockets) s.destroy();
      resolve(hz);
    };
    const open = () => {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      let buf = Buffer.alloc(0);
      const send = () => {
        if (next < requests.length) socket.write(requests[next++]);
      };
      socket.setNoDelay(true);
      socket.on('connect', send);
      socket.on('error', fail);
      socket.on('data', (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = buf.toString('latin1', 0, end);
          let length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
          if (!Number.isFinite(length)) {
            if (!/\r\ntransfer-encoding: *chunked/i.test(head))
              return fail(new Error(`answer without a length: ${head}`));
            const last = buf.indexOf('\r\n0\r\n\r\n', end + 2); // the small bodies here fit one chunk
            if (last === -1) return;
            length = last + 7 - (end + 4);
          }
          if (buf.length < end + 4 + length) return;
          if (!head.startsWith('HTTP/1.1 200 '))
            return fail(
              new Error(
                `not verified: ${head.split('\r\n')[0]} ${buf.toString('utf8', end + 4, end + 4 + length)}`,
              ),
            );
          buf = buf.subarray(end + 4 + length);
          if (++done === requests.length) return finish();
          send();
        }
      });
    };
    t0 = performance.now();
    for (let i = 0; i < C; i++) open();
  });
}

// Ledger rows named by the callbacks of `tag`: accepted, status queued, attempt id and message id of each callback.
async function seedLedger(db, schema, calls) {
  await db.query(
    `INSERT INTO "${schema}".notification_dispatch_log (id, tenant_id, channel, provider, message_id, status, state,
       notification_id, attempts, created_at, updated_at)
     SELECT gen_random_uuid(), $1, 'sms', 'twilio', m, 'queued', 'accepted', 'n-' || m,
       jsonb_build_array(jsonb_build_object('id', a, 'provider', 'twilio')), now(), now()
     FROM unnest($2::text[], $3::text[]) AS x(m, a)`,
    [TENANT, calls.map((c) => c.messageId), calls.map((c) => c.attempt)],
  );
  await db.query(`ANALYZE "${schema}".notification_dispatch_log`);
}

/**
 * Paired rounds of `ours` vs `bare` (each its own server child); `prepare(calls)` runs before a round. Resolves, per
 * variant and round, callbacks per second (`hz`) and the server's CPU µs per callback (`cpu`).
 */
async function pair(variants, setup, { n, rounds, warmup, prepare = async () => {} }) {
  const servers = {};
  try {
    for (const v of variants) servers[v] = await startServer(v, setup);
    let series = 0;
    const round = (v) => async () => {
      const tag = (++series).toString(16).padStart(4, '0');
      const calls = Array.from({ length: n }, (_, i) => callbackRequest(tag, i));
      await prepare(calls);
      const cpu0 = await servers[v].cpuUs();
      const hz = await drive(
        servers[v].port,
        calls.map((c) => c.bytes),
      );
      return { hz, cpuUs: ((await servers[v].cpuUs()) - cpu0) / n };
    };
    const samples = await interleave(Object.fromEntries(variants.map((v) => [v, round(v)])), rounds, {
      warmup,
    });
    const pick = (k) => Object.fromEntries(variants.map((v) => [v, samples[v].map((x) => x[k])]));
    return { hz: pick('hz'), cpu: pick('cpuUs') };
  } finally {
    for (const s of Object.values(servers)) s.stop();
  }
}

/** The row's value, baseline, ratio and numbers from paired samples (`subject` vs `base` variants). */
function compare({ hz, cpu }, subject, base, baselineName) {
  const ratio = median(pairRatios(hz[subject], hz[base]));
  const cpuRatio = median(pairRatios(cpu[base], cpu[subject])); // callbacks per CPU-second, ours / bare
  return {
    value: `${num(median(hz[subject]), 0)} callbacks/s`,
    baseline: `${baselineName} ${num(median(hz[base]), 0)}/s`,
    ratio: times(ratio),
    ratioValue: ratio,
    detail: `per-round ratios ${pairRatios(hz[subject], hz[base])
      .map((x) => num(x, 2))
      .join(
        ', ',
      )}; server CPU per callback ${num(median(cpu[subject]), 1)} µs vs ${num(median(cpu[base]), 1)} µs (${times(cpuRatio)} per CPU-second)`,
    numbers: {
      subjectHz: median(hz[subject]),
      baselineHz: median(hz[base]),
      ratio,
      subjectCpuUs: median(cpu[subject]),
      baselineCpuUs: median(cpu[base]),
    },
  };
}

async function ledgerRow({ quick }) {
  const base = {
    id: 'webhook-throughput',
    figure: `Verified Twilio status callbacks/s with the ledger write on PostgreSQL, c=${C}`,
    target: 'recorded (no target)',
    pass: null,
  };
  if (!process.env.DATABASE_URL)
    return figure({
      ...base,
      value: '—',
      baseline: '—',
      ratio: '—',
      note: 'skipped: DATABASE_URL not set',
      numbers: {},
    });
  const m = await loadPackage(['migrate']);
  const { db, kind, close } = await openBenchDb({ max: 2 });
  const schema = benchSchema();
  try {
    await m.migrate(db, { schema });
    const setup = { ...SETUP, schema, fingerprintKey: randomBytes(32).toString('base64') };
    const rounds = quick ? 1 : 3;
    const n = quick ? C : 800; // PostgreSQL commits bound it to a few hundred per second here
    const r = await pair(['ours-ledger', 'bare-ledger'], setup, {
      n,
      rounds,
      warmup: quick ? 0 : 1,
      prepare: (calls) => seedLedger(db, schema, calls),
    });
    // Every callback must have advanced its row (a callback naming no row would skip the write).
    const left = await db.query(
      `SELECT count(*)::int AS n FROM "${schema}".notification_dispatch_log WHERE status = 'queued'`,
    );
    if (left.rows[0].n !== 0) throw new Error(`${left.rows[0].n} ledger rows were not advanced`);
    const {
      ratioValue: _,
      detail,
      ...row
    } = compare(r, 'ours-ledger', 'bare-ledger', 'bare node:http + one conditional UPDATE');
    return figure({
      ...base,
      ...row,
      note: `${rounds} paired rounds × ${n} callbacks, each advancing its own accepted row (queued → sent/delivered); ${kind}, pool of 10 per server; ${detail}`,
    });
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await close();
  }
}

export async function run({ quick = false } = {}) {
  // Many short rounds: the machine's load changes within seconds, and each round pairs both handlers.
  const rounds = quick ? 1 : 9;
  const n = quick ? C : 4000;
  const r = await pair(['ours', 'bare'], SETUP, { n, rounds, warmup: quick ? 0 : 1 });
  const { ratioValue, detail, ...row } = compare(
    r,
    'ours',
    'bare',
    "bare node:http (same form, same candidate URLs' HMAC-SHA1)",
  );
  return [
    figure({
      id: 'webhook-throughput',
      figure: `Verified Twilio status callbacks/s through \`createStatusWebhookHandler\` + \`toNodeListener\`, c=${C}`,
      ...row,
      target: '≥ 0.60×',
      pass: ratioValue >= 0.6,
      note: `${rounds} paired rounds × ${n} distinct signed callbacks, each server alone in a child process, raw keep-alive client; ${detail}`,
    }),
    await ledgerRow({ quick }),
  ];
}
