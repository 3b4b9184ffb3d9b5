// The emulator additions the inbox relies on: subscribe(), rejected attempts, fireStatusCallback, fireDeliveryReport.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMsg91DeliveryReport } from '../../webhooks/msg91-report.js';
import { computeTwilioSignature } from '../../webhooks/twilio-signature.js';
import {
  type Msg91Emulator,
  type Msg91EmulatorEvent,
  startMsg91Emulator,
  startTwilioEmulator,
  type TwilioEmulator,
  type TwilioEmulatorEvent,
} from '../index.js';
import { msg91Send, startRecordingWebhook, twilioSend } from './test-helpers.js';

let tw: TwilioEmulator;
let m91: Msg91Emulator;
let hook: Awaited<ReturnType<typeof startRecordingWebhook>>;
beforeAll(async () => {
  hook = await startRecordingWebhook((h) => ({ status: 202, body: `got ${h.body.length}` }));
  tw = await startTwilioEmulator({ statusCallbacks: false });
  m91 = await startMsg91Emulator({ dlrUrl: `${hook.url}/dlr/secret-1` });
});
afterAll(async () => {
  await Promise.all([tw.close(), m91.close(), hook.close()]);
});
afterEach(() => {
  tw.reset();
  m91.reset();
  hook.calls.length = 0;
});

describe('Twilio emulator additions', () => {
  it('reports accepted and rejected messages to subscribers, and records rejections apart from messages', async () => {
    const events: TwilioEmulatorEvent[] = [];
    const off = tw.subscribe((e) => events.push(e));
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'hi' });
    await twilioSend(tw, { From: '+15005550006', To: '+15005550001', Body: 'magic' });
    off();
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'unheard' });
    expect(events.map((e) => e.type)).toEqual(['message', 'rejected']);
    expect(tw.messages).toHaveLength(2);
    expect(tw.rejected).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^RJ[0-9a-f]{32}$/),
        accountSid: tw.accountSid,
        from: '+15005550006',
        to: '+15005550001',
        body: 'magic',
        errorCode: 21211,
        httpStatus: 400,
      }),
    ]);
  });

  it('does not record a request with wrong credentials or a faulted one as rejected', async () => {
    await fetch(`${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`, {
      method: 'POST',
      body: 'To=x',
    });
    tw.inject({ status: 500, json: { code: 20500 } });
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'x' });
    expect(tw.rejected).toHaveLength(0);
  });

  it('fireStatusCallback POSTs a Twilio-signed callback with ErrorCode and keeps the answer', async () => {
    const url = `${hook.url}/twilio/status?tenant=acme`;
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'hi', StatusCallback: url });
    const sid = tw.messages[0]!.sid;
    const events: TwilioEmulatorEvent[] = [];
    tw.subscribe((e) => events.push(e));
    const d = await tw.fireStatusCallback(sid, { status: 'undelivered', errorCode: 30005 });
    expect(d).toMatchObject({ url, responseStatus: 202, responseBody: expect.stringMatching(/^got \d+$/) });
    expect(hook.calls).toHaveLength(1);
    const call = hook.calls[0]!;
    const params = Object.fromEntries(new URLSearchParams(call.body));
    expect(params).toMatchObject({ MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30005' });
    expect(call.headers['x-twilio-signature']).toBe(computeTwilioSignature(tw.authToken, url, params));
    expect(tw.messages[0]).toMatchObject({ status: 'undelivered', errorCode: 30005 });
    expect(events).toEqual([{ type: 'status', message: tw.messages[0], delivery: d }]);
    await tw.fireStatusCallback(sid, { status: 'delivered' });
    expect(tw.messages[0]!.errorCode).toBeUndefined();
    expect(new URLSearchParams(hook.calls[1]!.body).has('ErrorCode')).toBe(false);
  });

  it('fireStatusCallback refuses unknown sids, messages without StatusCallback and bad input', async () => {
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'hi' });
    const sid = tw.messages[0]!.sid;
    await expect(tw.fireStatusCallback('SMnope', { status: 'delivered' })).rejects.toThrow(/no message/);
    await expect(tw.fireStatusCallback(sid, { status: 'delivered' })).rejects.toThrow(/StatusCallback/);
    await expect(
      tw.fireStatusCallback(sid, { status: 'queued' as never, url: `${hook.url}/x` }),
    ).rejects.toThrow(/unsupported/);
    await expect(
      tw.fireStatusCallback(sid, { status: 'failed', errorCode: -1, url: `${hook.url}/x` }),
    ).rejects.toThrow(/errorCode/);
    const d = await tw.fireStatusCallback(sid, { status: 'failed', url: `${hook.url}/override` });
    expect(d.url).toBe(`${hook.url}/override`);
  });

  it('records a failed POST as error', async () => {
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: 'hi',
      StatusCallback: 'http://127.0.0.1:1/none',
    });
    const d = await tw.fireStatusCallback(tw.messages[0]!.sid, { status: 'delivered' });
    expect(d.error).toEqual(expect.any(String));
    expect(d.responseStatus).toBeUndefined();
  });

  it('reset() clears rejected attempts and tells subscribers', async () => {
    const events: TwilioEmulatorEvent[] = [];
    tw.subscribe((e) => events.push(e));
    await twilioSend(tw, { From: '+15005550006', To: '+15005550002', Body: 'x' });
    tw.reset();
    expect(tw.rejected).toHaveLength(0);
    expect(events.at(-1)).toEqual({ type: 'reset' });
  });
});

