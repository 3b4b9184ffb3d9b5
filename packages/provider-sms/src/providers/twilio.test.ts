import { inspect } from 'node:util';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { isSmsError, type SmsError } from '../errors.js';
import { TwilioProvider } from './twilio.js';
import { encodeTwilioForm, rewriteTwilioUrl } from './twilio-http-client.js';

// The seed unit tests (seed 004), with the twilio SDK mocked: no HTTP at all in this file.
const sdk = vi.hoisted(() => {
  class RestException extends Error {
    status: number;
    code?: number;
    constructor(status: number, code?: number, message = 'failed') {
      super(message);
      this.status = status;
      if (code !== undefined) this.code = code;
    }
  }
  const create = vi.fn();
  const fetch = vi.fn();
  const accounts = vi.fn((_sid: string) => ({ fetch }));
  const factory = vi.fn((_sid: string, _token: string, _opts: Record<string, unknown>) => ({
    messages: { create },
    api: { v2010: { accounts } },
  }));
  return { RestException, create, fetch, accounts, factory };
});

vi.mock('twilio/lib/rest/Twilio.js', () => ({ default: sdk.factory }));

const SID = `AC${'a1'.repeat(16)}`;
const TOKEN = 'tok_5ecr3t_value_123456';
const FROM = '+15005550006';
const config = { accountSid: SID, authToken: TOKEN, fromNumber: FROM };
const created = { sid: `SM${'b2'.repeat(16)}`, status: 'queued', numSegments: '1', errorCode: null };

async function rejection(p: Promise<unknown>): Promise<SmsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSmsError(err), `expected an SmsError, got ${String(err)}`).toBe(true);
  return err as SmsError;
}

beforeEach(() => {
  vi.clearAllMocks();
});

