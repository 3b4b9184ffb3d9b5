import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

// The README's snippets name only functions that exist, and it keeps exactly two set-up commands.
const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('imports only names the package exports', () => {
    for (const m of readme.matchAll(/import \{([^}]+)\} from '@leadmetrics\/provider-sms(\/testing)?'/g)) {
      const names = (m[1] ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const module: Record<string, unknown> = m[2] ? testing : api;
      for (const name of names) expect(module[name], `${name} from ${m[2] ?? '.'}`).toBeDefined();
    }
  });

  it('has the two set-up commands: install + demo, and the tests', () => {
    expect(readme).toContain('npm i -g pnpm@10.34.9 && pnpm install && pnpm demo');
    expect(readme).toMatch(/^pnpm test\b/m);
  });
});
