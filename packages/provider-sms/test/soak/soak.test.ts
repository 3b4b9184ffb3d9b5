// Soak (issue 7), run with SOAK=1 (`pnpm test:soak`): 10 000 sends with ~10% injected faults through
// createSmsSender + the real resolver + the real providers against the emulators. Checks that every send is
// accounted for exactly once (a result or an SmsError), that nothing was sent twice, that a not_sent error was
// really not sent, that no socket or timer is left behind, and that the heap is stable. Prints the figures.
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createConfigCipher } from '../../src/config/cipher.js';
import type { SmsConfigStore, StoredProviderConfig } from '../../src/config/store.js';
import { isSmsError, type SmsError } from '../../src/errors.js';
import { Msg91Provider } from '../../src/providers/msg91.js';
import { createSmsProviderResolver } from '../../src/resolver.js';
import { createSmsSender, type SmsSenderEvent } from '../../src/sender.js';
import type { EmulatorFault } from '../../src/testing/core.js';
import { startMsg91Emulator } from '../../src/testing/msg91-emulator.js';
import { startTwilioEmulator, TWILIO_VALID_FROM } from '../../src/testing/twilio-emulator.js';

const SOAK = process.env.SOAK === '1';
const SENDS = Number(process.env.SOAK_SENDS ?? 10_000);
const FAULT_RATE = Number(process.env.SOAK_FAULT_RATE ?? 0.1);
// Client and emulators share one event loop: keep the concurrency moderate so queueing does not look like timeouts.
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 16);
const BATCH = 500;
const TIMEOUT_MS = 3_000;
const TENANTS = 40; // half with a verified Twilio config, half on the platform default

/** Faults drawn uniformly; `resolve` is a config-store outage for that send's tenant. */
const FAULTS: (EmulatorFault | 'resolve')[] = [
  { status: 500, json: { code: 20500, message: 'Internal Server Error' } },
  { status: 503, json: { code: 20503, message: 'Service Unavailable' } },
  { status: 502, text: '<html><h1>502 Bad Gateway</h1></html>', headers: { 'content-type': 'text/html' } },
  { status: 200, text: '{"sid": "SM12', headers: { 'content-type': 'application/json' } },
  { status: 429, json: { code: 20429, message: 'Too Many Requests' }, headers: { 'retry-after': '0' } },
  { resetSocket: 'before-response' },
  { resetSocket: 'mid-response' },
  { delayMs: TIMEOUT_MS + 500 },
  'resolve',
];

function gcNow(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    return () => {
      gc();
      gc();
    };
  } catch {
    return undefined;
  }
}

const countResources = () => {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
};

