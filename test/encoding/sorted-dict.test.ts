import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalBytes,
  canonicalChunks,
  compareCodePoints,
  encodeCanonical,
  Metablock,
  DSSEEnvelope,
  Link,
  pythonBytes,
  pythonChunks,
  SortedDict,
  DigestTable,
} from '../../src/index.js';

const hashDict = fc.oneof(
  fc.record({ sha256: fc.stringMatching(/^[0-9a-f]{64}$/) }),
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary' }), {
    maxKeys: 3,
  })
);
// Keys with surrogate pairs, U+E000–U+FFFF, control characters, quotes and digits (integer-like
// keys are listed first by Object.keys, whatever the order they were added in).
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('1', '10', '2', 'a/b', 'a.b', 'a0', '\uffff', '😀', '"', '\\', '\n')
);

describe('SortedDict: a JSON object from keys and values, in code-point order', () => {
  it('is encoded exactly as the object it stands for, by every encoder (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 12 }), fc.array(hashDict), (keys, pool) => {
        const values = keys.map((_, i) => pool[i % Math.max(1, pool.length)] ?? {});
        const obj = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
        const sd = SortedDict.of(keys, values);
        expect(sd.keys).toEqual([...keys].sort(compareCodePoints));
        expect(sd.toObject()).toEqual(obj);
        const doc = (m: unknown) => ({ materials: m, name: 'x' });
        expect(encodeCanonical(doc(sd))).toBe(encodeCanonical(doc(obj)));
        expect(canonicalBytes(doc(sd))).toEqual(canonicalBytes(doc(obj)));
        for (const options of [
          { indent: 1, separators: [',', ': '] as [string, string], sortKeys: true },
          { sortKeys: true },
        ])
          expect(pythonBytes(doc(sd), options)).toEqual(pythonBytes(doc(obj), options));
      })
    );
  });

  it('keeps keys given in order as they are, and sorts the rest by code point', () => {
    const inOrder = ['a.txt', 'a/x', 'a0'];
    expect(SortedDict.of(inOrder, [1, 2, 3]).keys).toBe(inOrder);
    // '😀' (U+1F600) sorts after U+FFFF by code point, before it by UTF-16 unit.
    const sd = SortedDict.of(['😀', '\uffff', 'a0', 'a/x'], [1, 2, 3, 4]);
    expect(sd.keys).toEqual(['a/x', 'a0', '\uffff', '😀']);
    expect(sd.values).toEqual([4, 3, 2, 1]);
    expect(sd.size).toBe(4);
  });

  it('refuses a key given twice, in order or not, and lists of different lengths', () => {
    expect(() => SortedDict.of(['a', 'a'], [1, 2])).toThrow(/"a" repeats/);
    expect(() => SortedDict.of(['b', 'a', 'b'], [1, 2, 3])).toThrow(/"b" repeats/);
    expect(() => SortedDict.of(['a'], [])).toThrow(/differ in length/);
  });

  it('an envelope made for a recorded link reads its payload back as plain objects', () => {
    const link = new Link({
      name: 'build',
      materials: SortedDict.of(['b', 'a'], [{ sha256: 'bb' }, { sha256: 'aa' }]),
    });
    expect(link.count('materials')).toBe(2);
    expect(link.count('products')).toBe(0);
    expect(link.artifacts('materials')).toEqual({ a: { sha256: 'aa' }, b: { sha256: 'bb' } });
    const plain = new Metablock(link.toJSON());
    const fast = Metablock.forValue(link.toEncodable());
    expect(fast.payload).toEqual(plain.payload);
    expect(fast.signedBytes()).toEqual(plain.signedBytes());
    expect(fast.toFileBytes()).toEqual(plain.toFileBytes());
    const dsse = DSSEEnvelope.fromPayload(link.toEncodable());
    expect(dsse.payloadBytes).toEqual(DSSEEnvelope.fromPayload(link.toJSON()).payloadBytes);
    expect(dsse.payload).toEqual(link.toJSON());
  });
});

describe('DigestTable: hash dicts as raw digests, written as hex by the encoders', () => {
  it('encodes exactly as the hash dicts it holds, sorted or not, one algorithm or three (property)', () => {
    const widths: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 10 }),
        fc.subarray(['sha256', 'sha384', 'sha512'], { minLength: 1 }),
        fc.integer(),
        (keys, algorithms, seed) => {
          const w = algorithms.map((a) => widths[a]);
          const stride = w.reduce((a, b) => a + b, 0);
          const bytes = Uint8Array.from(
            { length: keys.length * stride },
            (_, i) => (i * 31 + seed) & 0xff
          );
          const table = new DigestTable(algorithms, w, bytes);
          const dicts = table.dicts();
          expect(dicts.every((d) => Object.keys(d).join() === algorithms.join())).toBe(true);
          expect(dicts.map((d) => Object.values(d).join('')).join('')).toBe(
            Buffer.from(bytes).toString('hex')
          );
          const fast = SortedDict.of(keys, table);
          const slow = SortedDict.of(keys, dicts);
          expect(fast.keys).toEqual(slow.keys);
          expect(fast.values).toEqual(slow.values);
          const doc = (m: unknown) => ({ materials: m, name: 'x' });
          expect(canonicalBytes(doc(fast))).toEqual(canonicalBytes(doc(slow)));
          expect(encodeCanonical(doc(fast))).toBe(encodeCanonical(doc(slow)));
          for (const options of [
            { indent: 1, separators: [',', ': '] as [string, string], sortKeys: true },
            { sortKeys: true },
          ])
            expect(pythonBytes(doc(fast), options)).toEqual(pythonBytes(doc(slow), options));
        }
      )
    );
  });

  it('writes hundreds of members, and keys longer than a chunk, as the hash dicts do, whole or in chunks (property)', () => {
    // Members go out in batches of 256, and streamed encoders in chunks of 256 KiB: keys that need
    // escaping anywhere among them, and a key larger than a chunk, must come out the same.
    const long = fc.constantFrom('', 'x'.repeat(300 << 10), `"${'é'.repeat(140 << 10)}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(key, fc.stringMatching(/^[a-z0-9/._-]{1,40}$/)), {
          minLength: 257,
          maxLength: 800,
        }),
        long,
        (many, extra) => {
          const keys = extra && !many.includes(extra) ? [...many, extra] : many;
          const bytes = Uint8Array.from({ length: keys.length * 32 }, (_, i) => (i * 7) & 0xff);
          const table = new DigestTable(['sha256'], [32], bytes);
          const fast = { materials: SortedDict.of(keys, table) };
          const slow = { materials: SortedDict.of(keys, table.dicts()) };
          const whole = canonicalBytes(slow);
          expect(Buffer.from(canonicalBytes(fast)).equals(Buffer.from(whole))).toBe(true);
          const chunks: Buffer[] = [];
          canonicalChunks(fast, (c) => chunks.push(Buffer.from(c)));
          expect(Buffer.concat(chunks).equals(Buffer.from(whole))).toBe(true);
          const options = {
            indent: 1,
            separators: [',', ': '] as [string, string],
            sortKeys: true,
          };
          const file = Buffer.from(pythonBytes(slow, options));
          expect(Buffer.from(pythonBytes(fast, options)).equals(file)).toBe(true);
          const parts: Buffer[] = [];
          pythonChunks(fast, options, (c) => parts.push(Buffer.from(c)));
          expect(Buffer.concat(parts).equals(file)).toBe(true);
        }
      ),
      { numRuns: 25, endOnFailure: true }
    );
  });
});
