import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { consumerProject } from './consumer-project.js';

// A consumer type-checks the built declarations with skipLibCheck: false and without msw installed: the
// declarations may import nothing but Node's own modules (run `pnpm build` first).
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const project = consumerProject();
afterAll(() => project.remove());

describe('consumer type-check of the built declarations', () => {
  it('compiles with skipLibCheck: false and no msw installed (ESM and CJS)', () => {
    const imports = `import { TwilioProvider, isSmsError } from '@leadmetrics/provider-sms';
import { msg91Handlers, startTwilioEmulator, twilioHandlers } from '@leadmetrics/provider-sms/testing';
import { createSmsConfigService, type SmsConfigStore } from '@leadmetrics/provider-sms/config';
import { createStatusWebhookHandler, type SmsStatusEvent } from '@leadmetrics/provider-sms/webhooks';
export const config: [typeof createSmsConfigService, SmsConfigStore | undefined] = [createSmsConfigService, undefined];
export const hooks: [typeof createStatusWebhookHandler, SmsStatusEvent | undefined] = [createStatusWebhookHandler, undefined];
export const handlers = [twilioHandlers, msg91Handlers];
export const emulator = startTwilioEmulator;
export const provider = TwilioProvider;
export function code(e: unknown): string | undefined { return isSmsError(e) ? e.code : undefined; }
`;
    project.write('esm.mts', imports);
    project.write('cjs.cts', imports);
    const compilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      types: ['node'],
    };
    project.write('tsconfig.json', JSON.stringify({ compilerOptions, files: ['esm.mts', 'cjs.cts'] }));
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', project.dir], {
        cwd: project.dir,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    expect(output).toBe('');
  });
});
