import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as config from '../../src/config/index.js';
import * as api from '../../src/index.js';
import * as ledger from '../../src/ledger/index.js';
import * as testing from '../../src/testing/index.js';
import * as webhooks from '../../src/webhooks/index.js';

// The README's snippets name only functions that exist, and it keeps exactly two set-up commands.
const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('imports only names the package exports', () => {
    const entries: Record<string, Record<string, unknown>> = {
      '': api,
      '/testing': testing,
      '/config': config,
      '/webhooks': webhooks,
      '/ledger': ledger,
    };
    let checked = 0;
    for (const m of readme.matchAll(/import \{([^}]+)\} from '@leadmetrics\/provider-sms(\/[a-z]+)?'/g)) {
      checked++;
      const names = (m[1] ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const module = entries[m[2] ?? ''];
      expect(module, `entry ${m[2]}`).toBeDefined();
      for (const name of names) expect(module?.[name], `${name} from ${m[2] ?? '.'}`).toBeDefined();
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('has the two set-up commands: install + demo, and the tests', () => {
    expect(readme).toContain('npm i -g pnpm@10.34.9 && pnpm install && pnpm demo');
    expect(readme).toMatch(/^pnpm test\b/m);
  });
});
