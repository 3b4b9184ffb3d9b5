import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** A scratch consumer project holding a copy of the built package (run `pnpm build` first). */
export interface ConsumerProject {
  dir: string;
  /** Writes a file into the project. */
  write(name: string, content: string): void;
  remove(): void;
}

/**
 * A project whose node_modules holds a copy (not a link: links resolve back to our own node_modules) of the
 * built package and, linked, only its dependency `twilio` and `@types/node` — none of its optional peers.
 */
export function consumerProject(): ConsumerProject {
  const dir = mkdtempSync(join(tmpdir(), 'provider-sms-consumer-'));
  const target = join(dir, 'node_modules', '@leadmetrics', 'provider-sms');
  mkdirSync(target, { recursive: true });
  cpSync(join(pkgDir, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(pkgDir, 'package.json'), join(target, 'package.json'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(
    dirname(require.resolve('@types/node/package.json')),
    join(dir, 'node_modules', '@types', 'node'),
  );
  symlinkSync(dirname(require.resolve('twilio/package.json')), join(dir, 'node_modules', 'twilio'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  return {
    dir,
    write: (name, content) => writeFileSync(join(dir, name), content),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
