// Raw fetch against the real MSG91 emulator server. No msw in this file (it would intercept 127.0.0.1).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MSG91_INVALID_TEMPLATE_MESSAGE,
  MSG91_MAGIC_MOBILES,
  type Msg91Emulator,
  startMsg91Emulator,
} from './index.js';

let m: Msg91Emulator;
beforeAll(async () => {
  m = await startMsg91Emulator();
});
afterAll(() => m.close());
afterEach(() => m.reset());

let n = 0;
/** A fresh body each call (duplicate detection would otherwise answer 311). */
const uniqueBody = () => `Your code is ${1000 + ++n}`;

function flow(payload: unknown, authKey: string | null = m.authKey) {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (authKey !== null) headers.authkey = authKey;
  return fetch(`${m.url}/api/v5/flow`, {
    method: 'POST',
    headers,
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

const payload = (recipient: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  template_id: m.templateId,
  short_url: '0',
  recipients: [{ mobiles: '919876543210', body: uniqueBody(), ...recipient }],
  ...extra,
});

async function expectError(res: Response, code: string | undefined, message?: string | RegExp) {
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.type).toBe('error');
  expect(body.code).toBe(code);
  if (message !== undefined) expect(body.message).toMatch(message);
}

describe('MSG91 emulator: flow', () => {
  it('generates an auth key and a template', () => {
    expect(m.authKey.length).toBeGreaterThanOrEqual(20);
    expect(m.templateId).toMatch(/^[0-9a-f]{24}$/);
  });

  it('success → {type:"success", message:<24 hex>} and records each mobile', async () => {
    const res = await flow(
      payload(
        { mobiles: '919876543210,919812345678', body: 'Your code is 4821' },
        { CRQID: 'notif-42', short_url: '1' },
      ),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { type: string; message: string };
    expect(body).toEqual({ type: 'success', message: expect.stringMatching(/^[0-9a-f]{24}$/) });
    expect(m.messages).toEqual([
      {
        requestId: body.message,
        templateId: m.templateId,
        mobile: '919876543210',
        variables: { body: 'Your code is 4821' },
        crqid: 'notif-42',
        shortUrl: true,
        createdAt: expect.any(Date),
      },
      expect.objectContaining({ mobile: '919812345678', requestId: body.message }),
    ]);
    expect(m.balance).toBe(998);
    expect(m.received).toBe(1);
  });

  it('missing authkey → 106, wrong authkey → 201 "Invalid authkey"', async () => {
    await expectError(await flow(payload(), null), '106');
    await expectError(await flow(payload(), 'wrong-key'), '201', 'Invalid authkey');
  });

  it('template: missing → 102, unknown → "The provided flow ID or template ID is invalid."', async () => {
    await expectError(await flow({ recipients: [{ mobiles: '919876543210', body: 'x' }] }), '102');
    const res = await flow(payload({}, { template_id: 'f'.repeat(24) }));
    expect(await res.json()).toEqual({ type: 'error', message: MSG91_INVALID_TEMPLATE_MESSAGE });
  });

  it('a recipient missing a template variable → 102', async () => {
    await expectError(
      await flow({ template_id: m.templateId, recipients: [{ mobiles: '919876543210' }] }),
      '102',
      /body/,
    );
  });

  it('missing mobiles → 101, malformed mobile → 202', async () => {
    await expectError(await flow({ template_id: m.templateId, recipients: [] }), '101');
    await expectError(await flow({ template_id: m.templateId, recipients: [{ body: 'x' }] }), '101');
    await expectError(await flow(payload({ mobiles: '+919876543210' })), '202');
    await expectError(await flow(payload({ mobiles: '98765' })), '202');
    expect(m.messages).toHaveLength(0);
  });

  it.each(Object.entries(MSG91_MAGIC_MOBILES))('magic mobile %s → code %s', async (mobile, { code }) => {
    await expectError(await flow(payload({ mobiles: mobile })), code);
    expect(m.messages).toHaveLength(0);
  });

  it('an identical request within the window → 311 duplicate', async () => {
    const p = payload();
    expect(((await (await flow(p)).json()) as { type: string }).type).toBe('success');
    await expectError(await flow(p), '311');
    expect(m.messages).toHaveLength(1);
  });

  it('balance below the number of mobiles → 301', async () => {
    const poor = await startMsg91Emulator({ balance: 1, templates: [{ id: 'tpl-1', variables: ['otp'] }] });
    try {
      const send = (mobiles: string) =>
        fetch(`${poor.url}/api/v5/flow`, {
          method: 'POST',
          headers: { authkey: poor.authKey, 'content-type': 'application/json' },
          body: JSON.stringify({ template_id: 'tpl-1', recipients: [{ mobiles, otp: '1234' }] }),
        });
      expect(await (await send('919876543210')).json()).toMatchObject({ type: 'success' });
      expect(await (await send('919876543211')).json()).toMatchObject({ type: 'error', code: '301' });
      expect(poor.balance).toBe(0);
    } finally {
      await poor.close();
    }
  });

  it('invalid JSON → 400', async () => {
    const res = await flow('{nope');
    expect(res.status).toBe(400);
  });

  it('unknown path → 404', async () => {
    expect((await fetch(`${m.url}/api/v5/nope`)).status).toBe(404);
  });
});

describe('MSG91 emulator: balance', () => {
  it('a valid key → numeric balance; a wrong or missing key → "Invalid authkey" with HTTP 200', async () => {
    const good = await fetch(`${m.url}/api/balance.php?authkey=${m.authKey}&type=4`);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('1000');
    const bad = await fetch(`${m.url}/api/balance.php?authkey=wrong&type=4`);
    expect(bad.status).toBe(200);
    expect(await bad.text()).toContain('Invalid authkey');
    expect(await (await fetch(`${m.url}/api/balance.php?type=4`)).text()).toContain('Invalid authkey');
    expect(m.requests.map((r) => r.path)).toEqual([
      '/api/balance.php',
      '/api/balance.php',
      '/api/balance.php',
    ]);
  });
});

describe('MSG91 emulator: faults and lifecycle', () => {
  it('HTML 502, 500 JSON, 429 with Retry-After', async () => {
    m.inject({ status: 502, text: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
    m.inject({ status: 500, json: { type: 'error', message: 'Internal error' } });
    m.inject({
      status: 429,
      json: { type: 'error', message: 'Too many requests' },
      headers: { 'retry-after': '1' },
    });
    const r1 = await flow(payload());
    expect([r1.status, r1.headers.get('content-type'), await r1.text()]).toEqual([
      502,
      'text/html',
      '<html>Bad Gateway</html>',
    ]);
    expect((await flow(payload())).status).toBe(500);
    const r3 = await flow(payload());
    expect([r3.status, r3.headers.get('retry-after')]).toEqual([429, '1']);
    expect(m.messages).toHaveLength(0);
    expect(m.received).toBe(3);
  });

  it('socket resets: before-response records nothing, mid-response records', async () => {
    m.inject({ resetSocket: 'before-response' });
    await expect(flow(payload())).rejects.toThrow();
    expect(m.messages).toHaveLength(0);
    m.inject({ resetSocket: 'mid-response' });
    await expect(flow(payload()).then((r) => r.text())).rejects.toThrow();
    expect(m.messages).toHaveLength(1);
    expect(m.received).toBe(2);
  });

  it('delay', async () => {
    m.inject({ delayMs: 80 });
    const t0 = performance.now();
    expect((await flow(payload())).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(70);
  });

  it('reset() restores the balance and forgets duplicates', async () => {
    const p = payload();
    await flow(p);
    m.reset();
    expect(m.balance).toBe(1000);
    expect(m.messages).toHaveLength(0);
    expect(((await (await flow(p)).json()) as { type: string }).type).toBe('success');
  });

  it('close() frees the port', async () => {
    const e = await startMsg91Emulator();
    const port = Number(new URL(e.url).port);
    await e.close();
    await expect(fetch(`${e.url}/api/balance.php`)).rejects.toThrow();
    const again = await startMsg91Emulator({ port });
    await again.close();
  });
});
