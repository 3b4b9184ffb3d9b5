// End-to-end: providers → emulators → inbox page in headless Chromium (playwright-core, never a downloaded
// browser) → click "delivered" → a correctly signed Twilio status callback reaches the webhook.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Msg91Provider } from '../../providers/msg91.js';
import { TwilioProvider } from '../../providers/twilio.js';
import { computeTwilioSignature } from '../../webhooks/twilio-signature.js';
import {
  type Msg91Emulator,
  type SmsInbox,
  startMsg91Emulator,
  startSmsInbox,
  startTwilioEmulator,
  type TwilioEmulator,
} from '../index.js';

/** CHROMIUM_PATH, else Debian's /usr/bin/chromium, else `which google-chrome` (GitHub runners). */
function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH?.trim();
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    const found = execFileSync('which', ['google-chrome'], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

const executablePath = findChromium();
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const MISSING =
  "No Chromium for the inbox browser test: set CHROMIUM_PATH, or install Debian's chromium (apt-get install -y chromium → /usr/bin/chromium), or provide google-chrome on PATH. Never download a browser.";
const SCREENSHOT = fileURLToPath(new URL('../../../test-output/inbox.png', import.meta.url));
const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

interface Hook {
  url: string;
  params: Record<string, string>;
  signature: string | undefined;
  valid: boolean;
}

// Locally without a browser the suite is skipped (with the reason); in CI a missing browser fails it.
describe.skipIf(!executablePath && !inCi)('SMS inbox in headless Chromium', () => {
  let browser: Browser | undefined;
  let tw: TwilioEmulator;
  let m91: Msg91Emulator;
  let inbox: SmsInbox;
  const hooks: Hook[] = [];
  let hookServer: ReturnType<typeof createServer>;
  let hookUrl: string;

  beforeAll(async () => {
    if (!executablePath) throw new Error(MISSING);
    tw = await startTwilioEmulator({ statusCallbacks: false });
    m91 = await startMsg91Emulator();
    // The webhook: verifies X-Twilio-Signature with the account's token and records the call.
    hookServer = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        const url = `http://${req.headers.host}${req.url}`;
        const params = Object.fromEntries(new URLSearchParams(body));
        const signature = req.headers['x-twilio-signature'] as string | undefined;
        const valid = signature === computeTwilioSignature(tw.authToken, url, params);
        hooks.push({ url, params, signature, valid });
        res.writeHead(valid ? 200 : 403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(valid ? { ok: true, status: params.MessageStatus } : { error: 'bad signature' }),
        );
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/webhooks/sms/twilio?tenant=acme`;
    inbox = await startSmsInbox({ twilio: tw, msg91: m91, port: 0 });
    browser = await chromium.launch({
      executablePath,
      headless: true,
      // Playwright gives every launch a fresh temporary profile (its own --user-data-dir).
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await inbox?.close();
    await Promise.all([tw?.close(), m91?.close()]);
    await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
  });

  it('shows messages live, escapes them, and fires a signed "delivered" callback', async () => {
    const page = await browser!.newPage({ viewport: { width: 1180, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(inbox.url);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    // Marks this document: if the page reloaded, the marker would be gone.
    await page.evaluate(() => {
      (globalThis as unknown as { __marker: number }).__marker = 42;
    });

    const twilioProvider = new TwilioProvider(
      { accountSid: tw.accountSid, authToken: tw.authToken, fromNumber: '+15005550006' },
      { apiBaseUrl: tw.url, statusCallbackUrl: hookUrl },
    );
    const msg91Provider = new Msg91Provider(
      { authKey: m91.authKey, templateId: m91.templateId },
      { apiBaseUrl: m91.url },
    );
    const sentTwilio = await twilioProvider.send({ to: '+14155552671', body: XSS });
    const sentMsg91 = await msg91Provider.send({
      to: '+919876543210',
      body: 'Your OTP is 482913 🔐',
      reference: 'notif-1',
    });
    // A magic number: refused at send time, listed with its error code.
    await expect(twilioProvider.send({ to: '+15005550001', body: 'to a magic number' })).rejects.toThrow();

    const twCard = page.locator(`article[data-id="${sentTwilio.messageId}"]`);
    const m91Card = page.locator(`article[data-id="${sentMsg91.messageId}-919876543210"]`);
    await twCard.waitFor({ timeout: 10_000 });
    await m91Card.waitFor({ timeout: 10_000 });
    await page.locator('article.rejected').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { __marker?: number }).__marker)).toBe(42);

    // Newest first: the rejected send, then MSG91, then Twilio.
    const order = await page
      .locator('article')
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.provider),
      );
    expect(order).toEqual(['twilio', 'msg91', 'twilio']);

    // Escaping: the body shows as text; nothing ran, nothing was parsed into elements.
    expect(await twCard.locator('.body').textContent()).toBe(XSS);
    expect(await twCard.locator('.body img, .body script').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    expect(await twCard.locator('.from').textContent()).toBe('+15005550006');
    expect(await twCard.locator('.to').textContent()).toBe('+14155552671');
    expect(await twCard.locator('.encoding').textContent()).toBe('GSM-7');
    expect(await m91Card.locator('.encoding').textContent()).toBe('UCS-2');
    expect(await m91Card.locator('.template').textContent()).toContain(m91.templateId);
    expect(await m91Card.locator('.vars').textContent()).toContain('Your OTP is 482913');
    expect(await page.locator('article.rejected .error').textContent()).toContain('21211');

    // Filters.
    await page.fill('#filter-to', '9198765');
    await expect.poll(() => page.locator('article').count()).toBe(1);
    await page.fill('#filter-to', '');
    await page.selectOption('#filter-provider', 'twilio');
    await expect.poll(() => page.locator('article').count()).toBe(2);
    await page.selectOption('#filter-provider', '');
    await expect.poll(() => page.locator('article').count()).toBe(3);

    // Push "delivered" to the Twilio message's StatusCallback.
    await twCard.locator('button[data-action="delivered"]').click();
    await expect.poll(() => twCard.locator('.status').textContent(), { timeout: 10_000 }).toBe('delivered');
    await expect.poll(() => twCard.locator('.webhook .code').textContent()).toBe('HTTP 200');
    expect(await twCard.locator('.webhook .response').textContent()).toBe('{"ok":true,"status":"delivered"}');

    expect(hooks).toHaveLength(1);
    const hook = hooks[0]!;
    expect(hook.url).toBe(hookUrl);
    expect(hook.valid).toBe(true);
    expect(hook.signature).toBe(computeTwilioSignature(tw.authToken, hookUrl, hook.params));
    expect(hook.params).toMatchObject({
      AccountSid: tw.accountSid,
      MessageSid: sentTwilio.messageId,
      MessageStatus: 'delivered',
      To: '+14155552671',
      From: '+15005550006',
    });
    // The MSG91 card has no DLR URL configured: it says so instead of offering buttons.
    expect(await m91Card.locator('.actions').textContent()).toContain('No MSG91 delivery report URL');
    expect(pageErrors).toEqual([]);

    mkdirSync(fileURLToPath(new URL('.', `file://${SCREENSHOT}`)), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  }, 60_000);
});
