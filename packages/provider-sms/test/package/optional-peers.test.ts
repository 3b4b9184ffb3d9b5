import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerProject } from './consumer-project.js';

// Installed without its optional peers (pg, PGlite, msw), the built package still imports, /testing's
// emulators run, and opening a database says which package to install (run `pnpm build` first).
const project = consumerProject();
afterAll(() => project.remove());

/** Runs an ESM or CJS script in the consumer project and returns its stdout (one JSON line). */
function run(name: string, code: string): unknown {
  project.write(name, code);
  // No NODE_PATH: pnpm's bin shims set one that would let require() find our own devDependencies.
  const env = { ...process.env, NODE_PATH: '', NODE_OPTIONS: '' };
  return JSON.parse(execFileSync(process.execPath, [name], { cwd: project.dir, encoding: 'utf8', env }));
}

const probe = `
  const errorOf = (p) => p.then(() => null, (e) => ({ code: e.code, message: e.message, sms: isSmsError(e) }));
  const pglite = await errorOf(openDatabase());
  const pg = await errorOf(openDatabase({ databaseUrl: 'postgres://u@127.0.0.1:1/db' }));
  const tw = await startTwilioEmulator();
  const sms = new TwilioProvider({ accountSid: tw.accountSid, authToken: tw.authToken, fromNumber: '+15005550006' }, { apiBaseUrl: tw.url });
  const sent = await sms.send({ to: '+14155552671', body: 'hi' }).then((r) => r.provider, (e) => e.code);
  await tw.close();
  console.log(JSON.stringify({ pglite, pg, sent }));
`;

const expected = {
  pglite: { code: 'invalid_config', message: expect.stringContaining('"@electric-sql/pglite"'), sms: true },
  pg: { code: 'invalid_config', message: expect.stringContaining('npm i pg'), sms: true },
};

describe('the package without its optional peers', () => {
  it('ESM: openDatabase names the driver to install; the emulators need none', () => {
    const out = run(
      'probe.mjs',
      `import { isSmsError, openDatabase, TwilioProvider } from '@leadmetrics/provider-sms';
import { startTwilioEmulator } from '@leadmetrics/provider-sms/testing';
${probe}`,
    );
    expect(out).toMatchObject(expected);
  });

  it('CJS: the same', () => {
    const out = run(
      'probe.cjs',
      `const { isSmsError, openDatabase, TwilioProvider } = require('@leadmetrics/provider-sms');
const { startTwilioEmulator } = require('@leadmetrics/provider-sms/testing');
(async () => {${probe}})();`,
    );
    expect(out).toMatchObject(expected);
  });
});
