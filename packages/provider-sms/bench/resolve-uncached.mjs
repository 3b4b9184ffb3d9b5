// Figure 6: uncached `resolve()` (store read + decrypt + schema check; the tenant is invalidated before each
// call) vs a bare `SELECT 1` on the same connection, p99 — on PGlite and on PostgreSQL (DATABASE_URL).
// Calls alternate one by one (SELECT 1, resolve, SELECT 1, …) so both see the same load.
import { performance } from 'node:perf_hooks';
import { cipherOptions, tenantConfig, tenantId, unusedPlatformDefault } from './fixtures.mjs';
import { figure, loadPackage, median, num, percentile, times } from './harness.mjs';

async function measure(pkg, kind, databaseUrl, { quick }, mode) {
  const { createSmsProviderResolver, createConfigCipher, createPostgresConfigStore, migrate, openDatabase } =
    pkg;
  const opened = await openDatabase(databaseUrl ? { databaseUrl, maxConnections: 1 } : {});
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  try {
    const { db } = opened;
    await migrate(db, { schema });
    const store = createPostgresConfigStore(db, { schema });
    const cipher = createConfigCipher(cipherOptions());
    const config = tenantConfig({ accountSid: `AC${'a'.repeat(32)}`, authToken: 'b'.repeat(32) });
    const tenants = quick ? 5 : 100;
    for (let i = 0; i < tenants; i++) {
      const key = { tenantId: tenantId(i), provider: 'twilio', channel: 'sms' };
      const row = await store.upsert(
        key,
        cipher.encrypt(JSON.stringify(config), {
          tenantId: key.tenantId,
          channel: 'sms',
          provider: 'twilio',
        }),
      );
      await store.markVerified(key, row.configVersion, { ok: true });
    }
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault: unusedPlatformDefault,
      twilioOptions: { apiBaseUrl: 'http://127.0.0.1:9' },
    });
    const calls = quick ? 20 : 2000;
    const warm = quick ? 5 : 200;
    const sel = [];
    const res = [];
    for (let i = -warm; i < calls; i++) {
      const id = tenantId(((i % tenants) + tenants) % tenants);
      let t = performance.now();
      await db.query('SELECT 1');
      const s = performance.now() - t;
      // cold: nothing cached (read, decrypt, schema check, provider built); invalidated: what a change
      // notification leaves (read; an unchanged row reuses its provider without decrypting again).
      if (mode === 'cold') resolver.clear();
      else resolver.invalidate(id);
      t = performance.now();
      const r = await resolver.resolve(id);
      const d = performance.now() - t;
      if (r.source !== 'tenant') throw new Error(`${id} resolved to ${r.source} (${r.reason})`);
      if (i >= 0) {
        sel.push(s);
        res.push(d);
      }
    }
    const p99r = percentile(res, 99);
    const p99s = percentile(sel, 99);
    const limit = 2 * p99s + 1;
    return figure({
      id: 'resolve-uncached',
      figure:
        mode === 'cold'
          ? `uncached \`resolve()\`, cold (read + decrypt + schema + provider built), ${kind}, p99`
          : `uncached \`resolve()\` after \`invalidate()\` (row unchanged), ${kind}, p99`,
      value: `${num(p99r)} ms (p50 ${num(median(res))})`,
      baseline: `\`SELECT 1\` p99 ${num(p99s)} ms (p50 ${num(median(sel))})`,
      ratio: `${times(p99r / p99s)}; limit ${num(limit)} ms`,
      target: 'p99 ≤ 2× `SELECT 1` + 1 ms',
      pass: p99r <= limit,
      note: `${calls} alternating calls over ${tenants} tenants, ${mode === 'cold' ? 'cache cleared' : 'tenant invalidated'} before each resolve`,
      numbers: { subjectP99Ms: p99r, baselineP99Ms: p99s, limitMs: limit },
    });
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
  const rows = [
    await measure(pkg, 'PGlite', undefined, { quick }, 'cold'),
    await measure(pkg, 'PGlite', undefined, { quick }, 'invalidated'),
  ];
  if (databaseUrl) {
    rows.push(await measure(pkg, 'PostgreSQL', databaseUrl, { quick }, 'cold'));
    rows.push(await measure(pkg, 'PostgreSQL', databaseUrl, { quick }, 'invalidated'));
  } else {
    rows.push(
      figure({
        id: 'resolve-uncached',
        figure: 'uncached `resolve()` incl. decrypt, PostgreSQL, p99',
        value: 'skipped',
        baseline: '—',
        ratio: '—',
        target: 'p99 ≤ 2× `SELECT 1` + 1 ms',
        pass: null,
        note: 'DATABASE_URL not set (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)',
        numbers: {},
      }),
    );
  }
  return rows;
}
