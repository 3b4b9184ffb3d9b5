// The Twilio and MSG91 emulators (live mode) in their own child process, each behind a latency proxy, driven over
// IPC: `startEmulatorProcess()` forks this file; the child starts the emulators and answers inject / records /
// close requests. The parent never holds the emulators' state, so a worker's load never shares their event loop.
// Evidence is withheld for a share of messages (see `startEvidence`), so that the ledger's own reconciliation and its
// refusal to re-send are what settles them, not a status callback or delivery report racing every re-ask.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEvidence } from './emulator-process-evidence.mjs';
import { startLatencyProxy } from './latency-proxy.mjs';

/**
 * @typedef {{ accountSid: string, authToken: string }} EmulatorAccount
 * @typedef {{ sid: string, accountSid: string, from: string | null, to: string, body: string, status: string }} TwilioRecord
 * @typedef {{ requestId: string, mobile: string, body: string, crqid?: string, reported: boolean }} Msg91Record
 * @typedef {{ twilio: TwilioRecord[], msg91: Msg91Record[], twilioReceived: number, msg91Received: number,
 *   twilioCallbacks: number, msg91Reports: number }} EmulatorRecords
 * @typedef {{ twilio: { url: string, accounts: EmulatorAccount[] },
 *   msg91: { url: string, authKey: string, templateId: string } }} EmulatorEndpoints
 * @typedef {{ twilioAccounts: number, latencyMs: number }} EmulatorStartOptions
 */

const CHILD_FLAG = '--loadtest-emulator-child';

/**
 * Forks the emulator process and resolves once both emulators listen; `log` gets the child's stderr lines.
 * @param {EmulatorStartOptions} options
 * @param {(line: string) => void} [log]
 */
export async function startEmulatorProcess(options, log = (line) => process.stderr.write(`${line}\n`)) {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (d) => log(`[emulators] ${String(d).trimEnd()}`));
  child.stderr?.on('data', (d) => log(`[emulators] ${String(d).trimEnd()}`));
  let next = 0;
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const waiting = new Map();
  child.on('message', (/** @type {any} */ m) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`emulator process: ${m.error}`));
    else w.resolve(m.value);
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`emulator process exited (${code ?? signal})`));
    waiting.clear();
  });
  /** @param {string} type @param {unknown} [arg] @returns {Promise<any>} */
  const call = (type, arg) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      child.send({ id, type, arg });
    });
  /** @type {EmulatorEndpoints} */
  const endpoints = await call('start', options);
  return {
    ...endpoints,
    /** The emulator process's pid. */
    pid: child.pid,
    /**
     * Queues a fault on one emulator (`@leadmetrics/provider-sms/testing`'s `EmulatorFault`); resolves false (nothing
     * queued) when no request reached that emulator since the previous fault.
     */
    inject: (/** @type {'twilio' | 'msg91'} */ provider, /** @type {object} */ fault) =>
      /** @type {Promise<boolean>} */ (call('inject', { provider, fault })),
    /** Posts the MSG91 delivery reports held back so far (see `startEvidence`); resolves how many, once posted. */
    releaseEvidence: () => /** @type {Promise<number>} */ (call('release-evidence')),
    /** Points MSG91's delivery reports at the webhook process. */
    setDlrUrl: (/** @type {string} */ url) => call('dlr-url', url),
    /** What both emulators recorded (after their pending callbacks and reports were posted). */
    records: () => /** @type {Promise<EmulatorRecords>} */ (call('records')),
    /** Closes the emulators and ends the process. */
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('close').catch(() => {});
      await exited;
    },
  };
}

/** The child side: starts the emulators on the first `start` request and serves the others. */
async function serve() {
  const { createTwilioTestAccount, startMsg91Emulator, startTwilioEmulator } = await import(
    '@leadmetrics/provider-sms/testing'
  );
  /** @type {any} */
  let emu;
  /** @type {Awaited<ReturnType<typeof startEvidence>> | undefined} */
  let evidence;
  /** @type {Record<string, number>} */
  const lastInject = { twilio: -1, msg91: -1 };
  /** @type {Record<string, (arg: any) => Promise<unknown> | unknown>} */
  const handlers = {
    async start(/** @type {EmulatorStartOptions} */ o) {
      const accounts = Array.from({ length: Math.max(1, o.twilioAccounts) }, () => createTwilioTestAccount());
      // Callbacks and reports are fired by `startEvidence`, which withholds a share of them.
      const twilio = await startTwilioEmulator({ mode: 'live', accounts, statusCallbacks: false });
      const msg91 = await startMsg91Emulator({ mode: 'test', balance: 100_000_000 });
      evidence = await startEvidence({ twilio, msg91, quietAccountSid: accounts[0]?.accountSid ?? '' });
      const proxies = [
        await startLatencyProxy(twilio.url, o.latencyMs),
        await startLatencyProxy(msg91.url, o.latencyMs),
      ];
      emu = { twilio, msg91, proxies };
      return {
        twilio: { url: proxies[0]?.url, accounts },
        msg91: { url: proxies[1]?.url, authKey: msg91.authKey, templateId: msg91.templateId },
      };
    },
    // A fault is queued only when a request reached that emulator since the previous one: with little traffic
    // (the tail of a run) faults would otherwise pile up and every later request, e.g. one row's lookups, would hit one.
    inject({ provider, fault }) {
      const seen = emu[provider].requests.length;
      if (seen === lastInject[provider]) return false;
      lastInject[provider] = seen;
      emu[provider].inject(fault);
      return true;
    },
    'release-evidence': () => evidence?.release() ?? 0,
    'dlr-url': (url) => {
      emu.msg91.dlrUrl = url;
    },
    async records() {
      await evidence?.settled();
      await Promise.all([emu.twilio.settled(), emu.msg91.settled()]);
      const reported = evidence?.reportedRequestIds() ?? new Set();
      return {
        twilio: emu.twilio.messages.map((/** @type {any} */ m) => ({
          sid: m.sid,
          accountSid: m.accountSid,
          from: m.from,
          to: m.to,
          body: m.body,
          status: m.status,
        })),
        msg91: emu.msg91.messages.map((/** @type {any} */ m) => ({
          requestId: m.requestId,
          mobile: m.mobile,
          body: m.variables.body ?? '',
          crqid: m.crqid,
          reported: reported.has(m.requestId),
        })),
        twilioReceived: emu.twilio.received,
        msg91Received: emu.msg91.received,
        twilioCallbacks: emu.twilio.callbacks.length,
        msg91Reports: emu.msg91.reports.length,
      };
    },
    async close() {
      await evidence?.close();
      if (emu)
        await Promise.all([
          ...emu.proxies.map((/** @type {any} */ p) => p.close()),
          emu.twilio.close(),
          emu.msg91.close(),
        ]);
    },
  };
  process.on('message', async (/** @type {any} */ m) => {
    try {
      const value = await handlers[m.type]?.(m.arg);
      process.send?.({ id: m.id, value }, () => {
        if (m.type === 'close') process.disconnect();
      });
    } catch (e) {
      process.send?.({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === CHILD_FLAG) await serve();
