// Helpers shared by the inbox tests: a recording webhook server and raw sends to the emulators.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Msg91Emulator } from '../msg91-emulator.js';
import type { TwilioEmulator } from '../twilio-emulator.js';

/** One request the recording webhook received. */
export interface RecordedHook {
  method: string;
  /** Full URL as the server saw it (http://127.0.0.1:port/path?query). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Starts a webhook server that records every request and answers `answer(req)` (default 200 "ok"). */
export async function startRecordingWebhook(
  answer: (hook: RecordedHook) => { status: number; body: string } = () => ({ status: 200, body: 'ok' }),
) {
  const calls: RecordedHook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook: RecordedHook = {
        method: req.method ?? '',
        url: `http://${req.headers.host}${req.url}`,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(hook);
      const a = answer(hook);
      res.writeHead(a.status, { 'content-type': 'text/plain' });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** POSTs a message to the Twilio emulator with the first account's credentials. */
export function twilioSend(tw: TwilioEmulator, params: Record<string, string>): Promise<Response> {
  return fetch(`${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${tw.accountSid}:${tw.authToken}`).toString('base64')}`,
    },
    body: new URLSearchParams(params).toString(),
  });
}

/** POSTs a Flow send to the MSG91 emulator with its auth key. */
export function msg91Send(m: Msg91Emulator, payload: Record<string, unknown>): Promise<Response> {
  return fetch(`${m.url}/api/v5/flow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authkey: m.authKey },
    body: JSON.stringify({ template_id: m.templateId, ...payload }),
  });
}
