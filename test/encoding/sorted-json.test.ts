/**
 * The sorted-keys fast path (src/encoding/sorted-json.ts) must be invisible: for every input it gives
 * the strict reader's value or the strict reader's error, and canonical bytes equal to encodeCanonical.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalBytes,
  parseJSON,
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
