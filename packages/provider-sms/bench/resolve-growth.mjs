// Figure (behind `--growth`): uncached `resolve()` p99 with 100 000 tenant rows vs 100, on PostgreSQL only. Each table is
// bulk-loaded (real envelopes, verified rows, INSERT … SELECT FROM unnest) into its own schema, dropped afterwards;
// cold resolves alternate between the two (same connection pool), so both see the same load.
import { benchSchema } from './bench-db.mjs';
import { cipherOptions, tenantId } from './fixtures.mjs';
import { dropSchemas, growthFigure } from './growth.mjs';
import { figure, loadPackage, num } from './harness.mjs';
import { benchResolver, seedTenants, timedResolve } from './resolve-db.mjs';

/** Seconds this figure may take in its run (run.mjs prints its time beside it). */
export const budgetSeconds = 30;

const TARGET = 1.2;

const skipped = (note) =>
  figure({
    id: 'resolve-growth',
    figure: 'uncached `resolve()` p99, 100 000 tenant rows vs 100',
    value: '—',
    baseline: '—',
    ratio: '—',
    target: `≤ ${TARGET}×`,
    pass: null,
    note,
    numbers: {},
  });

export async function run({ quick = false, databaseUrl = process.env.DATABASE_URL } = {}) {
  if (!databaseUrl) return [skipped('skipped: needs DATABASE_URL (PostgreSQL)')];
  const pkg = await loadPackage(['createSmsProviderResolver', 'createPostgresConfigStore', 'openDatabase']);
  const sizes = { small: 100, big: quick ? 2_000 : 100_000 };
  const calls = quick ? 20 : 3_000;
  const opened = await pkg.openDatabase({ databaseUrl, maxConnections: 2 });
  const schemas = { small: benchSchema(), big: benchSchema() };
  try {
    const cipher = pkg.createConfigCipher(cipherOptions());
    const resolvers = {};
    const loadMs = {};
    for (const name of ['small', 'big']) {
      await pkg.migrate(opened.db, { schema: schemas[name] });
      loadMs[name] = await seedTenants(opened.db, schemas[name], cipher, sizes[name]);
      resolvers[name] = benchResolver(
        pkg,
        pkg.createPostgresConfigStore(opened.db, { schema: schemas[name] }),
        cipher,
      );
    }
    const lat = { small: [], big: [] };
    // The big table's tenants are taken from all over it (a stride prime to its size), the small one's in turn.
    const pick = (name, i) => tenantId(name === 'small' ? i % sizes.small : (i * 7919) % sizes.big);
    for (let i = -(quick ? 5 : 200); i < calls; i++) {
      const order = i % 2 ? ['small', 'big'] : ['big', 'small'];
      for (const name of order) {
        const ms = await timedResolve(resolvers[name], pick(name, Math.abs(i)), 'cold');
        if (i >= 0) lat[name].push(ms);
      }
    }
    const big = sizes.big.toLocaleString('en');
    return [
      growthFigure({
        id: 'resolve-growth',
        figure: `uncached \`resolve()\` p99 (cold), ${big} tenant rows vs ${sizes.small}, PostgreSQL`,
        lat,
        labels: { small: `${sizes.small} rows` },
        limit: TARGET,
        quick,
        note: `${calls} cold resolves in each, alternating; bulk load of ${big} rows (encrypted for their tenants) took ${num(loadMs.big / 1000)} s`,
      }),
    ];
  } finally {
    await dropSchemas(opened.db, Object.values(schemas));
    await opened.close();
  }
}
