// The MSG91 emulator's live mode: delivery reports POSTed by itself (CRQID echoed) and a settable balance.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Msg91Provider } from '../providers/msg91.js';
import { createStatusWebhookHandler, toNodeListener } from '../webhooks/handler.js';
import type { SmsStatusEvent } from '../webhooks/status.js';
import { type Msg91Emulator, startMsg91Emulator } from './msg91-emulator.js';

const SECRET = 'msg91-live-secret-0042';
const ATTEMPT = 'Zk3-9_aB1cD2eF3gH4iJ5k';
const TO = '+919876543210';

let hooks: Server;
let dlrUrl: string;
const events: SmsStatusEvent[] = [];

beforeAll(async () => {
  const handler = createStatusWebhookHandler({
    onEvent: (e) => {
      events.push(e);
    },
    msg91Secret: SECRET,
  });
  hooks = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  dlrUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/msg91/${SECRET}`;
});
afterAll(() => new Promise((resolve) => hooks.close(resolve)));

async function withEmulator(
  opts: Parameters<typeof startMsg91Emulator>[0],
  fn: (m: Msg91Emulator, provider: Msg91Provider) => Promise<void>,
) {
  const m = await startMsg91Emulator(opts);
  try {
    events.length = 0;
    await fn(m, new Msg91Provider({ authKey: m.authKey, templateId: m.templateId }, { apiBaseUrl: m.url }));
  } finally {
    await m.close();
  }
}

describe('MSG91 emulator live mode: delivery reports by itself', () => {
  it('after a send it POSTs a delivered report with the CRQID; the handler’s event carries the attempt id', async () => {
    await withEmulator({ mode: 'live', dlrUrl }, async (m, provider) => {
      expect(m.mode).toBe('live');
      const { messageId } = await provider.send({ to: TO, body: 'hi' }, { attemptId: ATTEMPT });
      await m.settled();
      expect(m.reports).toHaveLength(1);
      expect(m.reports[0]).toMatchObject({ url: dlrUrl, reported: 'delivered', responseStatus: 200 });
      expect(m.messages[0]).toMatchObject({ crqid: ATTEMPT, status: 'delivered' });
      expect(events.map((e) => [e.messageId, e.status, e.attemptId, e.to])).toEqual([
        [messageId, 'delivered', ATTEMPT, TO],
      ]);
    });
  });

  it('dlrDelayMs is configurable; without a dlrUrl nothing is posted; a bad delay or mode is refused', async () => {
    await withEmulator({ mode: 'live', dlrDelayMs: 0 }, async (m, provider) => {
      await provider.send({ to: TO, body: 'hi' });
      await m.settled();
      expect(m.reports).toHaveLength(0);
      m.dlrUrl = dlrUrl;
      await provider.send({ to: TO, body: 'again' });
      await m.settled();
      expect(m.reports).toHaveLength(1);
    });
    await expect(startMsg91Emulator({ mode: 'live', dlrDelayMs: -1 })).rejects.toThrow(/dlrDelayMs/);
    await expect(startMsg91Emulator({ mode: 'bogus' as 'live' })).rejects.toThrow(/mode/);
  });

  it('the default mode posts nothing by itself (reports only through fireDeliveryReport)', async () => {
    await withEmulator({ dlrUrl }, async (m, provider) => {
      expect(m.mode).toBe('test');
      const { messageId } = await provider.send({ to: TO, body: 'hi' });
      await m.settled();
      expect(m.reports).toHaveLength(0);
      await m.fireDeliveryReport(messageId, { status: 'failed' });
      await m.settled();
      expect(events.map((e) => e.status)).toEqual(['failed']);
    });
  });
});

describe('MSG91 emulator: settable balance', () => {
  it('setBalance(n) is what balance.php answers and what sends draw on (301 once used up)', async () => {
    await withEmulator({ mode: 'live', balance: 5 }, async (m, provider) => {
      const balance = async () =>
        (await fetch(`${m.url}/api/balance.php?authkey=${m.authKey}&type=4`)).text();
      expect(await balance()).toBe('5');
      m.setBalance(1);
      expect(await balance()).toBe('1');
      await provider.send({ to: TO, body: 'one' });
      await expect(provider.send({ to: TO, body: 'two' })).rejects.toMatchObject({
        code: 'insufficient_balance',
      });
      expect(m.balance).toBe(0);
      expect(() => m.setBalance(-1)).toThrow(RangeError);
      expect(() => m.setBalance(1.5)).toThrow(RangeError);
    });
    await expect(startMsg91Emulator({ balance: -3 })).rejects.toThrow(/balance/);
  });
});
