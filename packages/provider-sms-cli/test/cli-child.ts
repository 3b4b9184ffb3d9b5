// Test helper: the BUILT `provider-sms` bin in a child process, against emulators the test started.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI package's directory (the children's working directory). */
export const PKG = fileURLToPath(new URL('..', import.meta.url));
/** The bin, as installed: it imports dist/index.js (`pnpm build` first). */
export const BIN = fileURLToPath(new URL('../bin/provider-sms.js', import.meta.url));

/** What a child run printed and how it exited. */
export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The emulators a child is pointed at. */
export interface ChildEmulators {
  twilio: { url: string };
  msg91: { url: string; authKey: string; templateId: string };
}

/**
 * A child's environment: the emulators, embedded PGlite (no DATABASE_URL), no config keys, no Twilio SDK
 * variables; `extra` adds variables (undefined removes one).
 */
export function childEnv(
  emulators: ChildEmulators | undefined,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'DATABASE_URL',
    'PROVIDER_CONFIG_KEYS',
    'TWILIO_ACCOUNT_SID',
    'TWILIO_AUTH_TOKEN',
    'NODE_OPTIONS',
  ])
    delete env[k];
  if (emulators) {
    Object.assign(env, {
      TWILIO_API_BASE_URL: emulators.twilio.url,
      MSG91_API_BASE_URL: emulators.msg91.url,
      MSG91_AUTH_KEY: emulators.msg91.authKey,
      MSG91_TEMPLATE_ID: emulators.msg91.templateId,
    });
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs the bin with `args`: `input` is written to stdin (then closed); `closeStdout` closes its stdout at once. */
export function runBin(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; closeStdout?: boolean } = {},
): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: PKG, env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
