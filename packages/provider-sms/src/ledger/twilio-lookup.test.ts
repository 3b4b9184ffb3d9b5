// findTwilioMessage against the live-mode emulator's list: paging newest first, the window, the sender, the body.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { TwilioProvider } from '../providers/twilio.js';
import {
  createTwilioTestAccount,
  startTwilioEmulator,
  TWILIO_VALID_FROM,
  type TwilioEmulator,
} from '../testing/index.js';
import type { SmsLedgerAttempt } from './ledger-row.js';
import { findTwilioMessage } from './twilio-lookup.js';

const account = createTwilioTestAccount();
let live: TwilioEmulator;
beforeAll(async () => {
  live = await startTwilioEmulator({ mode: 'live', accounts: [account], statusCallbacks: false });
});
afterAll(() => live?.close());
beforeEach(() => live.reset());

const TO = '+14155550174';
const provider = () =>
  new TwilioProvider(
    { accountSid: account.accountSid, authToken: account.authToken, fromNumber: TWILIO_VALID_FROM },
    { apiBaseUrl: live.url, timeoutMs: 5_000 },
  );
const attempt = (startedAt: Date, settleBy: Date): SmsLedgerAttempt => ({
  id: 'a1',
  startedAt,
  settleBy,
  provider: 'twilio',
  accountSid: account.accountSid,
  sender: TWILIO_VALID_FROM,
});
const lookup = (attempts: SmsLedgerAttempt[], body = 'ours') =>
  findTwilioMessage(provider(), {
    to: TO,
    attempts,
    bodyMatches: (b) => b === body,
    taken: async () => false,
    pageSize: 2,
  });
const shift = (ms: number) => {
  for (const m of live.messages) m.createdAt = new Date(m.createdAt.getTime() + ms);
};

it('pages newest first past later messages to the one inside the window, without a DateSent filter', async () => {
  const p = provider();
  await p.send({ to: TO, body: 'ours' });
  shift(-600_000); // created 10 minutes ago
  for (let i = 0; i < 5; i++) await p.send({ to: TO, body: `later ${i}` });
  const start = new Date(Date.now() - 601_000);
  const found = await lookup([attempt(start, new Date(start.getTime() + 70_000))]);
  expect(found).toMatchObject({ kind: 'found', message: { sid: live.messages[0]?.sid, body: 'ours' } });
  const listed = live.requests.filter((r) => r.method === 'GET');
  expect(listed.length).toBeGreaterThanOrEqual(3); // 6 messages, 2 a page
  for (const r of listed) expect(r.path).not.toMatch(/DateSent/);
});

it('stops at the first message created before the window: nothing older is read', async () => {
  const p = provider();
  for (let i = 0; i < 6; i++) await p.send({ to: TO, body: 'ours' });
  shift(-600_000); // all created 10 minutes before the attempt
  const start = new Date();
  expect(await lookup([attempt(start, new Date(start.getTime() + 70_000))])).toEqual({ kind: 'none' });
  expect(live.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
});

it('a message from another sender is no candidate; one from ours with another body is ambiguous', async () => {
  const p = provider();
  await p.send({ to: TO, body: 'someone else' });
  const [m] = live.messages;
  if (m) m.from = '+14155550999';
  const start = new Date(Date.now() - 5_000);
  const window = [attempt(start, new Date(start.getTime() + 70_000))];
  expect(await lookup(window)).toEqual({ kind: 'none' });
  if (m) m.from = TWILIO_VALID_FROM;
  expect(await lookup(window)).toEqual({ kind: 'ambiguous' });
});
