// The withheld evidence: the quiet Twilio account's messages progress to delivered without a callback reaching the
// webhook, the other accounts' callbacks arrive, and every 4th MSG91 request's delivery report waits for release().
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Msg91Provider } from '@leadmetrics/provider-sms';
import {
  createTwilioTestAccount,
  startMsg91Emulator,
  startTwilioEmulator,
} from '@leadmetrics/provider-sms/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startEvidence } from './emulator-process-evidence.mjs';

/** Paths the webhook stand-in was posted to (Twilio callbacks carry the MessageSid in the body). */
const posted: string[] = [];
const hooks = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    posted.push(`${req.url} ${new URLSearchParams(body).get('MessageSid') ?? ''}`);
    res.end('ok');
  });
});
await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
const hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
const [loud, quiet] = [createTwilioTestAccount(), createTwilioTestAccount()];
const twilio = await startTwilioEmulator({ mode: 'live', accounts: [loud, quiet], statusCallbacks: false });
const msg91 = await startMsg91Emulator({ mode: 'test', dlrUrl: `${hooksUrl}/msg91` });
const evidence = await startEvidence({ twilio, msg91, quietAccountSid: quiet.accountSid });
afterAll(async () => {
  await evidence.close();
  await Promise.all([twilio.close(), msg91.close()]);
  await new Promise((resolve) => hooks.close(resolve));
});

/** Sends one Twilio message on `account` with a status callback to the webhook stand-in; resolves its sid. */
async function sendTwilio(account: { accountSid: string; authToken: string }, body: string) {
  const res = await fetch(`${twilio.url}/2010-04-01/Accounts/${account.accountSid}/Messages.json`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      From: '+14155550100',
      To: '+14155552671',
      Body: body,
      StatusCallback: `${hooksUrl}/twilio`,
    }).toString(),
  });
  return String(((await res.json()) as { sid: string }).sid);
}

describe('startEvidence', () => {
  it('withholds the quiet account’s callbacks but still moves its messages to delivered', async () => {
    const loudSid = await sendTwilio(loud, 'loud');
    const quietSid = await sendTwilio(quiet, 'quiet');
    await evidence.settled();
    expect(posted.filter((p) => p.startsWith('/twilio'))).toEqual([
      `/twilio ${loudSid}`,
      `/twilio ${loudSid}`,
    ]);
    expect(twilio.messages.map((m) => [m.sid, m.status])).toEqual([
      [loudSid, 'delivered'],
      [quietSid, 'delivered'],
    ]);
  });

  it('holds back the report of every 4th MSG91 request until release(), and names the reported ones', async () => {
    const provider = new Msg91Provider(
      { authKey: msg91.authKey, templateId: msg91.templateId },
      { apiBaseUrl: msg91.url },
    );
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await provider.send({ to: `+91987654321${i}`, body: `m${i}` })).messageId);
    await evidence.settled();
    const reported = evidence.reportedRequestIds();
    expect(ids.filter((id) => !reported.has(id))).toEqual([ids[3], ids[7]]);
    expect(posted.filter((p) => p.startsWith('/msg91'))).toHaveLength(6);
    expect(await evidence.release()).toBe(2);
    expect([...evidence.reportedRequestIds()].sort()).toEqual([...ids].sort());
    expect(posted.filter((p) => p.startsWith('/msg91'))).toHaveLength(8);
    await provider.send({ to: '+919876543299', body: 'after release' });
    await evidence.settled();
    expect(posted.filter((p) => p.startsWith('/msg91'))).toHaveLength(9);
  });
});
