import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Code bundled into dist keeps its license notices (run `pnpm build` first).
const bundled = JSON.parse(
  readFileSync(new URL('../../bundled-packages.json', import.meta.url), 'utf8'),
) as string[];
const notices = readFileSync(new URL('../../dist/THIRD_PARTY_LICENSES.md', import.meta.url), 'utf8');

describe('dist/THIRD_PARTY_LICENSES.md', () => {
  it.each(bundled)('holds the license text of %s', (name) => {
    const section = notices.split('\n## ').find((s) => s.startsWith(`${name} `));
    expect(section, name).toBeDefined();
    expect(section).toMatch(/Permission is hereby granted|Apache License/);
  });
});
