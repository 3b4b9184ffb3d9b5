// Figure 6: uncached `resolve()` vs the store read it makes (`store.get()` alone: the same statement on the same
// connection), p99 — on PGlite and on PostgreSQL (DATABASE_URL). Calls alternate one by one (read, resolve, read, …)
// so both see the same load; the difference is what the resolver adds (decrypt, schema check, provider built, cache).
// The resolver's CPU part is also timed alone, over the same rows served from memory.
import { cipherOptions, tenantId } from './fixtures.mjs';
import { boundedLoop, figure, loadPackage, median, num, percentile, signed, times } from './harness.mjs';
import { benchResolver, seedTenants, timed, timedResolve } from './resolve-db.mjs';

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 15;

/**
 * The limit over the read's p99 (analysis.md): FACTOR × read p99 + ALLOWANCE_MS. The allowance covers the resolver's
 * CPU part (≈ 0.03–0.05 ms at p50, ≈ 0.1–0.2 ms at p99 timed alone on a calm machine; printed in the note); the
 * factor covers the tail that a call which runs longer and allocates more picks up on a shared machine (preemption,
 * scavenges): it grows with the machine's noise, as the read's own p99 does.
 */
const FACTOR = 1.5;
const ALLOWANCE_MS = 0.5;
const TARGET = `p99 ≤ ${FACTOR}× read p99 + ${ALLOWANCE_MS} ms`;
const SECONDS_PER_MODE = 3;

const MODES = {
  cold: 'cold (read + decrypt + schema + provider built)',
  invalidated: 'after `invalidate()` (row unchanged: read only)',
};

/** The paired loop of one mode; resolves the resolve and read latencies (ms). */
async function pairs(resolver, store, tenants, mode, { calls, min, warm }) {
  const read = [];
  const res = [];
  const once = async (i) => {
    const id = tenantId(i % tenants);
    read.push(await timed(() => store.get({ tenantId: id, provider: 'twilio', channel: 'sms' })));
    res.push(await timedResolve(resolver, id, mode));
  };
  await boundedLoop({ max: warm }, once);
  read.length = 0;
  res.length = 0;
  // A loaded machine slows every call: stop after SECONDS_PER_MODE once `min` pairs are in.
  await boundedLoop({ max: calls, min, seconds: SECONDS_PER_MODE }, once);
  return { read, res };
}

/** The resolver alone: the same rows from memory (no database), cold; resolves p50 and p99 in µs. */
async function cpuPart(pkg, store, cipher, tenants, calls) {
  const rows = [];
  for (let i = 0; i < tenants; i++)
    rows.push(await store.get({ tenantId: tenantId(i), provider: 'twilio', channel: 'sms' }));
  const memory = { changeChannel: 'bench', get: async (k) => rows[Number(k.tenantId.slice(7))] };
  const resolver = benchResolver(pkg, memory, cipher);
  const out = [];
  for (let i = -200; i < calls; i++) {
    const d = await timedResolve(resolver, tenantId(((i % tenants) + tenants) % tenants), 'cold');
    if (i >= 0) out.push(d * 1000);
  }
  return { p50: median(out), p99: percentile(out, 99) };
}

function row(kind, mode, { read, res }, tenants, cpu) {
  const p99r = percentile(res, 99);
  const p99b = percentile(read, 99);
  const limit = FACTOR * p99b + ALLOWANCE_MS;
  const cpuNote = cpu
    ? `; the resolver's CPU part alone (same rows from memory): p50 ${num(cpu.p50)} µs, p99 ${num(cpu.p99)} µs`
    : '';
  return figure({
    id: 'resolve-uncached',
    figure: `uncached \`resolve()\`, ${MODES[mode]}, ${kind}, p99`,
    value: `${num(p99r)} ms (p50 ${num(median(res))})`,
    baseline: `the same read alone (\`store.get()\`) p99 ${num(p99b)} ms (p50 ${num(median(read))}); limit ${num(limit)} ms`,
    ratio: `${times(p99r / p99b)}; p50 ${signed(median(res) - median(read))} ms`,
    target: TARGET,
    pass: p99r <= limit,
    note: `${res.length} alternating pairs over ${tenants} tenants, ${mode === 'cold' ? 'cache cleared' : 'tenant invalidated'} before each resolve${cpuNote}`,
    numbers: { subjectP99Ms: p99r, baselineP99Ms: p99b, limitMs: limit },
  });
}

async function measure(pkg, kind, databaseUrl, { quick }) {
  const opened = await pkg.openDatabase(databaseUrl ? { databaseUrl, maxConnections: 1 } : {});
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  try {
    const { db } = opened;
    await pkg.migrate(db, { schema });
    const store = pkg.createPostgresConfigStore(db, { schema });
    const cipher = pkg.createConfigCipher(cipherOptions());
    const tenants = quick ? 5 : 100;
    await seedTenants(db, schema, cipher, tenants);
    const resolver = benchResolver(pkg, store, cipher);
    const opts = { calls: quick ? 20 : 2000, min: quick ? 20 : 1000, warm: quick ? 5 : 200 };
    const cpu = await cpuPart(pkg, store, cipher, tenants, quick ? 20 : 2000);
    return [
      row(kind, 'cold', await pairs(resolver, store, tenants, 'cold', opts), tenants, cpu),
      row(kind, 'invalidated', await pairs(resolver, store, tenants, 'invalidated', opts), tenants),
    ];
  } finally {
    if (opened.kind === 'postgres')
      await opened.db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await opened.close();
  }
}

export async function run({ quick = false, databaseUrl = process.env.DATABASE_URL } = {}) {
  const pkg = await loadPackage([
    'createSmsProviderResolver',
    'createConfigCipher',
    'createPostgresConfigStore',
    'migrate',
    'openDatabase',
  ]);
  const rows = await measure(pkg, 'PGlite', undefined, { quick });
  if (databaseUrl) rows.push(...(await measure(pkg, 'PostgreSQL', databaseUrl, { quick })));
  else
    rows.push(
      figure({
        id: 'resolve-uncached',
        figure: 'uncached `resolve()`, PostgreSQL, p99',
        value: 'skipped',
        baseline: '—',
        ratio: '—',
        target: TARGET,
        pass: null,
        note: 'DATABASE_URL not set (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)',
        numbers: {},
      }),
    );
  return rows;
}
