/**
 * The sorted-keys fast path (src/encoding/sorted-json.ts) must be invisible: for every input it gives
 * the strict reader's value or the strict reader's error, and canonical bytes equal to encodeCanonical.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalBytes,
  parseJSON,
  parseMetadata,
  Link,
  DSSEEnvelope,
  parseJSONCanonical,
  scanSortedJSON,
  stringifyPython,
  type JSONValue,
} from '../../src/index.js';

/** JSON values the canonical encoder accepts: no floats; strings over all of Unicode (surrogates too). */
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme-ascii' }),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 5 })
  ),
}));

/** The strict reader's outcome, as a value or the error message. */
function strict(bytes: Uint8Array): { value?: JSONValue; error?: string } {
  try {
    return { value: parseJSON(bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function fast(bytes: Uint8Array): { value?: JSONValue; error?: string; canonical?: Uint8Array } {
  try {
    const r = parseJSONCanonical(bytes, { spanOf: 'signed' });
    return { value: r.value, canonical: r.canonical };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('parseJSONCanonical', () => {
  it('equals the strict reader and encodeCanonical on documents written as the reference writes them', () => {
    let taken = 0;
    fc.assert(
      fc.property(value, fc.constantFrom(undefined, 1, 4), fc.boolean(), (v, indent, ascii) => {
        const text = stringifyPython(
          { signatures: [], signed: v },
          { indent, sortKeys: true, ensureAscii: ascii }
        );
        const bytes = Buffer.from(text, 'utf8');
        const a = strict(bytes);
        const b = fast(bytes);
        expect(b.error).toBe(a.error);
        expect(b.value).toEqual(a.value);
        if (b.canonical) {
          taken++;
          // Taken whenever the keys have no escapes (always for ASCII-only keys without ", \).
          expect(Buffer.from(b.canonical).equals(Buffer.from(canonicalBytes(v)))).toBe(true);
        }
      }),
      { seed: 20261125, numRuns: 600 }
    );
    expect(taken).toBeGreaterThan(200); // the fast path itself was tested, not only the fallback
  });

  it('the fast path is taken for link-shaped documents, and refuses what the strict reader refuses', () => {
    const link = Buffer.from(
      stringifyPython(
        {
          signatures: [{ keyid: 'ab', sig: 'cd' }],
          signed: {
            _type: 'link',
            name: 'build',
            materials: { 'src/a.c': { sha256: '0'.repeat(64) } },
            products: { 'dist/app.tar': { sha256: '1'.repeat(64) } },
            byproducts: { stdout: 'line\n"quoted"\t\\', 'return-value': -1 },
            command: ['make', '☃ é'], // non-ASCII values (escaped by python) are fine
            environment: { big: 123456789012345 },
          },
        },
        { indent: 1, sortKeys: true }
      )
    );
    expect(scanSortedJSON(link, 64, 'signed')).toBeDefined();
    // A key python escapes (non-ASCII) is not compared on the fast path: the strict reader reads it.
    expect(scanSortedJSON(Buffer.from('{"\\u00fc": 1}'), 64)).toBeUndefined();
    expect(parseJSONCanonical(Buffer.from('{"\\u00fc": 1}')).value).toEqual({ ü: 1 });
    for (const hostile of [
      '{"a": 1, "a": 2}', // duplicate
      '{"b": 1, "a": 2}', // unsorted: strict reader decides (accepts)
      '{"a": 1.5}', // float
      '{"a": 12345678901234567890}', // big integer
      '{"a": -0}',
      '\ufeff{"a": 1}', // BOM
      '{"a": "\\ud800"}', // lone surrogate
      '{"a": "x\u0001"}', // raw control character
      '{"a": [[[[1]]]]}',
      '{"a": 1} x',
      '{"a": tru}',
      '{"a\\u0062": 1, "ab": 2}', // escaped duplicate
    ]) {
      const bytes = Buffer.from(hostile, 'utf8');
      const a = strict(bytes);
      const b = fast(bytes);
      expect(b.error, hostile).toBe(a.error);
      expect(b.value, hostile).toEqual(a.value);
    }
    // Text (not bytes) with a raw lone surrogate: its UTF-8 bytes would say U+FFFD; strict reader.
    expect(() => parseJSONCanonical('{"signed": {"a": "\ud800"}}', { spanOf: 'signed' })).toThrow(
      /lone surrogate/
    );
    const pair = parseJSONCanonical('{"signed": {"a": "\ud83d\ude00"}}', { spanOf: 'signed' });
    expect(pair.value).toEqual({ signed: { a: '😀' } });
    // Depth: the limit applies on the fast path too.
    const deep = Buffer.from('[[[[1]]]]');
    expect(() => parseJSONCanonical(deep, { maxDepth: 3 })).toThrow(/nesting deeper than 3/);
  });

  it('any single-byte change of a real link gives the strict reader’s verdict', () => {
    const base = Buffer.from(
      stringifyPython(
        {
          signatures: [],
          signed: { _type: 'link', name: 'x', products: { a: { sha256: 'ff' } }, n: [1, -2, true] },
        },
        { indent: 1, sortKeys: true }
      )
    );
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bytes = Buffer.from(base);
        bytes[at] = byte;
        const a = strict(bytes);
        const b = fast(bytes);
        expect(b.error).toBe(a.error);
        expect(b.value).toEqual(a.value);
      }),
      { seed: 7, numRuns: 1500 }
    );
  });
});

/** A parsed value with its lifted Maps turned back into the objects they stand for. */
function unlift(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, unlift(x)]));
  if (Array.isArray(v)) return v.map(unlift);
  if (v && typeof v === 'object' && v.constructor === Object)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unlift(x)]));
  return v;
}

