import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runEmulators } from './emulator.js';
import { main } from './index.js';

const ESC = '\u001b';
const CSI = '\u009b';
const EVIL = `${ESC}]0;pwned${String.fromCharCode(7)}${ESC}[2J${CSI}31m\r\nfake line\u202e`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

/** A stream that keeps what is written to it. */
function collector() {
  let out = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { stdout, text: () => out };
}

/** Runs the emulators in-process, sends one Twilio and one MSG91 message with hostile strings, returns stdout. */
async function consoleOutput(json: boolean): Promise<string> {
  const { stdout, text } = collector();
  const ctl = new AbortController();
  const done = runEmulators(
    { host: '127.0.0.1', twilioPort: 0, msg91Port: 0, inboxPort: 0, inbox: false, json },
    { stdout, stderr: stdout, env: {} },
    ctl.signal,
  );
  while (!text().includes('Waiting for messages') && !text().includes('"event":"ready"'))
    await new Promise((r) => setTimeout(r, 5));
  const pick = (re: RegExp) => re.exec(text())?.[1] ?? '';
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
  while ((text().match(/\[twilio\]|\[msg91\]|"event":"message"/g) ?? []).length < 2)
    await new Promise((r) => setTimeout(r, 5));
  ctl.abort();
  await done;
  return text();
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

/** The `ready` event of the emulators started with `seed` (then stopped). */
async function readyWith(seed: string): Promise<Record<string, unknown>> {
  const { stdout, text } = collector();
  const ctl = new AbortController();
  const done = runEmulators(
    { host: '127.0.0.1', twilioPort: 0, msg91Port: 0, inboxPort: 0, inbox: false, json: true, seed },
    { stdout, stderr: stdout, env: {} },
    ctl.signal,
  );
  while (!text().includes('"event":"ready"')) await new Promise((r) => setTimeout(r, 5));
  ctl.abort();
  await done;
  const ready = JSON.parse(text().split('\n')[0]!) as Record<string, Record<string, unknown>>;
  const { url: _t, ...twilio } = ready.twilio!;
  const { url: _m, ...msg91 } = ready.msg91!;
  return { twilio, msg91 };
}

describe('emulator --seed', () => {
  it('gives the same credentials after a restart', async () => {
    const first = await readyWith('team-dev');
    expect(await readyWith('team-dev')).toEqual(first);
    expect(await readyWith('other')).not.toEqual(first);
  });

  it('is in the help', async () => {
    const { stdout, text } = collector();
    await main(['node', 'provider-sms', 'emulator', '--help'], {
      exit: false,
      io: { stdout, stderr: stdout, env: {} },
    });
    expect(text()).toMatch(/--seed <text>/);
  });
});

/** Starts the emulators in-process with `extra` options (JSON output) and returns the ready event and a stop function. */
async function startWith(extra: Record<string, unknown>) {
  const { stdout, text } = collector();
  const ctl = new AbortController();
  const done = runEmulators(
    { host: '127.0.0.1', twilioPort: 0, msg91Port: 0, inboxPort: 0, inbox: false, json: true, ...extra },
    { stdout, stderr: stdout, env: {} },
    ctl.signal,
  );
  while (!text().includes('"event":"ready"')) await new Promise((r) => setTimeout(r, 5));
  const ready = JSON.parse(text().split('\n')[0]!) as {
    mode: string;
    twilio: { url: string; accountSid: string; authToken: string };
    msg91: { url: string; authKey: string; balance: number };
  };
  return {
    ready,
    stop: async () => {
      ctl.abort();
      await done;
    },
  };
}

describe('emulator --live and --msg91-balance', () => {
  it('--live: the Twilio account and message list answer 200 (not 20008)', async () => {
    const { ready, stop } = await startWith({ live: true });
    try {
      expect(ready.mode).toBe('live');
      const { url, accountSid, authToken } = ready.twilio;
      const auth = { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` };
      expect((await fetch(`${url}/2010-04-01/Accounts/${accountSid}.json`, { headers: auth })).status).toBe(
        200,
      );
      const list = await fetch(`${url}/2010-04-01/Accounts/${accountSid}/Messages.json`, { headers: auth });
      expect(await list.json()).toMatchObject({ messages: [], page: 0 });
    } finally {
      await stop();
    }
  });

  it('without --live the reads stay 403 / 20008', async () => {
    const { ready, stop } = await startWith({});
    try {
      expect(ready.mode).toBe('test');
      const { url, accountSid, authToken } = ready.twilio;
      const res = await fetch(`${url}/2010-04-01/Accounts/${accountSid}.json`, {
        headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
      });
      expect(res.status).toBe(403);
    } finally {
      await stop();
    }
  });

  it('--msg91-balance N is what balance.php answers', async () => {
    const { stdout, text } = collector();
    await main(['node', 'provider-sms', 'emulator', '--help'], {
      exit: false,
      io: { stdout, stderr: stdout, env: {} },
    });
    expect(text()).toMatch(/--live/);
    expect(text()).toMatch(/--msg91-balance <credits>/);
    const { ready, stop } = await startWith({ msg91Balance: 7 });
    try {
      expect(ready.msg91.balance).toBe(7);
      const res = await fetch(`${ready.msg91.url}/api/balance.php?authkey=${ready.msg91.authKey}&type=4`);
      expect(await res.text()).toBe('7');
    } finally {
      await stop();
    }
  });
});