describe('TwilioProvider (SDK mocked)', () => {
  it('calls messages.create with from, to and body', async () => {
    sdk.create.mockResolvedValue(created);
    await new TwilioProvider(config).send({ to: '+91 98765-43210', body: 'Your code is 4821' });
    expect(sdk.create).toHaveBeenCalledTimes(1);
    expect(sdk.create).toHaveBeenCalledWith({ from: FROM, to: '+919876543210', body: 'Your code is 4821' });
    const [sid, token, opts] = sdk.factory.mock.calls[0]!;
    expect([sid, token]).toEqual([SID, TOKEN]);
    expect(opts).toMatchObject({ accountSid: SID, autoRetry: false });
    // Our httpClient is a plain object with only request(): no axios, no lastRequest holding credentials.
    expect(Object.keys(opts.httpClient as object)).toEqual(['request']);
  });

  it('returns the SID as messageId with status, segments and encoding', async () => {
    sdk.create.mockResolvedValue({ ...created, numSegments: '2' });
    const r = await new TwilioProvider(config).send({ to: '+14155552671', body: 'hello' });
    expect(r).toEqual({
      messageId: created.sid,
      provider: 'twilio',
      status: 'queued',
      segments: 2,
      encoding: 'GSM-7',
    });
  });

  it('computes segments locally when Twilio gives none', async () => {
    sdk.create.mockResolvedValue({ ...created, numSegments: null });
    const r = await new TwilioProvider(config).send({ to: '+14155552671', body: 'ж'.repeat(71) });
    expect(r).toMatchObject({ segments: 2, encoding: 'UCS-2' });
  });

  it('throws a mapped SmsError when the response carries errorCode', async () => {
    sdk.create.mockResolvedValue({
      ...created,
      status: 'failed',
      errorCode: 21610,
      errorMessage: 'opted out',
    });
    const err = await rejection(new TwilioProvider(config).send({ to: '+14155552671', body: 'hi' }));
    expect(err).toMatchObject({ code: 'recipient_opted_out', provider: 'twilio', providerCode: 21610 });
    expect(err.outcome).toBe('not_sent');
  });

  it('propagates an SDK error as a sanitized SmsError', async () => {
    const header = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;
    const raw = Object.assign(new Error(`connect ECONNRESET (Authorization: ${header}, token ${TOKEN})`), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: header } },
    });
    sdk.create.mockRejectedValue(raw);
    const err = await rejection(new TwilioProvider(config).send({ to: '+14155552671', body: 'hi' }));
    expect(err).toMatchObject({ code: 'unknown', outcome: 'unknown', provider: 'twilio', retryable: false });
    const dump = [err.message, err.stack, JSON.stringify(err), inspect(err, { depth: 10 })].join('\n');
    expect(dump).not.toContain(TOKEN);
    expect(dump).not.toContain(header.slice(6));
    expect(JSON.stringify(err.cause)).not.toContain('config');

    sdk.create.mockRejectedValue(new sdk.RestException(400, 21211, "The 'To' number is not valid"));
    const rest = await rejection(new TwilioProvider(config).send({ to: '+14155552671', body: 'hi' }));
    expect(rest).toMatchObject({ code: 'invalid_recipient', providerCode: 21211, httpStatus: 400 });
  });

  it('verify fetches the account with the configured SID', async () => {
    sdk.fetch.mockResolvedValue({ sid: SID, status: 'active' });
    await expect(new TwilioProvider(config).verify()).resolves.toBeUndefined();
    expect(sdk.accounts).toHaveBeenCalledWith(SID);
    expect(sdk.fetch).toHaveBeenCalledTimes(1);
  });

  it('verify rejects authentication_failed on 401', async () => {
    sdk.fetch.mockRejectedValue(new sdk.RestException(401, 20003, 'Authenticate'));
    const err = await rejection(new TwilioProvider(config).verify());
    expect(err).toMatchObject({ code: 'authentication_failed', providerCode: 20003, httpStatus: 401 });
    expect(err.retryable).toBe(false);
  });

  it('verify resolves on 403 / 20008 (test credentials)', async () => {
    sdk.fetch.mockRejectedValue(new sdk.RestException(403, 20008, 'test credentials'));
    await expect(new TwilioProvider(config).verify()).resolves.toBeUndefined();
  });

  it('sends a Messaging Service SID as messagingServiceSid, not from', async () => {
    sdk.create.mockResolvedValue(created);
    const mg = `MG${'c3'.repeat(16)}`;
    await new TwilioProvider({ ...config, fromNumber: mg }).send({ to: '+14155552671', body: 'hi' });
    expect(sdk.create).toHaveBeenCalledWith({ messagingServiceSid: mg, to: '+14155552671', body: 'hi' });
  });

  it('sends an alphanumeric sender id as from', async () => {
    sdk.create.mockResolvedValue(created);
    await new TwilioProvider({ ...config, fromNumber: 'LeadMetrix' }).send({
      to: '+14155552671',
      body: 'hi',
    });
    expect(sdk.create).toHaveBeenCalledWith({ from: 'LeadMetrix', to: '+14155552671', body: 'hi' });
  });

  it('sends statusCallbackUrl as statusCallback', async () => {
    sdk.create.mockResolvedValue(created);
    const url = 'https://hooks.example.com/sms/status/t1';
    await new TwilioProvider(config, { statusCallbackUrl: url }).send({ to: '+14155552671', body: 'hi' });
    expect(sdk.create).toHaveBeenCalledWith({
      from: FROM,
      to: '+14155552671',
      body: 'hi',
      statusCallback: url,
    });
  });

  it.each([
    [{ ...config, accountSid: 'XX123' }, 'config.accountSid'],
    [{ ...config, authToken: 'tiny1' }, 'config.authToken'],
    [{ ...config, fromNumber: '1234' }, 'config.fromNumber'],
    [{ ...config, fromNumber: '1234567' }, 'config.fromNumber'],
    [{ accountSid: SID, fromNumber: FROM }, 'config.authToken'],
  ])('rejects an invalid config naming the field (%#)', (bad, field) => {
    let err: unknown;
    try {
      new TwilioProvider(bad as typeof config);
    } catch (e) {
      err = e;
    }
    expect(isSmsError(err)).toBe(true);
    const e = err as SmsError;
    expect(e.code).toBe('invalid_config');
    expect(e.message).toContain(field);
    expect(`${e.message}${JSON.stringify(e)}`).not.toContain(TOKEN);
    expect(`${e.message}${JSON.stringify(e)}`).not.toContain('tiny1');
  });

  it('rejects bad options (apiBaseUrl, timeoutMs)', () => {
    expect(() => new TwilioProvider(config, { apiBaseUrl: 'ftp://x' })).toThrow(/options\.apiBaseUrl/);
    expect(() => new TwilioProvider(config, { timeoutMs: 0 })).toThrow(/options\.timeoutMs/);
  });

  it.each([
    [{ to: '14155552671', body: 'hi' }, 'invalid_recipient'],
    [{ to: '+1415', body: 'hi' }, 'invalid_recipient'],
    [{ to: '+14155552671', body: '   ' }, 'invalid_message'],
    [{ to: '+14155552671', body: 'x'.repeat(1601) }, 'invalid_message'],
  ])('local checks fail without any SDK call (%#)', async (message, code) => {
    const err = await rejection(new TwilioProvider(config).send(message));
    expect(err).toMatchObject({ code, outcome: 'not_sent', provider: 'twilio' });
    expect(sdk.factory).not.toHaveBeenCalled();
    expect(sdk.create).not.toHaveBeenCalled();
  });

  it('accepts a 1600-character body', async () => {
    sdk.create.mockResolvedValue({ ...created, numSegments: '11' });
    const r = await new TwilioProvider(config).send({ to: '+14155552671', body: 'x'.repeat(1600) });
    expect(r.segments).toBe(11);
  });

  it('an already aborted signal rejects aborted/not_sent without an SDK call', async () => {
    const err = await rejection(
      new TwilioProvider(config).send({ to: '+14155552671', body: 'hi' }, { signal: AbortSignal.abort() }),
    );
    expect(err).toMatchObject({ code: 'aborted', outcome: 'not_sent' });
    expect(sdk.create).not.toHaveBeenCalled();
  });

  it('builds the SDK client once per provider', async () => {
    sdk.create.mockResolvedValue(created);
    const p = new TwilioProvider(config);
    await p.send({ to: '+14155552671', body: 'a' });
    await p.send({ to: '+14155552671', body: 'b' });
    expect(sdk.factory).toHaveBeenCalledTimes(1);
  });

  it('never shows the token in JSON.stringify or util.inspect, but exposes accountSid', () => {
    const p = new TwilioProvider(config);
    expect(p.accountSid).toBe(SID);
    expect(p.name).toBe('twilio');
    for (const s of [JSON.stringify(p), inspect(p, { depth: 10, showHidden: true }), String(p)]) {
      expect(s).not.toContain(TOKEN);
    }
    expect(JSON.stringify(p)).toContain(SID);
  });

  it('logs debug fields without secrets', async () => {
    sdk.create.mockResolvedValue(created);
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    await new TwilioProvider(config, { logger }).send({ to: '+14155552671', body: 'hi' });
    expect(logger.debug).toHaveBeenCalledWith(
      expect.objectContaining({ provider: 'twilio', accountSid: SID, status: 'queued', to: '+1415*****71' }),
      expect.any(String),
    );
    expect(JSON.stringify(logger.debug.mock.calls)).not.toContain(TOKEN);
  });
});

describe('twilio httpClient helpers', () => {
  it('form-encodes like the SDK: repeated keys for arrays, %20 for spaces, undefined skipped', () => {
    expect(encodeTwilioForm({ To: '+1 415', MediaUrl: ['a', 'b'], Skip: undefined, Flag: true })).toBe(
      'To=%2B1%20415&MediaUrl=a&MediaUrl=b&Flag=true',
    );
  });

  it('rewrites any Twilio host onto the base URL, keeping path and query', () => {
    const base = new URL('http://emulator.test:8080/twilio/');
    expect(
      rewriteTwilioUrl('https://api.sydney.au1.twilio.com/2010-04-01/Accounts/AC1.json?x=1', base, {
        PageSize: 5,
      }),
    ).toBe('http://emulator.test:8080/twilio/2010-04-01/Accounts/AC1.json?x=1&PageSize=5');
  });
});
