// The inbox's JSON API, event stream and page, against real emulators and a recording webhook.
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMsg91DeliveryReport } from '../../webhooks/msg91-report.js';
import { computeTwilioSignature } from '../../webhooks/twilio-signature.js';
import {
  type Msg91Emulator,
  type SmsInbox,
  type SmsInboxMessage,
  startMsg91Emulator,
  startSmsInbox,
  startTwilioEmulator,
  type TwilioEmulator,
} from '../index.js';
import { msg91Send, startRecordingWebhook, twilioSend } from './test-helpers.js';

let tw: TwilioEmulator;
let m91: Msg91Emulator;
let hook: Awaited<ReturnType<typeof startRecordingWebhook>>;
let inbox: SmsInbox;
let dlrUrl: string;

beforeAll(async () => {
  hook = await startRecordingWebhook((h) => ({ status: 200, body: `<b>handled</b> ${h.method}` }));
  dlrUrl = `${hook.url}/sms/msg91/dlr-secret`;
  tw = await startTwilioEmulator({ statusCallbacks: false });
  m91 = await startMsg91Emulator();
  inbox = await startSmsInbox({ twilio: tw, msg91: m91, port: 0, msg91DlrUrl: dlrUrl });
});
afterAll(async () => {
  await inbox.close();
  await Promise.all([tw.close(), m91.close(), hook.close()]);
});
afterEach(() => {
  tw.reset();
  m91.reset();
  hook.calls.length = 0;
});

