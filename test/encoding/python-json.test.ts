import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stringifyPython } from '../../src/index.js';

// The reference's python (REFERENCE.md §1.1: Metablocks are json.dumps(indent=1, sort_keys=True)).
const PYTHON = '/usr/bin/python3';

function pythonDumps(value: unknown, kwargs: string): string {
  const r = spawnSync(
    PYTHON,
    ['-c', `import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), ${kwargs}))`],
    { input: JSON.stringify(value), encoding: 'utf8', maxBuffer: 1 << 26 }
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('stringifyPython on large dicts (joined from entries, not concatenated)', () => {
  // Above and below the size where dicts switch to the joined path, nested in both directions, with
  // keys that need escaping and keys in an order the sort must fix.
  const artifacts: Record<string, unknown> = {};
  // Hash dicts of every shape, the usual one-sha256 one among them (it has a fast path).
  const shapes = [
    (i: number) => ({ sha512: 'cd', sha256: i.toString(16) }),
    (i: number) => ({ sha256: i.toString(16).padStart(64, '0') }),
    (i: number) => ({ sha256: `x"\u00e9\\${i}` }),
    (i: number) => ({ sha256: i }),
    (i: number) => ({ md5: `${i}` }),
    () => ({}),
    () => ({ sha256: ['a'] }),
  ];
  for (let i = 999; i >= 0; i--) {
    artifacts[`d${i % 7}/f\u00e9 "${i}"\n`] = shapes[i % shapes.length](i);
  }
  const small: Record<string, unknown> = { b: 1, a: [artifacts, {}], c: {} };
  const doc = { signatures: [], signed: { materials: artifacts, products: {}, z: small } };

  it('matches json.dumps(indent=1, separators=(",", ": "), sort_keys=True)', () => {
    expect(stringifyPython(doc, { indent: 1, separators: [',', ': '], sortKeys: true })).toBe(
      pythonDumps(doc, 'indent=1, separators=(",", ": "), sort_keys=True')
    );
  });

  it('matches json.dumps(sort_keys=True) and json.dumps(ensure_ascii=False) in insertion order', () => {
    expect(stringifyPython(doc, { sortKeys: true })).toBe(pythonDumps(doc, 'sort_keys=True'));
    expect(stringifyPython(doc, { ensureAscii: false, indent: 4 })).toBe(
      pythonDumps(doc, 'ensure_ascii=False, indent=4')
    );
  });
});
