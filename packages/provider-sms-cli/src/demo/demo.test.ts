// Smoke test of `pnpm demo`: runs the demo in process (embedded PGlite, both emulators) and checks
// what it printed and wrote: each seeded tenant got the expected provider, source/reason and outcome.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDispatchLog, openDatabase } from '@leadmetrics/provider-sms';
import { afterAll, describe, expect, it } from 'vitest';
import { type DemoReport, runDemo } from './demo.js';

const root = mkdtempSync(join(tmpdir(), 'provider-sms-demo-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pnpm demo', () => {
  it('seeds four tenants and a corrupt row, dispatches a batch, prints the table and logs each send', async () => {
    const dataDir = join(root, 'db');
    let printed = '';
    const report: DemoReport = await runDemo({
      dataDir,
      out: {
        write: (s: string) => {
          printed += s;
          return true;
        },
      },
    });

    // Seeding went through the config service: verification really ran against the emulator.
    expect(report.tenants.map((t) => [t.tenant, t.enabled, t.verified])).toEqual([
      ['acme', true, true],
      ['globex', true, false],
      ['initech', false, true],
      ['umbrella', null, null],
      ['hooli', true, true],
    ]);
    expect(report.tenants[1]?.note).toContain('authentication_failed');

    const row = (label: string) => {
      const r = report.rows.find((x) => x.label === label);
      if (!r) throw new Error(`no row ${label}`);
      return r;
    };
    expect(row('success')).toMatchObject({
      tenant: 'acme',
      provider: 'twilio',
      source: 'tenant',
      reason: null,
      status: 'queued',
    });
    expect(row('success').messageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(row('invalid number')).toMatchObject({
      provider: 'twilio',
      errorCode: 'invalid_recipient',
      providerCode: 21211,
    });
    expect(row('opted out')).toMatchObject({
      provider: 'twilio',
      errorCode: 'recipient_opted_out',
      providerCode: 21610,
    });
    expect(row('unicode')).toMatchObject({ provider: 'twilio', status: 'queued', encoding: 'UCS-2' });
    expect(row('unicode').segments).toBeGreaterThanOrEqual(3);
    expect(row('unverified tenant')).toMatchObject({
      tenant: 'globex',
      provider: 'msg91',
      source: 'platform-default',
      reason: 'tenant_config_unverified',
      status: 'queued',
    });
    expect(row('disabled tenant')).toMatchObject({
      tenant: 'initech',
      provider: 'msg91',
      reason: 'tenant_config_disabled',
    });
    expect(row('MSG91 template')).toMatchObject({
      tenant: 'umbrella',
      provider: 'msg91',
      reason: 'no_tenant_config',
      status: 'queued',
    });
    expect(row('no "+" prefix')).toMatchObject({
      provider: 'msg91',
      errorCode: 'invalid_recipient',
      providerCode: null,
    });
    expect(row('corrupt row')).toMatchObject({
      tenant: 'hooli',
      provider: 'msg91',
      reason: 'tenant_config_undecryptable',
      status: 'queued',
    });
    expect(report.emulators).toEqual({ twilioMessages: 2, msg91Messages: 4 });

    // The printed table names reasons and codes verbatim, and says where to look.
    for (const text of [
      'tenant_config_unverified',
      'tenant_config_disabled',
      'tenant_config_undecryptable',
      'no_tenant_config',
      'invalid_recipient (21211)',
      'recipient_opted_out (21610)',
      'UCS-2',
      'SELECT tenant_id, channel, provider, status, error_code, message_id, created_at FROM notification_dispatch_log',
      dataDir,
    ]) {
      expect(printed).toContain(text);
    }
    expect(printed).toMatch(/^TENANT +CONFIG +ENABLED +VERIFIED +NOTE$/m);
    expect(printed).toMatch(
      /^CASE +TENANT +PROVIDER +SOURCE +REASON +TO +STATUS \/ ERROR +MESSAGE ID +SEGMENTS$/m,
    );
    expect(printed).not.toContain('undefined');

    // Each send's initial status is in notification_dispatch_log.
    const database = await openDatabase({ dataDir });
    try {
      const log = await listDispatchLog(database.db, { limit: 100 });
      expect(log).toHaveLength(report.rows.length);
      expect(
        log
          .filter((e) => e.status === 'failed')
          .map((e) => e.errorCode)
          .sort(),
      ).toEqual(['invalid_recipient', 'invalid_recipient', 'recipient_opted_out']);
      const success = log.find((e) => e.messageId === row('success').messageId);
      expect(success).toMatchObject({
        tenantId: 'acme',
        channel: 'sms',
        provider: 'twilio',
        status: 'queued',
        errorCode: null,
      });
    } finally {
      await database.close();
    }
  }, 120_000);

  it('removes the temporary data dir it created when none was given', async () => {
    const report = await runDemo({ out: { write: () => true } });
    expect(report.database.kind).toBe('pglite');
    expect(report.database.location).toContain('provider-sms-demo-');
    expect(existsSync(report.database.location)).toBe(false);
  }, 120_000);

  it.runIf(Boolean(process.env.DATABASE_URL))(
    'runs the same against DATABASE_URL (schema provider_sms_demo)',
    async () => {
      let printed = '';
      const report = await runDemo({
        databaseUrl: process.env.DATABASE_URL,
        out: { write: (s: string) => (printed += s) },
      });
      expect(report.database).toMatchObject({ kind: 'postgres', schema: 'provider_sms_demo' });
      expect(report.rows.map((r) => r.reason ?? r.source)).toEqual([
        'tenant',
        'tenant',
        'tenant',
        'tenant',
        'tenant_config_unverified',
        'tenant_config_disabled',
        'no_tenant_config',
        'no_tenant_config',
        'tenant_config_undecryptable',
      ]);
      expect(printed).toContain('FROM provider_sms_demo.notification_dispatch_log');
    },
    60_000,
  );
});
