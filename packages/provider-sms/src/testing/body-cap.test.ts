import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_MAX_BODY_BYTES } from './core.js';
import { type Msg91Emulator, startMsg91Emulator } from './msg91-emulator.js';
import { startTwilioEmulator, type TwilioEmulator } from './twilio-emulator.js';

/** POSTs `size` bytes without credentials (declared up front, or chunked); resolves with the answer. */
function bigPost(
  url: string,
  size: number,
  chunked: boolean,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (!chunked) headers['content-length'] = String(size);
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
      res.on('error', reject);
    });
    req.on('error', () => undefined); // The server closes the connection before the body is written.
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < size && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    if (chunked) pump();
    else req.flushHeaders(); // Declared too large: the server answers without waiting for the body.
  });
}

let tw: TwilioEmulator;
let msg91: Msg91Emulator;
beforeAll(async () => {
  [tw, msg91] = await Promise.all([startTwilioEmulator(), startMsg91Emulator()]);
});
afterAll(async () => {
  await Promise.all([tw.close(), msg91.close()]);
});

describe('emulators cap request bodies before authentication', () => {
  const over = EMULATOR_MAX_BODY_BYTES + 64 * 1024;

  it.each([false, true])('Twilio: 413 in Twilio error shape (chunked: %s)', async (chunked) => {
    const r = await bigPost(`${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`, over, chunked);
    expect(r.status).toBe(413);
    expect(r.json).toEqual({
      code: 413,
      message: expect.any(String),
      more_info: expect.any(String),
      status: 413,
    });
    expect(tw.requests).toEqual([]);
    expect(tw.messages).toEqual([]);
  });

  it.each([false, true])('MSG91: 413 in MSG91 error shape (chunked: %s)', async (chunked) => {
    const r = await bigPost(`${msg91.url}/api/v5/flow`, over, chunked);
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ type: 'error', code: '413', message: expect.any(String) });
    expect(msg91.requests).toEqual([]);
  });

  it('a body at the limit is still read and answered normally (401 without credentials)', async () => {
    const r = await bigPost(
      `${tw.url}/2010-04-01/Accounts/${tw.accountSid}/Messages.json`,
      EMULATOR_MAX_BODY_BYTES,
      true,
    );
    expect(r.status).toBe(401);
    expect(r.json.code).toBe(20003);
  });
});
