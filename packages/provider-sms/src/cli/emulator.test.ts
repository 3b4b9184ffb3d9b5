import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runEmulators } from './emulator.js';

const ESC = '\u001b';
const CSI = '\u009b';
const EVIL = `${ESC}]0;pwned${String.fromCharCode(7)}${ESC}[2J${CSI}31m\r\nfake line\u202e`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

/** Runs the emulators in-process, sends one Twilio and one MSG91 message with hostile strings, returns stdout. */
async function consoleOutput(json: boolean): Promise<string> {
  let out = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  const ctl = new AbortController();
  const done = runEmulators(
    { host: '127.0.0.1', twilioPort: 0, msg91Port: 0, inboxPort: 0, inbox: false, json },
    { stdout, stderr: stdout, env: {} },
    ctl.signal,
  );
  while (!out.includes('Waiting for messages') && !out.includes('"event":"ready"'))
    await new Promise((r) => setTimeout(r, 5));
  const pick = (re: RegExp) => re.exec(out)?.[1] ?? '';
  const tw = {
    url: pick(/(?:Twilio emulator\s+|"twilio":\{"url":")(http:\/\/[^\s"]+)/),
    sid: pick(/(AC[0-9a-f]{32})/),
    token: pick(/(?:auth token\s+|"authToken":")([0-9a-f]{32})/),
  };
  const m91 = {
    url: pick(/(?:MSG91 emulator\s+|"msg91":\{"url":")(http:\/\/[^\s"]+)/),
    key: pick(/(?:auth key\s+|"authKey":")([^\s"]+)/),
    template: pick(/(?:template id\s+|"templateId":")([0-9a-f]+)/),
  };
  const twRes = await fetch(`${tw.url}/2010-04-01/Accounts/${tw.sid}/Messages.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${tw.sid}:${tw.token}`).toString('base64')}` },
    body: new URLSearchParams({ From: '+15005550006', To: '+14155552671', Body: `code ${EVIL}` }),
  });
  expect(twRes.status).toBe(201);
  const mRes = await fetch(`${m91.url}/api/v5/flow`, {
    method: 'POST',
    headers: { authkey: m91.key, 'content-type': 'application/json' },
    body: JSON.stringify({
      template_id: m91.template,
      CRQID: `ref${EVIL}`,
      recipients: [{ mobiles: '919876543210', body: EVIL }],
    }),
  });
  expect(mRes.status).toBe(200);
  while ((out.match(/\[twilio\]|\[msg91\]|"event":"message"/g) ?? []).length < 2)
    await new Promise((r) => setTimeout(r, 5));
  ctl.abort();
  await done;
  return out;
}

describe('emulator console', () => {
  it.each([false, true])('escapes control characters of bodies and CRQIDs (json: %s)', async (json) => {
    const out = await consoleOutput(json);
    expect(out).not.toMatch(CONTROL);
    expect(out).toContain('\\u001b');
    expect(out).not.toContain('\nfake line');
    if (json) {
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const twilio = events.find((e) => e.event === 'message' && e.provider === 'twilio');
      expect(twilio?.body).toBe(`code ${EVIL}`); // still valid JSON carrying the exact string
      expect(events.find((e) => e.provider === 'msg91')?.crqid).toBe(`ref${EVIL}`);
    } else {
      expect(out).toMatch(/CRQID=ref\\u001b\]0;pwned\\u0007/);
    }
  });
});