const LIFT = { parent: 'signed', keys: ['materials', 'products'] } as const;

function lifted(bytes: Uint8Array): {
  value?: unknown;
  error?: string;
  canonical?: Uint8Array;
  maps: number;
} {
  try {
    const r = parseJSONCanonical(bytes, { spanOf: 'signed', lift: LIFT });
    const signed = (r.value as { signed?: Record<string, unknown> } | null)?.signed;
    const maps =
      signed && typeof signed === 'object'
        ? Object.values(signed).filter((x) => x instanceof Map).length
        : 0;
    return { value: unlift(r.value), canonical: r.canonical, maps };
  } catch (err) {
    return { error: (err as Error).message, maps: 0 };
  }
}

describe('parseJSONCanonical with lift (artifact dicts read into Maps)', () => {
  // Artifact dicts of every shape: odd paths (escapes, non-ASCII, __proto__), several algorithms,
  // non-hex and non-string digests, non-object hash dicts.
  const path = fc.oneof(
    fc.constantFrom('__proto__', 'a', 'src/a.c', 'dir/../x', 'ü', 'a"b', 'a\\b', ''),
    fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 4 })
  );
  const hex = (minLength: number, maxLength: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength, maxLength });
  const hashDict = fc.oneof(
    fc.dictionary(
      fc.constantFrom('sha256', 'sha512', 'md5', '__proto__', 'SHA256'),
      fc.oneof(hex(0, 8), fc.string({ maxLength: 3 })),
      { maxKeys: 3 }
    ),
    fc.record({ sha256: hex(1, 64) }),
    fc.constantFrom(1, 'x', null, [])
  );
  const artifacts = fc.oneof(
    fc.dictionary(path, hashDict, { maxKeys: 6 }),
    fc.dictionary(path, fc.record({ sha256: hex(0, 8) }), { maxKeys: 6 }),
    fc.constantFrom([], 'x', null)
  );
  const doc = fc.record(
    {
      _type: fc.constantFrom('link', 'layout', 'Link'),
      name: fc.string({ maxLength: 4 }),
      materials: artifacts,
      products: artifacts,
      command: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
    },
    { requiredKeys: ['_type'] }
  );

  it('gives the strict reader’s value (Maps as objects) or error, and the canonical bytes', () => {
    let maps = 0;
    fc.assert(
      fc.property(doc, fc.constantFrom(undefined, 1), fc.boolean(), (signed, indent, ascii) => {
        const text = stringifyPython(
          { signatures: [], signed },
          { indent, sortKeys: true, ensureAscii: ascii }
        );
        const bytes = Buffer.from(text, 'utf8');
        const a = strict(bytes);
        const b = lifted(bytes);
        expect(b.error).toBe(a.error);
        expect(b.value).toEqual(a.value);
        if (b.canonical)
          expect(Buffer.from(b.canonical).equals(Buffer.from(canonicalBytes(signed)))).toBe(true);
        // Maps only for links, and then the encoders write them as their objects.
        if (b.maps > 0) expect(signed._type).toBe('link');
        maps += b.maps;
      }),
      { seed: 20261126, numRuns: 800 }
    );
    expect(maps).toBeGreaterThan(40); // lifting itself was exercised (50 with this seed)
  });

  it('any single-byte change of a link gives the strict reader’s verdict', () => {
    const base = Buffer.from(
      stringifyPython(
        {
          signatures: [],
          signed: {
            _type: 'link',
            materials: { a: { sha256: 'ff' }, 'b/c': { md5: '00', sha256: '0a' } },
            name: 'x',
            products: {},
          },
        },
        { indent: 1, sortKeys: true }
      )
    );
    expect(lifted(base).maps).toBe(2);
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bytes = Buffer.from(base);
        bytes[at] = byte;
        const a = strict(bytes);
        const b = lifted(bytes);
        expect(b.error).toBe(a.error);
        expect(b.value).toEqual(a.value);
      }),
      { seed: 11, numRuns: 1500 }
    );
  });

  it('Maps keep __proto__ as an ordinary path, and are written back as their objects', () => {
    const signed = {
      _type: 'link',
      materials: { __proto__x: { sha256: 'aa' } },
      products: JSON.parse('{"__proto__": {"sha256": "bb"}, "z": {"sha256": "cc", "md5": "dd"}}'),
    };
    const bytes = Buffer.from(stringifyPython({ signed }, { indent: 1, sortKeys: true }), 'utf8');
    const r = parseJSONCanonical(bytes, { spanOf: 'signed', lift: LIFT });
    const products = (r.value as unknown as { signed: { products: Map<string, unknown> } }).signed
      .products;
    expect(products).toBeInstanceOf(Map);
    expect([...products.keys()]).toEqual(['__proto__', 'z']);
    expect(products.get('z')).toEqual({ md5: 'dd', sha256: 'cc' });
    expect(Buffer.from(canonicalBytes((r.value as { signed: unknown }).signed))).toEqual(
      Buffer.from(r.canonical!)
    );
    expect(stringifyPython(r.value, { indent: 1, sortKeys: true })).toBe(bytes.toString());
  });
});

