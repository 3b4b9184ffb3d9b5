// Figure (behind `--growth`): claim latency with 1 000 000 ledger rows vs 1 000, on PostgreSQL only. Both tables are
// bulk-loaded with generate_series (settled rows with an attempt, as a busy month leaves them) in dedicated schemas
// that are dropped afterwards; claims of fresh ids alternate between the two, so both see the same load.
import { performance } from 'node:perf_hooks';
import { benchSchema, openBenchDb } from './bench-db.mjs';
import { cipherOptions, TO } from './fixtures.mjs';
import { dropSchemas, growthFigure } from './growth.mjs';
import { figure, loadPackage, num } from './harness.mjs';

/** Bulk-loads `rows` accepted rows (1 000 tenants, one attempt each) into the ledger of `schema`, then ANALYZE. */
async function load(db, schema, rows) {
  const t = `"${schema}".notification_dispatch_log`;
  await db.query(
    `INSERT INTO ${t} (id, tenant_id, channel, notification_id, state, status, provider, message_id, recipient,
       fingerprint, fingerprint_key_id, attempts, result, created_at, updated_at, status_at)
     SELECT gen_random_uuid(), 'tenant-' || (g % 1000), 'sms', 'n-' || g, 'accepted', 'delivered', 'twilio',
       'SM' || md5(g::text), '+9198' || lpad((g % 100000000)::text, 8, '0'), md5('fp' || g), 'k1',
       jsonb_build_array(jsonb_build_object('id', md5('a' || g), 'startedAt', now(), 'settleBy', now(),
         'provider', 'twilio')),
       '{"status":"queued","segments":1,"encoding":"GSM-7"}'::jsonb,
       now() - (g % 2592000) * interval '1 second', now(), now()
     FROM generate_series(1, $1::int) g`,
    [rows],
  );
  await db.query(`ANALYZE ${t}`);
}

const skipped = (note) =>
  figure({
    id: 'ledger-growth',
    figure: 'ledger claim p99, 1 000 000 rows vs 1 000',
    value: '—',
    baseline: '—',
    ratio: '—',
    target: '≤ 1.3×',
    pass: null,
    note,
    numbers: {},
  });

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 240;

export async function run({ quick = false } = {}) {
  if (!process.env.DATABASE_URL) return [skipped('skipped: needs DATABASE_URL (PostgreSQL)')];
  const m = await loadPackage(['createSmsLedger', 'migrate']);
  const { db, kind, close } = await openBenchDb({ max: 2 });
  const BIG = quick ? 20_000 : 1_000_000;
  const SMALL = 1_000;
  const K = quick ? 50 : 2_000;
  const schemas = { small: benchSchema(), big: benchSchema() };
  try {
    const cipher = m.createConfigCipher(cipherOptions());
    const ledgers = {};
    const loadMs = {};
    for (const [name, rows] of [
      ['small', SMALL],
      ['big', BIG],
    ]) {
      await m.migrate(db, { schema: schemas[name] });
      const t = performance.now();
      await load(db, schemas[name], rows);
      loadMs[name] = performance.now() - t;
      ledgers[name] = m.createSmsLedger({ db, cipher, schema: schemas[name] });
    }
    const fp = ledgers.small.fingerprint(TO, { to: TO, body: 'Your code is 4821' });
    const lat = { small: [], big: [] };
    const claim = async (name, i) => {
      const t = performance.now();
      const r = await ledgers[name].claim({
        tenantId: `tenant-${i % 1000}`,
        notificationId: `claim-${i}`,
        recipient: TO,
        fingerprint: fp.value,
        fingerprintKeyId: fp.keyId,
        leaseId: `lease-${i}`,
      });
      if (!r.claimed) throw new Error(`claim-${i} was not claimed in ${name}`);
      if (i >= 0) lat[name].push(performance.now() - t);
    };
    for (let i = -(quick ? 5 : 100); i < K; i++) {
      const order = i % 2 ? ['small', 'big'] : ['big', 'small'];
      for (const name of order) await claim(name, i < 0 ? i - 1_000_000 : i);
    }
    return [
      growthFigure({
        id: 'ledger-growth',
        figure: `ledger claim p99, ${BIG.toLocaleString('en')} rows vs ${SMALL.toLocaleString('en')}`,
        lat,
        labels: { small: `${SMALL.toLocaleString('en')} rows` },
        limit: 1.3,
        quick,
        note: `${K} claims of fresh ids in each, alternating; bulk load of ${BIG.toLocaleString('en')} rows took ${num(loadMs.big / 1000)} s; ${kind}`,
      }),
    ];
  } finally {
    await dropSchemas(db, Object.values(schemas));
    await close();
  }
}