const api = (path: string, init?: RequestInit) => fetch(new URL(path, inbox.url), init);
const list = async (query = '') => {
  const res = await api(`/api/messages${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: SmsInboxMessage[] }).messages;
};
const postStatus = (id: string, body: unknown, contentType = 'application/json') =>
  api(`/api/messages/${encodeURIComponent(id)}/status`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
  });
const callbackUrl = () => `${hook.url}/webhooks/twilio/status?tenant=acme`;
const GSM_161 = 'a'.repeat(161);

describe('startSmsInbox', () => {
  it('binds 127.0.0.1 by default and needs an emulator', async () => {
    expect(inbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect(startSmsInbox({})).rejects.toThrow(/emulator/);
  });
});

describe('GET /api/messages', () => {
  it('lists Twilio and MSG91 messages newest first with segments, encoding and rejected sends', async () => {
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: GSM_161,
      StatusCallback: callbackUrl(),
    });
    await new Promise((r) => setTimeout(r, 5));
    await twilioSend(tw, { From: '+15005550006', To: '+14155552672', Body: 'Hi 👋' });
    await new Promise((r) => setTimeout(r, 5));
    await msg91Send(m91, { sender: 'LDMTRX', recipients: [{ mobiles: '919876543210', body: 'OTP 1234' }] });
    await new Promise((r) => setTimeout(r, 5));
    await twilioSend(tw, { From: '+15005550006', To: '+15005550009', Body: 'magic' });
    await new Promise((r) => setTimeout(r, 5));
    await msg91Send(m91, { recipients: [{ mobiles: '910000000203', body: 'dlt' }] });

    const rows = await list();
    expect(rows.map((r) => [r.provider, r.to, r.status])).toEqual([
      ['msg91', '+910000000203', 'rejected'],
      ['twilio', '+15005550009', 'rejected'],
      ['msg91', '+919876543210', 'queued'],
      ['twilio', '+14155552672', 'queued'],
      ['twilio', '+14155552671', 'queued'],
    ]);
    const [m91Rejected, twRejected, m91Row, emoji, long] = rows as [
      SmsInboxMessage,
      SmsInboxMessage,
      SmsInboxMessage,
      SmsInboxMessage,
      SmsInboxMessage,
    ];
    expect(long).toMatchObject({
      id: tw.messages[0]!.sid,
      accepted: true,
      account: tw.accountSid,
      from: '+15005550006',
      body: GSM_161,
      segments: 2,
      encoding: 'GSM-7',
      callbackUrl: callbackUrl(),
    });
    expect(emoji).toMatchObject({ segments: 1, encoding: 'UCS-2', callbackUrl: null });
    expect(m91Row).toMatchObject({
      id: `${m91.messages[0]!.requestId}-919876543210`,
      account: null,
      from: 'LDMTRX',
      body: 'OTP 1234',
      templateId: m91.templateId,
      variables: { body: 'OTP 1234' },
      segments: 1,
      encoding: 'GSM-7',
      callbackUrl: dlrUrl,
    });
    expect(twRejected).toMatchObject({ accepted: false, errorCode: 21614, callbackUrl: null });
    expect(m91Rejected).toMatchObject({ accepted: false, errorCode: '203', templateId: m91.templateId });
    expect(new Date(long.createdAt).toISOString()).toBe(long.createdAt);
  });

  it('filters by recipient and provider', async () => {
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'a' });
    await twilioSend(tw, { From: '+15005550006', To: '+14155550000', Body: 'b' });
    await msg91Send(m91, { recipients: [{ mobiles: '914155552671', body: 'c' }] });
    expect((await list('?to=5552671')).map((r) => r.body)).toEqual(['c', 'a']);
    expect((await list('?provider=twilio')).map((r) => r.body)).toEqual(['b', 'a']);
    expect((await list('?provider=msg91&to=5552671')).map((r) => r.body)).toEqual(['c']);
  });
});

describe('DELETE /api/messages', () => {
  it('clears messages, rejected sends and deliveries of both emulators', async () => {
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'a' });
    await twilioSend(tw, { From: '+15005550006', To: '+15005550001', Body: 'x' });
    await msg91Send(m91, { recipients: [{ mobiles: '919876543210', body: 'c' }] });
    const res = await api('/api/messages', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cleared: 3 });
    expect(await list()).toEqual([]);
    expect(tw.messages).toHaveLength(0);
    expect(m91.messages).toHaveLength(0);
  });

  it('refuses other methods on the collection', async () => {
    expect((await api('/api/messages', { method: 'PUT' })).status).toBe(405);
  });
});

describe('POST /api/messages/:id/status', () => {
  it('Twilio: fires a correctly signed callback and returns the webhook answer', async () => {
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: 'hi',
      StatusCallback: callbackUrl(),
    });
    const sid = tw.messages[0]!.sid;
    const res = await postStatus(sid, { status: 'delivered' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      delivered: { url: callbackUrl(), reported: 'delivered', status: 200, body: '<b>handled</b> POST' },
    });
    expect(hook.calls).toHaveLength(1);
    const call = hook.calls[0]!;
    expect(call.url).toBe(callbackUrl());
    const params = Object.fromEntries(new URLSearchParams(call.body));
    expect(params).toEqual({
      AccountSid: tw.accountSid,
      ApiVersion: '2010-04-01',
      From: '+15005550006',
      MessageSid: sid,
      MessageStatus: 'delivered',
      SmsSid: sid,
      SmsStatus: 'delivered',
      To: '+14155552671',
    });
    expect(call.headers['x-twilio-signature']).toBe(
      computeTwilioSignature(tw.authToken, callbackUrl(), params),
    );
    const [row] = await list();
    expect(row).toMatchObject({
      status: 'delivered',
      lastDelivery: { url: callbackUrl(), reported: 'delivered', status: 200 },
    });
  });

  it('Twilio: undelivered with an ErrorCode', async () => {
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: 'hi',
      StatusCallback: callbackUrl(),
    });
    const res = await postStatus(tw.messages[0]!.sid, { status: 'undelivered', errorCode: 30006 });
    expect(((await res.json()) as { delivered: unknown }).delivered).toMatchObject({
      reported: 'undelivered',
      errorCode: 30006,
      status: 200,
    });
    expect(new URLSearchParams(hook.calls[0]!.body).get('ErrorCode')).toBe('30006');
    expect((await list())[0]).toMatchObject({ status: 'undelivered', errorCode: 30006 });
  });

  it('Twilio: reports an unreachable webhook as error, not as a failed API call', async () => {
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: 'hi',
      StatusCallback: 'http://127.0.0.1:1/down',
    });
    const res = await postStatus(tw.messages[0]!.sid, { status: 'failed' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { delivered: { error?: string } }).delivered.error).toEqual(
      expect.any(String),
    );
  });

  it('MSG91: fires a DLR v2 batch to the configured URL', async () => {
    await msg91Send(m91, {
      CRQID: 'n-1',
      recipients: [{ mobiles: '919876543210,919876543211', body: 'hi' }],
    });
    const requestId = m91.messages[0]!.requestId;
    const res = await postStatus(`${requestId}-919876543211`, { status: 'failed', errorCode: 9 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      delivered: { url: dlrUrl, reported: 'failed', errorCode: 9, status: 200, body: '<b>handled</b> POST' },
    });
    const call = hook.calls[0]!;
    const events = await parseMsg91DeliveryReport(
      new Request(call.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: call.body,
      }),
      { secret: 'dlr-secret' },
    );
    expect(events).toEqual([
      expect.objectContaining({ messageId: requestId, to: '+919876543211', status: 'failed', errorCode: 9 }),
    ]);
    const rows = await list();
    expect(rows.map((r) => [r.to, r.status])).toEqual([
      ['+919876543211', 'failed'],
      ['+919876543210', 'queued'],
    ]);
    const ok = await postStatus(`${requestId}-919876543210`, { status: 'delivered' });
    expect(((await ok.json()) as { delivered: unknown }).delivered).toMatchObject({ reported: 'delivered' });
  });

  it('answers 404 for an unknown id, 400 for a bad status, 409 without a callback URL or for a rejected send', async () => {
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: 'no callback' });
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: 'cb',
      StatusCallback: callbackUrl(),
    });
    await twilioSend(tw, { From: '+15005550006', To: '+15005550001', Body: 'rejected' });
    const [plain, withCb] = tw.messages;
    expect((await postStatus('SM00000000000000000000000000000000', { status: 'delivered' })).status).toBe(
      404,
    );
    expect((await postStatus(withCb!.sid, { status: 'read' })).status).toBe(400);
    expect((await postStatus(withCb!.sid, { status: 'failed', errorCode: 'x' })).status).toBe(400);
    expect((await postStatus(withCb!.sid, ['delivered'])).status).toBe(400);
    const noCb = await postStatus(plain!.sid, { status: 'delivered' });
    expect(noCb.status).toBe(409);
    expect(await noCb.json()).toEqual({ error: expect.stringMatching(/StatusCallback/) });
    expect((await postStatus(tw.rejected[0]!.id, { status: 'delivered' })).status).toBe(409);
    expect((await postStatus(withCb!.sid, { status: 'delivered' }, 'text/plain')).status).toBe(415);
    expect((await api(`/api/messages/${withCb!.sid}/status`)).status).toBe(405);
    expect(hook.calls).toHaveLength(0);
  });

  it('MSG91 without a DLR URL answers 409', async () => {
    const bare = await startSmsInbox({ msg91: m91, port: 0 });
    try {
      await msg91Send(m91, { recipients: [{ mobiles: '919876543210', body: 'hi' }] });
      const id = `${m91.messages[0]!.requestId}-919876543210`;
      const res = await fetch(new URL(`/api/messages/${id}/status`, bare.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"status":"delivered"}',
      });
      expect(res.status).toBe(409);
      const rows = (await (await fetch(new URL('/api/messages', bare.url))).json()) as {
        messages: SmsInboxMessage[];
      };
      expect(rows.messages[0]!.callbackUrl).toBeNull();
    } finally {
      await bare.close();
    }
  });
});

describe('page and escaping', () => {
  it('serves a static page that contains no message data, with a strict CSP', async () => {
    const evil = '<script>window.__pwned=1</script><img src=x onerror=alert(1)>';
    await twilioSend(tw, { From: '+15005550006', To: '+14155552671', Body: evil });
    const res = await api('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toContain('__pwned');
    expect(html).not.toContain(tw.messages[0]!.sid);
    expect(html).not.toContain('+14155552671');
    expect(html).not.toMatch(/<script>/); // only <script src=…>, no inline code
    const js = await (await api('/inbox.js')).text();
    expect(js).not.toContain('innerHTML');
    expect(js).toContain('textContent');
    expect((await api('/inbox.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // The API carries the body as a JSON string, served as JSON.
    const api1 = await api('/api/messages');
    expect(api1.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await api1.json()) as { messages: SmsInboxMessage[] }).messages[0]!.body).toBe(evil);
  });

  it('answers 404 for unknown paths', async () => {
    expect((await api('/nope')).status).toBe(404);
  });

  it('refuses a foreign Host header (DNS rebinding) and a cross-origin POST', async () => {
    const port = new URL(inbox.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/api/messages', headers: { host: `evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    const res = await api('/api/messages', { method: 'DELETE', headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expect((await api('/api/messages', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });
});

describe('GET /api/events', () => {
  it('streams a snapshot, then each new message and status change', async () => {
    await twilioSend(tw, {
      From: '+15005550006',
      To: '+14155552671',
      Body: 'before',
      StatusCallback: callbackUrl(),
    });
    const ac = new AbortController();
    const res = await api('/api/events', { signal: ac.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const next = async (): Promise<{ event: string; data: unknown }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) return { event, data: JSON.parse(data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += value;
      }
    };
    try {
      const snap = await next();
      expect(snap.event).toBe('snapshot');
      expect((snap.data as { messages: SmsInboxMessage[] }).messages.map((m) => m.body)).toEqual(['before']);
      await msg91Send(m91, { recipients: [{ mobiles: '919876543210', body: 'live' }] });
      expect(await next()).toMatchObject({ event: 'message', data: { provider: 'msg91', body: 'live' } });
      await twilioSend(tw, { From: '+15005550006', To: '+15005550003', Body: 'rejected' });
      expect(await next()).toMatchObject({
        event: 'message',
        data: { status: 'rejected', errorCode: 21408 },
      });
      await postStatus(tw.messages[0]!.sid, { status: 'delivered' });
      expect(await next()).toMatchObject({
        event: 'message',
        data: { id: tw.messages[0]!.sid, status: 'delivered', lastDelivery: { status: 200 } },
      });
      await api('/api/messages', { method: 'DELETE' });
      expect(await next()).toEqual({ event: 'snapshot', data: { messages: [] } });
    } finally {
      ac.abort();
      await reader.cancel().catch(() => undefined);
    }
  });
});