describe('links read with liftArtifacts', () => {
  it('Link.fromJSON gives the same link or the same error as without lifting', () => {
    const digests = ['ab12', 'AB12', '', 'xyz', 'ab 12', '0'.repeat(64)];
    for (const d of digests) {
      for (const extra of [{}, { md5: d }]) {
        const signed = {
          _type: 'link',
          materials: { 'a.c': { sha256: '00' }, 'b.c': { sha256: d, ...extra } },
          name: 'build',
          products: {},
        };
        const text = stringifyPython({ signatures: [], signed }, { indent: 1, sortKeys: true });
        const outcome = (lift: boolean) => {
          try {
            const env = parseMetadata(text, { liftArtifacts: lift });
            const link = Link.fromJSON(env.payload);
            expect(link.artifacts('materials') instanceof Map).toBe(lift);
            return { materials: link.materials, json: canonicalBytes(link.toJSON()) };
          } catch (err) {
            return { error: (err as Error).message };
          }
        };
        expect(outcome(true), d).toEqual(outcome(false));
      }
    }
  });

  it('DSSE links are lifted too (the payload’s top level), layouts never', () => {
    const link = {
      _type: 'link',
      materials: { 'a.c': { sha256: '00' } },
      name: 'build',
      products: { 'b.o': { sha256: 'ff' } },
    };
    const dsse = parseMetadata(DSSEEnvelope.fromPayload(link).toFileText(), {
      liftArtifacts: true,
    });
    const l = Link.fromJSON(dsse.payload);
    expect(l.artifacts('products')).toBeInstanceOf(Map);
    expect(l.products).toEqual({ 'b.o': { sha256: 'ff' } });
    // Not a link: its fields stay objects, whatever their names.
    const layout = { _type: 'layout', materials: { 'a.c': { sha256: '00' } } };
    const env = parseMetadata(stringifyPython({ signatures: [], signed: layout }), {
      liftArtifacts: true,
    });
    expect(env.payload.materials).toEqual({ 'a.c': { sha256: '00' } });
    expect(env.payload.materials).not.toBeInstanceOf(Map);
  });
});
