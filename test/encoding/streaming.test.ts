import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalBytes,
  canonicalChunks,
  CanonicalValue,
  pythonBytes,
  pythonChunks,
  SortedDict,
  DigestTable,
} from '../../src/index.js';

/** Everything a streaming encoder hands on, joined; and the chunk sizes it used. */
function collect(run: (flush: (chunk: Uint8Array) => void) => void): {
  bytes: Buffer;
  sizes: number[];
} {
  const parts: Buffer[] = [];
  // Chunks are only valid during the call: copy, as a consumer that keeps them must.
  run((c) => parts.push(Buffer.from(c)));
  return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

const FILE = { indent: 1, separators: [',', ': '] as [string, string], sortKeys: true };

/**
 * A large link-like document: many artifacts, some keys needing escapes or non-ASCII; the
 * materials' hashes as hash dicts, the products' as a digest table (two algorithms).
 */
function bigDoc(n: number, odd: (i: number) => string) {
  const keys = Array.from({ length: n }, (_, i) => `dir/${i % 97}/${odd(i)}file-${i}.bin`);
  const values = keys.map((_, i) => ({ sha256: (i * 2654435761).toString(16).padStart(64, '0') }));
  const bytes = Uint8Array.from({ length: n * 96 }, (_, i) => (i * 131) & 0xff);
  return {
    _type: 'link',
    byproducts: { stdout: 'x'.repeat(300_000) + '\n\u0001"\\', 'return-value': 0 },
    materials: SortedDict.of(keys, values),
    name: 'build',
    products: SortedDict.of(keys, new DigestTable(['sha256', 'sha512'], [32, 64], bytes)),
  };
}

describe('streaming encoders give the same bytes as the in-memory ones', () => {
  it('across many chunk boundaries, with escapes, control characters and non-ASCII', () => {
    for (const odd of [() => '', (i: number) => (i % 5 === 0 ? 'q"\\\u0007é😀/' : '')]) {
      const doc = bigDoc(30_000, odd);
      // The digest table is written as the hash dicts it holds would be.
      const dicts = { ...doc, products: SortedDict.of(doc.products.keys, doc.products.values) };
      expect(Buffer.from(canonicalBytes(doc)).equals(Buffer.from(canonicalBytes(dicts)))).toBe(
        true
      );
      expect(
        Buffer.from(pythonBytes(doc, FILE)).equals(Buffer.from(pythonBytes(dicts, FILE)))
      ).toBe(true);
      const c = collect((f) => canonicalChunks(doc, f));
      expect(c.bytes.equals(Buffer.from(canonicalBytes(doc)))).toBe(true);
      expect(c.sizes.length).toBeGreaterThan(4);
      for (const options of [FILE, { sortKeys: true }]) {
        const p = collect((f) => pythonChunks(doc, options, f));
        expect(p.bytes.equals(Buffer.from(pythonBytes(doc, options)))).toBe(true);
      }
      // Re-spaced from canonical bytes (ASCII), or written from the value (not ASCII): same file.
      const canonical = canonicalBytes(doc);
      const fromCanonical = collect((f) =>
        pythonChunks({ signed: new CanonicalValue(canonical, doc) }, FILE, f)
      );
      expect(fromCanonical.bytes.equals(Buffer.from(pythonBytes({ signed: doc }, FILE)))).toBe(
        true
      );
    }
  });

  it('canonical bytes that end inside a string: written from the value in memory, an error when streaming', () => {
    const value = { a: 'b' };
    const broken = new CanonicalValue(Buffer.from('{"a":"b'), value);
    expect(Buffer.from(pythonBytes({ signed: broken }, FILE)).toString()).toBe(
      Buffer.from(pythonBytes({ signed: value }, FILE)).toString()
    );
    expect(() => pythonChunks({ signed: broken }, FILE, () => undefined)).toThrow(
      /end inside a string/
    );
  });

  it('a value larger than a chunk is handed on whole, between the chunks around it', () => {
    const doc = { a: 'y'.repeat(700_000), b: ['z'.repeat(10)], c: 'w'.repeat(300_000) };
    const c = collect((f) => canonicalChunks(doc, f));
    expect(c.bytes.equals(Buffer.from(canonicalBytes(doc)))).toBe(true);
    expect(Math.max(...c.sizes)).toBeGreaterThanOrEqual(700_000);
  });

  it('any JSON value streams to the same bytes, or fails the same way (property)', () => {
    const outcome = (f: () => Uint8Array) => {
      try {
        return Buffer.from(f()).toString('latin1');
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    };
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(outcome(() => collect((f) => canonicalChunks(v, f)).bytes)).toBe(
          outcome(() => canonicalBytes(v))
        );
        expect(outcome(() => collect((f) => pythonChunks(v, FILE, f)).bytes)).toBe(
          outcome(() => pythonBytes(v, FILE))
        );
      })
    );
  });
});
