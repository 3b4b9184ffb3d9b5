import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Msg91Provider } from '../providers/msg91.js';
import { TwilioProvider } from '../providers/twilio.js';
import { pacingSenderOf, twilioSenderKind } from './sender-key.js';

const SID = `AC${'a'.repeat(32)}`;
const MG = `MG${'b'.repeat(32)}`;

describe('pacing sender keys and kinds', () => {
  it.each([
    ['+14155550100', 'us_ca_long_code'],
    ['+16135550100', 'us_ca_long_code'],
    ['+18005550100', 'toll_free'],
    ['+18335550100', 'toll_free'],
    ['+18885550100', 'toll_free'],
    ['+18995550100', 'us_ca_long_code'],
    ['12345', 'short_code'],
    ['123456', 'short_code'],
    [MG, 'messaging_service'],
    ['LEADMTRX', 'alphanumeric'],
    ['+447700900123', 'international_long_code'],
    ['+919876543210', 'international_long_code'],
  ])('From %s is a %s', (from, kind) => {
    expect(twilioSenderKind(from)).toBe(kind);
  });

  it('a TwilioProvider paces as its account + From number or Messaging Service', () => {
    const p = new TwilioProvider({
      accountSid: SID,
      authToken: 'secret-token-1234',
      fromNumber: '+18005550100',
    });
    expect(pacingSenderOf(p)).toEqual({ key: `twilio:${SID}:+18005550100`, kind: 'toll_free' });
    const mg = new TwilioProvider({ accountSid: SID, authToken: 'secret-token-1234', fromNumber: MG });
    expect(pacingSenderOf(mg)).toEqual({ key: `twilio:${SID}:${MG}`, kind: 'messaging_service' });
  });

  it('an Msg91Provider paces by a hash prefix of its auth key, never the key, and stays log-safe', () => {
    const authKey = 'msg91-super-secret-key';
    const p = new Msg91Provider({ authKey, templateId: 'tpl' });
    const sender = pacingSenderOf(p);
    const hash = createHash('sha256').update(authKey).digest('hex');
    expect(sender).toEqual({ key: `msg91:${hash.slice(0, 16)}`, kind: 'msg91' });
    expect(JSON.stringify(sender)).not.toContain(authKey);
    expect(pacingSenderOf(new Msg91Provider({ authKey: `${authKey}2` }))?.key).not.toBe(sender?.key);
    expect(JSON.stringify(p)).not.toContain(hash.slice(0, 16)); // providers' log views are unchanged
    expect(inspect(p)).not.toContain(authKey);
  });

  it('a provider without a pacingSender is not paced', () => {
    expect(pacingSenderOf({ name: 'twilio' })).toBeUndefined();
    expect(pacingSenderOf({ pacingSender: { key: 1 } })).toBeUndefined();
  });
});

it('a tenant config with a short code From (5–6 digits) is valid and paced as short_code', () => {
  const provider = new TwilioProvider({
    accountSid: `AC${'0'.repeat(32)}`,
    authToken: 'f00dfacecafebabe0123456789abcdef',
    fromNumber: '12345',
  });
  expect(provider.pacingSender).toEqual({ key: `twilio:AC${'0'.repeat(32)}:12345`, kind: 'short_code' });
});
