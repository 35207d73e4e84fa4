import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalBytes,
  generateKeyPair,
  Metablock,
  parseKey,
  pythonBytes,
  stringifyPython,
  type PythonDumpOptions,
} from '../../src/index.js';
import { CanonicalValue } from '../../src/encoding/index.js';

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

describe('pythonBytes (what every file is written with)', () => {
  // Strings from every region that escaping treats differently: printable ASCII, `"` and `\`,
  // control characters, DEL, Latin-1, the BMP, and pairs above U+FFFF; integers of any size.
  const char = fc.oneof(
    fc.constantFrom(
      '"',
      '\\',
      '\u007f',
      '\u0000',
      '\n',
      '\u001f',
      '\u00e9',
      '\u2028',
      '\ud83d\ude00'
    ),
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0, max: 0xd7ff }).map((c) => String.fromCharCode(c))
  );
  const str = fc.array(char, { maxLength: 12 }).map((a) => a.join(''));
  const { value } = jsonValues(str);

  it('gives the bytes of json.dumps for random values, with each option set the reference uses', () => {
    const values = fc.sample(value, { numRuns: 150, seed: 42 });
    const options: [PythonDumpOptions, string][] = [
      [
        { indent: 1, separators: [',', ': '], sortKeys: true },
        'indent=1, separators=(",", ": "), sort_keys=True',
      ],
      [{ sortKeys: true }, 'sort_keys=True'],
      [{ ensureAscii: false, indent: 2 }, 'ensure_ascii=False, indent=2'],
    ];
    for (const [opts, kwargs] of options) {
      const r = spawnSync(
        PYTHON,
        [
          '-c',
          `import json,sys; vs=json.load(sys.stdin); sys.stdout.write(json.dumps([json.dumps(v, ${kwargs}) for v in vs]))`,
        ],
        { input: JSON.stringify(values), encoding: 'utf8', maxBuffer: 1 << 26 }
      );
      expect(r.status, r.stderr).toBe(0);
      const theirs = JSON.parse(r.stdout) as string[];
      values.forEach((v, i) => {
        expect(Buffer.from(pythonBytes(v, opts))).toEqual(Buffer.from(theirs[i], 'utf8'));
        expect(stringifyPython(v, opts)).toBe(theirs[i]);
      });
    }
  });
});

/** JSON values (integers only, as canonical JSON) whose strings come from `str`. */
function jsonValues(str: fc.Arbitrary<string>) {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      str,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(str, tie('value'), { maxKeys: 5 }),
      // A dict large enough for the presized path, of hash dicts (the usual one and others).
      fc.dictionary(
        str,
        fc.oneof(fc.record({ sha256: fc.string() }), fc.record({ sha256: str, sha512: str }), str),
        { minKeys: 65, maxKeys: 80 }
      )
    ),
  }));
}

describe('CanonicalValue (a signed Metablock written from its canonical bytes)', () => {
  // Mostly printable ASCII with control characters, so that most values take the fast path and some fall back.
  const char = fc.oneof(
    {
      weight: 20,
      arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    },
    { weight: 1, arbitrary: fc.constantFrom('"', '\\', '\n', '\u007f', '\u00e9', '\ud83d\ude00') }
  );
  const { value } = jsonValues(fc.array(char, { maxLength: 8 }).map((a) => a.join('')));
  const ascii = (v: unknown): boolean =>
    typeof v === 'string'
      ? /^[\x00-\x7f]*$/.test(v)
      : Array.isArray(v)
        ? v.every(ascii)
        : typeof v === 'object' && v !== null
          ? Object.entries(v).every(([k, x]) => ascii(k) && ascii(x))
          : true;
  const sets: PythonDumpOptions[] = [
    { indent: 1, separators: [',', ': '] },
    {},
    { indent: 3, ensureAscii: false },
  ];

  it('is written from its canonical bytes as json.dumps(sort_keys=True) writes the value, at any level, or from the value when a string is not ASCII', () => {
    // The value given along is a marker: it shows which way the copy was made.
    const marker = 'written from the value';
    fc.assert(
      fc.property(
        value,
        fc.constantFrom(...sets),
        fc.integer({ min: 0, max: 3 }),
        (v, opts, level) => {
          let doc: unknown = new CanonicalValue(canonicalBytes(v), marker);
          let want: unknown = ascii(v) ? v : marker;
          // Nested `level` deep in one-key dicts: the copy must sit exactly where the value would.
          for (let i = 0; i < level; i++) {
            doc = { k: doc };
            want = { k: want };
          }
          expect(Buffer.from(pythonBytes(doc, { ...opts, sortKeys: true }))).toEqual(
            Buffer.from(pythonBytes(want, { ...opts, sortKeys: true }))
          );
        }
      ),
      { numRuns: 300 }
    );
  });

  it('deep nesting with wide indentation (padding longer than the slack kept free), and unsorted output from the value', () => {
    let v: unknown = { z: 'end', a: [1, { b: 'x' }] };
    for (let i = 0; i < 60; i++) v = { [`k${i}`]: [v, { y: i }] };
    const opts = { indent: 8, sortKeys: true };
    expect(Buffer.from(pythonBytes(new CanonicalValue(canonicalBytes(v), 'marker'), opts))).toEqual(
      Buffer.from(pythonBytes(v, opts))
    );
    expect(pythonBytes(new CanonicalValue(canonicalBytes(v), 'marker'), { indent: 8 })).toEqual(
      pythonBytes('marker', { indent: 8 })
    );
    // Control characters grow sixfold (\u0001): the copy outgrows the room made for it.
    const controls = { s: '\u0001\u001f'.repeat(4000), t: ['\u007f\n'.repeat(3000)] };
    for (const o of [
      { indent: 1, sortKeys: true },
      { sortKeys: true, ensureAscii: false },
    ])
      expect(
        Buffer.from(pythonBytes(new CanonicalValue(canonicalBytes(controls), 'marker'), o))
      ).toEqual(Buffer.from(pythonBytes(controls, o)));
  });

  it('a signed Metablock file is the same whichever way it is written', async () => {
    const key = parseKey(generateKeyPair({ type: 'ed25519' }).privateText);
    const payload = {
      _type: 'link',
      name: 'x',
      materials: Object.fromEntries(
        Array.from({ length: 100 }, (_, i) => [`src/f${i}.c`, { sha256: 'ab'.repeat(32) }])
      ),
      products: {},
      byproducts: { stdout: 'a "quoted" \\ line', 'return-value': -3 },
      command: ['make', '-j2'],
      environment: {},
    };
    const env = new Metablock(payload);
    await env.sign(key.toSigner());
    expect(Buffer.from(env.toFileBytes()).toString('utf8')).toBe(
      stringifyPython(env.toJSON(), { indent: 1, separators: [',', ': '], sortKeys: true })
    );
  });
});
