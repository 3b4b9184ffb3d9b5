import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// A consumer type-checks the built declarations with skipLibCheck: false and without msw installed: the
// declarations may import nothing but Node's own modules (run `pnpm build` first).
const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const tmp = mkdtempSync(join(tmpdir(), 'consumer-types-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A project whose node_modules holds a copy (not a link: links resolve back to our own node_modules) of the package. */
function consumerProject(): string {
  const dir = join(tmp, 'project');
  const target = join(dir, 'node_modules', '@leadmetrics', 'provider-sms');
  mkdirSync(target, { recursive: true });
  cpSync(join(pkgDir, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(pkgDir, 'package.json'), join(target, 'package.json'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(
    dirname(require.resolve('@types/node/package.json')),
    join(dir, 'node_modules', '@types', 'node'),
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const uses = `
    export const handlers = [twilioHandlers, msg91Handlers];
    export const emulator = startTwilioEmulator;
    export const provider = TwilioProvider;
    export function code(e: unknown): string | undefined { return isSmsError(e) ? e.code : undefined; }
  `;
  writeFileSync(
    join(dir, 'esm.mts'),
    `import { TwilioProvider, isSmsError } from '@leadmetrics/provider-sms';\nimport { msg91Handlers, startTwilioEmulator, twilioHandlers } from '@leadmetrics/provider-sms/testing';\n${uses}`,
  );
  writeFileSync(
    join(dir, 'cjs.cts'),
    `import { TwilioProvider, isSmsError } from '@leadmetrics/provider-sms';\nimport { msg91Handlers, startTwilioEmulator, twilioHandlers } from '@leadmetrics/provider-sms/testing';\n${uses}`,
  );
  const compilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    module: 'node16',
    moduleResolution: 'node16',
    target: 'es2022',
    types: ['node'],
  };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, files: ['esm.mts', 'cjs.cts'] }),
  );
  return dir;
}

describe('consumer type-check of the built declarations', () => {
  it('compiles with skipLibCheck: false and no msw installed (ESM and CJS)', () => {
    const dir = consumerProject();
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    expect(output).toBe('');
  });
});
