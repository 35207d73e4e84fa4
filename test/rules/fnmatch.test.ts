import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fnmatch } from '../../src/index.js';

const table = JSON.parse(
  readFileSync(new URL('../fixtures/fnmatch-table.json', import.meta.url), 'utf8')
) as { python: string; rows: [string, string, boolean][] };

describe('fnmatch agrees with Python fnmatch.fnmatchcase', () => {
  it(`on all ${table.rows.length} rows of the reference table (Python ${table.python})`, () => {
    const wrong = table.rows.filter(([p, n, want]) => fnmatch(n, p) !== want);
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('A-2 conformance vectors', () => {
    expect(fnmatch('X', '[!a-z]')).toBe(true);
    expect(fnmatch('a', '[!a-z]')).toBe(false);
    for (const c of ['^', 'a', 'b', 'z']) expect(fnmatch(c, '[^a-z]'), c).toBe(true);
    expect(fnmatch('X', '[^a-z]')).toBe(false);
    expect(fnmatch('a/b', 'a?b')).toBe(true);
    expect(fnmatch('a/b', 'a*b')).toBe(true);
    expect(fnmatch('Evil.sh', '[^a-z]*')).toBe(false);
    expect(fnmatch('a/b/c.py', '*.py')).toBe(true);
  });

  it('property: never throws; a pattern without wildcards matches only itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (p, n) => {
        fnmatch(n, p);
        if (!/[*?[]/.test(p)) expect(fnmatch(n, p)).toBe(n === p);
        expect(fnmatch(p, p.replace(/[*?[]/g, '') === p ? p : '*')).toBe(true);
      }),
      { seed: 3, numRuns: 2000 }
    );
  });

  it('is not exponential on many stars', () => {
    const start = Date.now();
    expect(fnmatch('a'.repeat(5000), '*a*a*a*a*a*a*a*a*b')).toBe(false);
    // A regex with these stars would take minutes; the matcher takes milliseconds. The bound is loose
    // on purpose: this checks the algorithm, not the machine.
    expect(Date.now() - start).toBeLessThan(15_000);
  });
});