describe.skipIf(!SOAK)('soak: createSmsSender against the emulators', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it(`${SENDS} sends with ${FAULT_RATE * 100}% faults: all accounted for, no duplicates, no leaks`, async () => {
    const gc = gcNow();
    gc?.();
    const resourcesBefore = countResources();

    const tw = await startTwilioEmulator({ statusCallbacks: false });
    const m91 = await startMsg91Emulator();
    let closed = false;
    const closeAll = async () => {
      if (closed) return;
      closed = true;
      await tw.close();
      await m91.close();
    };
    cleanups.push(closeAll);

    const cipher = createConfigCipher({ keys: { k1: randomBytes(32) }, activeKeyId: 'k1' });
    const rows = new Map<string, StoredProviderConfig>();
    const down = new Set<string>();
    for (let t = 0; t < TENANTS; t += 2) {
      const tenantId = `tenant-${t}`;
      const now = new Date();
      const config = JSON.stringify({
        accountSid: tw.accountSid,
        authToken: tw.authToken,
        fromNumber: TWILIO_VALID_FROM,
      });
      rows.set(tenantId, {
        id: `row-${t}`,
        tenantId,
        channel: 'sms',
        provider: 'twilio',
        config: cipher.encrypt(config, { tenantId, channel: 'sms', provider: 'twilio' }),
        enabled: true,
        verifiedAt: now,
        verificationError: null,
        configVersion: 1,
        createdAt: now,
        updatedAt: now,
      });
    }
    const store = {
      changeChannel: 'notification_providers_changed',
      async get({ tenantId }: { tenantId: string }) {
        if (down.has(tenantId)) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return rows.get(tenantId);
      },
    } as unknown as SmsConfigStore;
    const platformDefault = new Msg91Provider(
      { authKey: m91.authKey, templateId: m91.templateId },
      { apiBaseUrl: m91.url, timeoutMs: TIMEOUT_MS },
    );
    const resolver = createSmsProviderResolver({
      store,
      cipher,
      platformDefault,
      twilioOptions: { apiBaseUrl: tw.url, timeoutMs: TIMEOUT_MS },
    });
    const eventCounts: Record<string, number> = {};
    const sender = createSmsSender({
      resolver,
      platformDefault,
      failover: 'platform-default',
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, maxRetryAfterMs: 1_000 },
      circuitBreaker: { failureThreshold: 5, cooldownMs: 200 },
      onEvent: (e: SmsSenderEvent) => {
        const k =
          e.type === 'circuit' ? `circuit:${e.state}` : e.type === 'give_up' ? `give_up:${e.reason}` : e.type;
        eventCounts[k] = (eventCounts[k] ?? 0) + 1;
      },
    });

    const settled = new Map<number, 'result' | 'error'>();
    let doubleSettled = 0;
    let results = 0;
    let failedOver = 0;
    let faultsInjected = 0;
    let duplicates = 0;
    let notSentButRecorded = 0;
    let successNotRecorded = 0;
    let nonSmsErrors = 0;
    const errorCodes: Record<string, number> = {};
    let heapAfterWarmup = 0;
    let rng = 0x2545f491;
    const random = () => {
      rng ^= rng << 13;
      rng ^= rng >>> 17;
      rng ^= rng << 5;
      return (rng >>> 0) / 0x1_0000_0000;
    };
    const t0 = Date.now();

    for (let start = 0; start < SENDS; start += BATCH) {
      const end = Math.min(SENDS, start + BATCH);
      const outcomes = new Map<number, { ok: boolean; outcome?: 'not_sent' | 'unknown' }>();
      let next = start;
      const worker = async () => {
        while (next < end) {
          const i = next++;
          const tenantId = `tenant-${i % TENANTS}`;
          const twilioTenant = rows.has(tenantId);
          const isFault = random() < FAULT_RATE;
          let faultTenant: string | undefined;
          if (isFault) {
            faultsInjected++;
            const f = FAULTS[Math.floor(random() * FAULTS.length)] as EmulatorFault | 'resolve';
            if (f === 'resolve') {
              faultTenant = `down-${i}`; // never cached: the store outage is visible
              down.add(faultTenant);
            } else {
              (twilioTenant ? tw : m91).inject(f);
            }
          }
          const id = `soak-${i}`;
          const settle = (kind: 'result' | 'error') => {
            if (settled.has(i)) doubleSettled++;
            settled.set(i, kind);
          };
          try {
            const r = await sender.send(faultTenant ?? tenantId, {
              to: twilioTenant ? '+14155552671' : '+919876543210',
              body: `Your code is ${i} ${id}`,
              reference: id,
            });
            settle('result');
            results++;
            if (r.failedOver) failedOver++;
            outcomes.set(i, { ok: true });
          } catch (e) {
            settle('error');
            if (!isSmsError(e)) {
              nonSmsErrors++;
              continue;
            }
            const err = e as SmsError;
            errorCodes[`${err.code}/${err.outcome}`] = (errorCodes[`${err.code}/${err.outcome}`] ?? 0) + 1;
            outcomes.set(i, { ok: false, outcome: err.outcome });
          } finally {
            if (faultTenant) down.delete(faultTenant);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));

      // Reconcile the batch with what the emulators recorded: never twice; not_sent means not sent.
      const recorded = new Map<number, number>();
      const bump = (text: string | undefined) => {
        const m = /soak-(\d+)/.exec(text ?? '');
        if (m) recorded.set(Number(m[1]), (recorded.get(Number(m[1])) ?? 0) + 1);
      };
      for (const msg of tw.messages) bump(msg.body);
      for (const msg of m91.messages) bump(msg.crqid);
      for (const [i, o] of outcomes) {
        const n = recorded.get(i) ?? 0;
        if (n > 1) duplicates++;
        if (o.ok && n !== 1) successNotRecorded++;
        if (!o.ok && o.outcome === 'not_sent' && n !== 0) notSentButRecorded++;
      }
      tw.reset();
      m91.reset();
      if (start === 0) {
        gc?.();
        heapAfterWarmup = process.memoryUsage().heapUsed;
      }
    }
    const elapsedMs = Date.now() - t0;
    resolver.clear();
    gc?.();
    const heapEnd = process.memoryUsage().heapUsed;

    await closeAll();
    await new Promise((r) => setTimeout(r, 200));
    gc?.();
    const resourcesAfter = countResources();

    const figures = {
      sends: SENDS,
      faultsInjected,
      accounted: settled.size,
      results,
      errors: settled.size - results,
      failedOver,
      doubleSettled,
      nonSmsErrors,
      duplicates,
      notSentButRecorded,
      successNotRecorded,
      errorCodes,
      events: eventCounts,
      heapAfterWarmupMB: +(heapAfterWarmup / 2 ** 20).toFixed(1),
      heapEndMB: +(heapEnd / 2 ** 20).toFixed(1),
      gcExposed: gc !== undefined,
      resourcesBefore,
      resourcesAfter,
      elapsedMs,
    };
    console.log(`SOAK FIGURES ${JSON.stringify(figures, null, 2)}`);

    expect(settled.size).toBe(SENDS);
    expect(doubleSettled).toBe(0);
    expect(nonSmsErrors).toBe(0);
    expect(duplicates).toBe(0);
    expect(notSentButRecorded).toBe(0);
    expect(successNotRecorded).toBe(0);
    expect(faultsInjected).toBeGreaterThan(SENDS * FAULT_RATE * 0.8);
    // No sockets or timers left behind (the process can exit on its own).
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap', 'Timeout']) {
      expect(resourcesAfter[kind] ?? 0, kind).toBeLessThanOrEqual(resourcesBefore[kind] ?? 0);
    }
    if (gc) expect(heapEnd - heapAfterWarmup).toBeLessThan(32 * 2 ** 20);
  }, 1_800_000);
});
