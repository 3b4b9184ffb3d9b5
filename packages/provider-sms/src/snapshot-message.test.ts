// Item 10 of the hardening issue: a message is read once, before the local checks; template variables and
// `reference` have bounds. Providers and the sender are run against the emulators (loopback, port 0).
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSmsError, type SmsError } from './errors.js';
import { checkMessage } from './message.js';
import {
  MAX_REFERENCE_LENGTH,
  MAX_TEMPLATE_VARIABLE_LENGTH,
  MAX_TEMPLATE_VARIABLE_NAME_LENGTH,
  MAX_TEMPLATE_VARIABLES,
} from './message-limits.js';
import { Msg91Provider } from './providers/msg91.js';
import { TwilioProvider } from './providers/twilio.js';
import { createSmsSender } from './sender.js';
import { snapshotMessage } from './snapshot-message.js';
import { type Msg91Emulator, startMsg91Emulator } from './testing/msg91-emulator.js';
import { startTwilioEmulator, TWILIO_VALID_FROM, type TwilioEmulator } from './testing/twilio-emulator.js';
import type { SmsMessage, SmsProvider } from './types.js';

const TO = '+919876543210';
const MB5 = 'x'.repeat(5 * 1024 * 1024);

/** The SmsError a call threw (fails the test on anything else). */
async function smsError(p: Promise<unknown> | (() => unknown)): Promise<SmsError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isSmsError(e)) return e;
    throw new Error(`not an SmsError: ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

/** A message whose `body` getter answers `first` once and `later` after that. */
function shiftingBody(first: string, later: string): SmsMessage {
  let reads = 0;
  return {
    to: TO,
    get body() {
      reads++;
      return reads === 1 ? first : later;
    },
  };
}

const throwingGetter = (): SmsMessage =>
  ({
    to: TO,
    get body(): string {
      throw new TypeError('boom');
    },
  }) as SmsMessage;
const throwingProxy = (): SmsMessage =>
  new Proxy({ to: TO, body: 'hi' } as SmsMessage, {
    get(_t, key) {
      if (key === 'template') throw new TypeError('trap');
      return Reflect.get(_t, key);
    },
  });
const throwingVariables = (): SmsMessage => ({
  to: TO,
  body: 'hi',
  template: {
    variables: new Proxy({} as Record<string, string>, {
      ownKeys() {
        throw new TypeError('trap');
      },
    }),
  },
});

describe('snapshotMessage', () => {
  it('reads each field once into a frozen copy; a snapshot passed again is returned as is', () => {
    const reads: string[] = [];
    const vars = { otp: '4821' };
    const msg = new Proxy(
      {
        to: TO,
        body: 'hi',
        template: { id: 't1', variables: vars },
        reference: 'notif-1',
        validityPeriodSec: 300,
      },
      {
        get(t, key) {
          reads.push(String(key));
          return Reflect.get(t, key);
        },
      },
    );
    const snap = snapshotMessage(msg);
    expect(reads).toEqual(['to', 'body', 'template', 'reference', 'validityPeriodSec', 'sendAt']);
    expect(snap).toEqual({
      to: TO,
      body: 'hi',
      template: { id: 't1', variables: { otp: '4821' } },
      reference: 'notif-1',
      validityPeriodSec: 300,
    });
    expect(
      Object.isFrozen(snap) && Object.isFrozen(snap.template) && Object.isFrozen(snap.template?.variables),
    ).toBe(true);
    vars.otp = 'changed';
    expect(snap.template?.variables?.otp).toBe('4821');
    expect(snapshotMessage(snap)).toBe(snap);
  });

  it('checks validityPeriodSec (integer 1–36000) and copies sendAt (a valid Date, any realm)', async () => {
    const at = new Date('2030-01-01T00:00:00.250Z');
    const snap = snapshotMessage({ to: TO, body: 'hi', validityPeriodSec: 36_000, sendAt: at });
    at.setTime(0);
    expect(snap.sendAt?.toISOString()).toBe('2030-01-01T00:00:00.250Z');
    expect(snapshotMessage({ to: TO, body: 'hi', validityPeriodSec: 1 }).validityPeriodSec).toBe(1);
    const foreign = runInNewContext('new Date(1900000000000)') as Date;
    expect(snapshotMessage({ to: TO, body: 'hi', sendAt: foreign }).sendAt?.getTime()).toBe(
      1_900_000_000_000,
    );
    const cases: [Record<string, unknown>, string][] = [
      [{ validityPeriodSec: 0 }, 'message.validityPeriodSec must be an integer from 1 to 36000 seconds'],
      [{ validityPeriodSec: 36_001 }, 'message.validityPeriodSec must be an integer from 1 to 36000 seconds'],
      [{ validityPeriodSec: 2.5 }, 'message.validityPeriodSec must be an integer from 1 to 36000 seconds'],
      [{ validityPeriodSec: '300' }, 'message.validityPeriodSec must be an integer from 1 to 36000 seconds'],
      [{ sendAt: new Date('nope') }, 'message.sendAt is an invalid Date'],
      [{ sendAt: '2030-01-01T00:00:00Z' }, 'message.sendAt must be a Date'],
      [{ sendAt: Object.create(Date.prototype) }, 'message.sendAt must be a Date'],
      [{ sendAt: null }, 'message.sendAt must be a Date'],
    ];
    for (const [fields, message] of cases) {
      const e = await smsError(() => snapshotMessage({ to: TO, body: 'hi', ...fields } as SmsMessage));
      expect([e.code, e.message]).toEqual(['invalid_message', message]);
    }
  });

  it('keeps a "__proto__" variable a plain key (no prototype change)', () => {
    const variables = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const snap = snapshotMessage({ to: TO, body: 'hi', template: { variables } });
    expect(Object.keys(snap.template?.variables ?? {})).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(snap.template?.variables)).toBe(Object.prototype);
  });

  it('turns a throwing getter, Proxy trap or non-object into invalid_message naming the field', async () => {
    for (const [make, field] of [
      [throwingGetter, 'message.body'],
      [throwingProxy, 'message.template'],
      [throwingVariables, 'message.template.variables'],
    ] as const) {
      const e = await smsError(() => snapshotMessage(make()));
      expect(e.code).toBe('invalid_message');
      expect(e.message).toBe(`${field} could not be read (its getter or Proxy threw)`);
    }
    expect((await smsError(() => snapshotMessage('hi'))).code).toBe('invalid_message');
    expect((await smsError(() => snapshotMessage(null))).message).toBe('message must be an object');
  });

  it('bounds template variables: count, name length, value length, strings only, no lone surrogates', async () => {
    const withVars = (variables: Record<string, unknown>) =>
      ({ to: TO, body: 'hi', template: { variables } }) as unknown as SmsMessage;
    const many = Object.fromEntries(
      Array.from({ length: MAX_TEMPLATE_VARIABLES + 1 }, (_, i) => [`v${i}`, 'x']),
    );
    const cases: [Record<string, unknown>, RegExp][] = [
      [many, /^message\.template\.variables has 101 variables; the maximum is 100$/],
      [
        { ['n'.repeat(MAX_TEMPLATE_VARIABLE_NAME_LENGTH + 1)]: 'x' },
        /variable name that is over 64 characters/,
      ],
      [{ 'a\u0000b': 'x' }, /variable name .* control characters/],
      [
        { otp: 'x'.repeat(MAX_TEMPLATE_VARIABLE_LENGTH + 1) },
        /^message\.template\.variables\.otp is 1601 characters/,
      ],
      [{ otp: MB5 }, /^message\.template\.variables\.otp is 5242880 characters; the maximum is 1600$/],
      [{ otp: 5 }, /^message\.template\.variables\.otp must be a string$/],
      [{ otp: 'a\uD800' }, /^message\.template\.variables\.otp contains a lone surrogate$/],
    ];
    for (const [variables, re] of cases) {
      const e = await smsError(() => snapshotMessage(withVars(variables)));
      expect(e.code).toBe('invalid_message');
      expect(e.message).toMatch(re);
    }
    const ok = Object.fromEntries(
      Array.from({ length: MAX_TEMPLATE_VARIABLES }, (_, i) => [`v${i}`, 'x'.repeat(1600)]),
    );
    expect(Object.keys(snapshotMessage(withVars(ok)).template?.variables ?? {})).toHaveLength(100);
  });

  it('bounds reference (1–64 printable ASCII) and template.id (≤ 64, no control characters)', async () => {
    for (const reference of [MB5, 'r'.repeat(MAX_REFERENCE_LENGTH + 1), '', 'notif\n1', 'nötif', 42]) {
      const e = await smsError(() => snapshotMessage({ to: TO, body: 'hi', reference } as SmsMessage));
      expect(e.code).toBe('invalid_message');
      expect(e.message).toMatch(/^message\.reference must be/);
    }
    expect(snapshotMessage({ to: TO, body: 'hi', reference: 'r'.repeat(64) }).reference).toHaveLength(64);
    for (const id of ['i'.repeat(65), 't\u0007', '']) {
      const e = await smsError(() => snapshotMessage({ to: TO, body: 'hi', template: { id } }));
      expect(e.message).toMatch(/^message\.template\.id must be/);
    }
  });
});

describe('checkMessage bodies', () => {
  it('refuses bodies of only control characters, and bodies with lone surrogates', async () => {
    for (const body of [
      '\u0000',
      '\u0007\u001b\u007f',
      ' \u0085 \t\n',
      'hi \uD800',
      '\uDFFFhi',
      'x\uDC00\uD800',
    ]) {
      const e = await smsError(checkMessage({ to: TO, body }));
      expect(e.code).toBe('invalid_message');
      expect(e.message).toMatch(/^message\.body (is empty|contains a lone surrogate)/);
    }
    expect((await checkMessage({ to: TO, body: 'hi 😀 \u00e9' })).body).toBe('hi 😀 \u00e9');
  });
});

describe('providers and the sender read a message once (emulators)', () => {
  let msg91: Msg91Emulator;
  let twilio: TwilioEmulator;
  let providers: Record<'msg91' | 'twilio', SmsProvider>;

  beforeAll(async () => {
    delete process.env.TWILIO_ACCOUNT_SID;
    delete process.env.TWILIO_AUTH_TOKEN;
    [msg91, twilio] = await Promise.all([startMsg91Emulator(), startTwilioEmulator()]);
    providers = {
      msg91: new Msg91Provider(
        { authKey: msg91.authKey, templateId: msg91.templateId },
        { apiBaseUrl: msg91.url },
      ),
      twilio: new TwilioProvider(
        { accountSid: twilio.accountSid, authToken: twilio.authToken, fromNumber: TWILIO_VALID_FROM },
        { apiBaseUrl: twilio.url },
      ),
    };
  });
  afterAll(async () => {
    await Promise.allSettled([msg91?.close(), twilio?.close()]);
  });
  beforeEach(() => {
    msg91.reset();
    twilio.reset();
  });

  const sent = () => msg91.messages.length + msg91.rejected.length + twilio.messages.length;
  const senderOf = (provider: SmsProvider) =>
    createSmsSender({ resolver: { resolve: async () => ({ provider, source: 'platform-default' }) } });

  it('a getter that grows the body after the check never gets more than 1600 characters to MSG91', async () => {
    await providers.msg91.send(shiftingBody('Your code is 4821', 'x'.repeat(2000)));
    await senderOf(providers.msg91).send('tenant-1', shiftingBody('Your code is 1234', 'y'.repeat(2000)));
    expect(msg91.messages.map((m) => m.variables.body)).toEqual(['Your code is 4821', 'Your code is 1234']);
  });

  it('a throwing getter or Proxy is invalid_message from provider.send and sender.send, nothing sent', async () => {
    for (const name of ['msg91', 'twilio'] as const) {
      for (const make of [throwingGetter, throwingProxy, throwingVariables]) {
        const fromProvider = await smsError(providers[name].send(make()));
        expect([fromProvider.code, fromProvider.provider]).toEqual(['invalid_message', name]);
        const fromSender = await smsError(senderOf(providers[name]).send('tenant-1', make()));
        expect(fromSender.code).toBe('invalid_message');
        expect(fromSender.attempts).toEqual([]);
      }
    }
    expect(sent()).toBe(0);
  });

  it('the sender passes sendAt and validityPeriodSec on, and refuses bad ones before any attempt', async () => {
    const sendAt = new Date(Date.now() + 3_600_000);
    const ok = await senderOf(providers.msg91).send('tenant-1', {
      to: TO,
      body: 'hi',
      sendAt,
      validityPeriodSec: 60,
    });
    expect(ok.result.status).toBe('scheduled');
    expect(msg91.messages.map((m) => m.schtime)).toEqual([String(Math.ceil(sendAt.getTime() / 1000))]);
    for (const bad of [{ validityPeriodSec: 0 }, { sendAt: new Date(Number.NaN) }]) {
      const e = await smsError(senderOf(providers.twilio).send('tenant-1', { to: TO, body: 'hi', ...bad }));
      expect([e.code, e.attempts]).toEqual(['invalid_message', []]);
    }
    expect(twilio.received).toBe(0);
  });

  it('a 5 MB variable or reference, a control-only or lone-surrogate body: invalid_message, nothing sent', async () => {
    const bad: [SmsMessage, RegExp][] = [
      [
        { to: TO, body: 'hi', template: { variables: { body: MB5 } } },
        /^message\.template\.variables\.body is/,
      ],
      [{ to: TO, body: 'hi', reference: MB5 }, /^message\.reference must be/],
      [{ to: TO, body: '\u0000\u0001\u0002' }, /^message\.body is empty/],
      [{ to: TO, body: 'code \uD83D' }, /^message\.body contains a lone surrogate/],
    ];
    for (const name of ['msg91', 'twilio'] as const) {
      for (const [message, re] of bad) {
        for (const p of [
          providers[name].send(message),
          senderOf(providers[name]).send('tenant-1', message),
        ]) {
          const e = await smsError(p);
          expect(e.code).toBe('invalid_message');
          expect(e.message).toMatch(re);
        }
      }
    }
    expect(sent()).toBe(0);
  });
});
