// Smoke test of `pnpm demo`: runs the demo in process (embedded PGlite, both emulators) and checks
// what it printed and wrote: each seeded tenant got the expected provider, source/reason and outcome.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@leadmetrics/provider-sms';
import { afterAll, describe, expect, it } from 'vitest';
import { type DemoReport, runDemo } from './demo.js';

const root = mkdtempSync(join(tmpdir(), 'provider-sms-demo-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pnpm demo', () => {
  it('seeds four tenants and a corrupt row, dispatches a batch through the ledger, prints the table, re-sends one deduplicated, receives its delivery', async () => {
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
    expect(report.emulators).toEqual({ twilioMessages: 3, msg91Messages: 4 }); // + demo-unknown's one message

    // The dispatcher left a ledger state per notification.
    expect(report.rows.map((r) => [r.notificationId, r.state])).toEqual([
      ['demo-1', 'accepted'],
      ['demo-2', 'rejected'],
      ['demo-3', 'rejected'],
      ['demo-4', 'accepted'],
      ['demo-5', 'accepted'],
      ['demo-6', 'accepted'],
      ['demo-7', 'accepted'],
      ['demo-8', null], // a malformed number: refused before the claim, no row
      ['demo-9', 'accepted'],
    ]);
    // A re-send of demo-1: the stored result, no request reached the emulator (the counts above include it).
    expect(report.resend).toEqual({
      notificationId: 'demo-1',
      deduplicated: true,
      messageId: row('success').messageId,
      providerRequests: 0,
    });
    // The emulator's signed status callbacks reached createStatusWebhookHandler.
    expect(report.delivery).toMatchObject({ notificationId: 'demo-1', messageId: row('success').messageId });
    expect(report.delivery.statuses).toEqual(['sent', 'delivered']);
    // With the ledger on the webhook handler, the callbacks are written to the row.
    expect(report.delivery.ledgerStatus).toBe('delivered');
    // An unknown outcome (recorded by the emulator, then the connection reset) reconciled: found, nothing sent twice.
    expect(report.reconciled).toMatchObject({
      notificationId: 'demo-unknown',
      stateAfterFailure: 'unknown',
      reconciledState: 'accepted',
      settledBy: expect.stringMatching(/^(reconciliation sweep|status callback)$/),
      deduplicated: true,
      providerRequests: 0,
    });
    expect(report.reconciled.messageId).toMatch(/^SM[0-9a-f]{32}$/);

    // The printed table names reasons and codes verbatim, and says where to look.
    for (const text of [
      'tenant_config_unverified',
      'tenant_config_disabled',
      'tenant_config_undecryptable',
      'no_tenant_config',
      'invalid_recipient (21211)',
      'recipient_opted_out (21610)',
      'UCS-2',
      'SELECT tenant_id, notification_id, state, provider, status, message_id, created_at FROM notification_dispatch_log',
      'deduplicated: true',
      'provider requests: 0',
      'sent → delivered',
      dataDir,
    ]) {
      expect(printed).toContain(text);
    }
    expect(printed).toMatch(/^TENANT +CONFIG +ENABLED +VERIFIED +NOTE$/m);
    expect(printed).toMatch(
      /^CASE +NOTIFICATION +TENANT +PROVIDER +SOURCE +REASON +TO +LEDGER +STATUS \/ ERROR +MESSAGE ID +SEGMENTS$/m,
    );
    expect(printed).not.toContain('undefined');

    // Each notification has its ledger row (the body never stored).
    const database = await openDatabase({ dataDir });
    try {
      const res = await database.db.query(
        'SELECT notification_id, state, message_id FROM notification_dispatch_log ORDER BY notification_id',
      );
      expect(res.rows.map((r) => [r.notification_id, r.state])).toEqual([
        ...report.rows.filter((r) => r.state !== null).map((r) => [r.notificationId, r.state]),
        ['demo-unknown', 'accepted'], // found by the reconciler
      ]);
      expect(res.rows[0]).toMatchObject({ message_id: row('success').messageId });
      const dump = JSON.stringify((await database.db.query('SELECT * FROM notification_dispatch_log')).rows);
      expect(dump).not.toContain('your code is');
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
      expect(report.resend).toMatchObject({ deduplicated: true, providerRequests: 0 });
    },
    60_000,
  );
});
