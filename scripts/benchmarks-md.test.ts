import { describe, expect, it } from 'vitest';
import { replaceSection } from './benchmarks-md.mjs';

describe('replaceSection', () => {
  it('starts a new file with the header and the section', () => {
    const out = replaceSection('', 'bench', '| a |');
    expect(out).toMatch(/^# Benchmarks/);
    expect(out).toContain('<!-- BEGIN bench:');
    expect(out).toContain('| a |\n<!-- END bench -->');
  });

  it('rewrites only its own section and keeps the others byte for byte', () => {
    const both = replaceSection(replaceSection('', 'bench', 'old bench'), 'loadtest', 'load figures');
    const again = replaceSection(both, 'bench', 'new bench');
    expect(again).toContain('new bench');
    expect(again).not.toContain('old bench');
    expect(again.slice(again.indexOf('<!-- BEGIN loadtest:'))).toBe(
      both.slice(both.indexOf('<!-- BEGIN loadtest:')),
    );
    expect(replaceSection(again, 'bench', 'new bench')).toBe(again);
  });

  it('keeps text outside the markers (a hand-written preface) and refuses a broken section', () => {
    const out = replaceSection('# Mine\n\nprose\n', 'bench', 'x');
    expect(out.startsWith('# Mine\n\nprose\n')).toBe(true);
    expect(() => replaceSection('<!-- BEGIN bench: x -->\nno end', 'bench', 'y')).toThrow(/no END marker/);
    expect(() => replaceSection('', 'Bad Name', 'y')).toThrow(/kebab-case/);
  });
});
