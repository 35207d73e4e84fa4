import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalBytes,
  encodeCanonical,
  parseJSON,
  JSONFloat,
  stringifyPython,
  FormatError,
  LimitError,
} from '../../src/index.js';
import { compareCodePoints } from '../../src/encoding/index.js';
import { cases, readVector } from '../helpers/vectors.js';

describe('canonical JSON (securesystemslib encode_canonical)', () => {
  for (const c of cases.canonical) {
    it(`${c.id}: ${c.file} .${c.object}`, () => {
      const doc = parseJSON(readVector(c.file)) as Record<string, unknown>;
      expect(Buffer.from(encodeCanonical(doc[c.object]), 'utf8').toString('hex')).toBe(
        c.expect_hex
      );
    });
  }

  it('escapes only backslash and quote, emits control characters raw', () => {
    expect(encodeCanonical({ a: 'x"\\\n\u0000\u001b\u00e9' })).toBe(
      '{"a":"x\\"\\\\\n\u0000\u001b\u00e9"}'
    );
  });

  it('sorts keys by code point, not UTF-16 unit', () => {
    // U+1F600 (surrogate pair D83D DE00) sorts after U+FFFF in Python, before it in JS sort().
    const obj = { '\u{1F600}': 1, '\uffff': 2, a: 3 };
    expect(encodeCanonical(obj)).toBe('{"a":3,"\uffff":2,"\u{1F600}":1}');
  });

  it('keeps big integers exact and rejects floats', () => {
    expect(encodeCanonical(parseJSON('{"n": 123456789012345678901234567890}'))).toBe(
      '{"n":123456789012345678901234567890}'
    );
    expect(() => encodeCanonical(parseJSON('{"n": 1.0}'))).toThrow(FormatError);
    expect(() => encodeCanonical({ n: 1.5 })).toThrow(/integers only/);
    expect(() => encodeCanonical({ n: undefined })).toThrow(FormatError);
    expect(encodeCanonical([true, false, null, -0, 0])).toBe('[true,false,null,0,0]');
  });

  it('rejects lone surrogates', () => {
    expect(() => encodeCanonical('\ud800')).toThrow(/surrogate/);
  });

  it('property: canonical form is stable under key order and parse round-trips', () => {
    const json = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.string({ unit: 'grapheme' }),
        fc.array(tie('v')),
        fc.dictionary(fc.string({ unit: 'grapheme' }), tie('v'))
      ),
    })).v;
    fc.assert(
      fc.property(json, (v) => {
        const c = encodeCanonical(v);
        expect(encodeCanonical(parseJSON(JSON.stringify(v)))).toBe(c);
        expect(encodeCanonical(parseJSON(c))).toBe(c);
        const shuffled = JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
          x && typeof x === 'object' && !Array.isArray(x)
            ? Object.fromEntries(Object.entries(x).reverse())
            : x
        );
        expect(encodeCanonical(shuffled)).toBe(c);
      }),
      { seed: 42, numRuns: 300 }
    );
  });

  it('property: canonicalBytes writes exactly the UTF-8 of encodeCanonical, or throws its error', () => {
    const outcome = (f: () => Uint8Array | string) => {
      try {
        return { bytes: Buffer.from(f()).toString('hex') };
      } catch (err) {
        return { error: (err as Error).message };
      }
    };
    const json = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.bigInt(),
        fc.constantFrom(1.5, -0, new JSONFloat('1.0'), undefined, '\ud800x', 'a"b\\c\u0001'),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'grapheme-ascii' }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 5 }), tie('v'), { maxKeys: 5 }),
        // hash dicts of one sha256 (a fast path), and look-alikes
        fc.record({ sha256: fc.oneof(fc.string({ unit: 'binary' }), fc.integer()) }),
        fc.record({ sha256: fc.string(), md5: fc.string() }),
        fc
          .dictionary(fc.string({ maxLength: 3 }), tie('v'), { maxKeys: 70 })
          .map((d) => new Map(Object.entries(d)))
      ),
    })).v;
    fc.assert(
      fc.property(json, (v) => {
        expect(outcome(() => canonicalBytes(v))).toEqual(
          outcome(() => Buffer.from(encodeCanonical(v), 'utf8'))
        );
      }),
      { seed: 7, numRuns: 1000 }
    );
    // A large one (the writer grows its buffer), with every artifact shape.
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++)
      big[`d/${i}\u00e9`] = i % 3 ? { sha256: 'ab'.repeat(32) } : { sha256: 'x', md5: `${i}` };
    expect(Buffer.from(canonicalBytes({ big })).toString()).toBe(encodeCanonical({ big }));
  });

  it('compareCodePoints orders like Python str', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const cp = (s: string) => Array.from(s, (ch) => ch.codePointAt(0)!);
        const x = cp(a);
        const y = cp(b);
        let expected = 0;
        for (let i = 0; i < Math.min(x.length, y.length) && expected === 0; i++)
          expected = x[i] - y[i];
        if (expected === 0) expected = x.length - y.length;
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(expected));
      }),
      { seed: 7, numRuns: 500 }
    );
  });
});

describe('strict JSON reader', () => {
  it('rejects duplicate keys, also when escaped, with a path', () => {
    expect(() => parseJSON('{"signed":{"inspect":[{"run":["a"],"ru\\u006e":["b"]}]}}')).toThrow(
      /duplicate key "run".*signed\.inspect\[0\]\.run/
    );
    expect(() => parseJSON('{"a":1,"a":1}')).toThrow(FormatError);
  });

  it('tells 1 from 1.0 and keeps integers beyond 2^53', () => {
    expect(parseJSON('1')).toBe(1);
    expect(parseJSON('1.0')).toBeInstanceOf(JSONFloat);
    expect(parseJSON('9007199254740993')).toBe(9007199254740993n);
    expect(parseJSON('-0')).toBe(0);
  });

  it('rejects what Python would not sign: BOM, NaN, control chars, lone surrogates, trailing data', () => {
    for (const bad of [
      '\ufeff{}',
      'NaN',
      '"a\u0001"',
      '"\\ud800"',
      '{} x',
      '',
      '[1,]',
      '{"a":1,}',
      '01',
      '"\\x"',
    ]) {
      expect(() => parseJSON(bad), JSON.stringify(bad)).toThrow(FormatError);
    }
  });

  it('rejects invalid UTF-8 bytes', () => {
    expect(() => parseJSON(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(/UTF-8/);
  });

  it('limits depth', () => {
    expect(() => parseJSON('['.repeat(65) + ']'.repeat(65))).toThrow(LimitError);
    expect(parseJSON('['.repeat(64) + ']'.repeat(64))).toBeTruthy();
  });

  it('keeps __proto__ as a plain key', () => {
    const v = parseJSON('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('property: never throws anything but FormatError/LimitError', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseJSON(s);
        } catch (e) {
          expect(e instanceof FormatError || e instanceof LimitError).toBe(true);
        }
      }),
      { seed: 1, numRuns: 2000 }
    );
  });
});

describe('Python json.dumps output', () => {
  it('writes Metablocks like the reference (indent=1, sorted, ASCII)', () => {
    const v = { signed: { b: [], a: {}, c: ['é', 1] }, signatures: [] };
    expect(stringifyPython(v, { indent: 1, separators: [',', ': '], sortKeys: true })).toBe(
      '{\n "signatures": [],\n "signed": {\n  "a": {},\n  "b": [],\n  "c": [\n   "\\u00e9",\n   1\n  ]\n }\n}'
    );
    expect(stringifyPython({ b: 1, a: 'x\n' }, { sortKeys: true })).toBe('{"a": "x\\n", "b": 1}');
  });
});