describe('MSG91 emulator additions', () => {
  it('reports accepted recipients and rejected requests; records sender', async () => {
    const events: Msg91EmulatorEvent[] = [];
    m91.subscribe((e) => events.push(e));
    await msg91Send(m91, {
      sender: 'LDMTRX',
      recipients: [{ mobiles: '919876543210,919876543211', body: 'hi' }],
    });
    await msg91Send(m91, { recipients: [{ mobiles: '910000000301', body: 'magic' }] });
    await fetch(`${m91.url}/api/v5/flow`, { method: 'POST', headers: { authkey: 'wrong' }, body: '{}' });
    expect(events.map((e) => e.type)).toEqual(['message', 'rejected']);
    expect(m91.messages.map((m) => m.sender)).toEqual(['LDMTRX', 'LDMTRX']);
    expect(m91.rejected).toEqual([
      expect.objectContaining({
        templateId: m91.templateId,
        mobiles: ['910000000301'],
        variables: { body: 'magic' },
        errorCode: '301',
        errorMessage: 'Insufficient balance',
        httpStatus: 200,
      }),
    ]);
  });

  it('fireDeliveryReport POSTs a DLR v2 batch that the webhook parser reads', async () => {
    await msg91Send(m91, {
      sender: 'LDMTRX',
      CRQID: 'notif-7',
      recipients: [{ mobiles: '919876543210,919876543211', body: 'hi' }],
    });
    const requestId = m91.messages[0]!.requestId;
    const d = await m91.fireDeliveryReport(requestId, { status: 'failed', mobile: '919876543211', code: 16 });
    expect(d).toMatchObject({ url: `${hook.url}/dlr/secret-1`, responseStatus: 202 });
    const call = hook.calls[0]!;
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const events = await parseMsg91DeliveryReport(
      new Request(call.url, {
        method: 'POST',
        headers: { 'content-type': call.headers['content-type']! },
        body: call.body,
      }),
      { secret: 'secret-1' },
    );
    expect(events).toEqual([
      expect.objectContaining({
        provider: 'msg91',
        messageId: requestId,
        to: '+919876543211',
        status: 'failed',
        code: 'carrier_rejected',
        errorCode: 16,
        reference: 'notif-7',
        from: 'LDMTRX',
      }),
    ]);
    expect(m91.messages.map((m) => m.status)).toEqual([undefined, 'failed']);
    // Default: every recipient, default codes.
    await m91.fireDeliveryReport(requestId, { status: 'delivered' });
    const all = await parseMsg91DeliveryReport(
      new Request(hook.calls[1]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: hook.calls[1]!.body,
      }),
      { secret: 'secret-1' },
    );
    expect(all.map((e) => [e.to, e.status])).toEqual([
      ['+919876543210', 'delivered'],
      ['+919876543211', 'delivered'],
    ]);
    expect(m91.reports).toHaveLength(2);
  });

  it('fireDeliveryReport refuses unknown requests and a missing URL', async () => {
    await msg91Send(m91, { recipients: [{ mobiles: '919876543210', body: 'hi' }] });
    const requestId = m91.messages[0]!.requestId;
    await expect(m91.fireDeliveryReport('nope', { status: 'delivered' })).rejects.toThrow(/no message/);
    const saved = m91.dlrUrl;
    m91.dlrUrl = undefined;
    try {
      await expect(m91.fireDeliveryReport(requestId, { status: 'delivered' })).rejects.toThrow(/dlrUrl/);
    } finally {
      m91.dlrUrl = saved;
    }
  });
});
