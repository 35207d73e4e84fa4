/**
 * A fast path for reading metadata written the usual way — by the reference's `json.dumps(...,
 * sort_keys=True)` or by us: every object's keys already in code-point order.
 *
 * One pass over the bytes checks that the document is such JSON and, at the same time, writes its
 * canonical form (REFERENCE.md §1.6). When it holds, `JSON.parse` gives exactly what the strict reader
 * (strict-json.ts) would, because every difference between the two is ruled out on the way:
 *
 * - keys strictly increasing in each object ⇒ no duplicate keys (SECURITY.md A-9); keys with escapes
 *   are not compared here, so they send the document to the strict reader;
 * - numbers: integers of at most 15 digits only (exact as JS numbers; not `-0`), no fractions or
 *   exponents (the strict reader marks those as floats, canonical JSON refuses them);
 * - no BOM, no raw control characters in strings, no lone surrogate escapes, nesting ≤ maxDepth,
 *   nothing after the value; the bytes must be valid UTF-8 (checked by the caller's decoder).
 *
 * Anything else returns `undefined` and the caller uses the strict reader, which also produces the
 * error messages. For a link with 100k artifacts this replaces the strict parse and the canonical
 * encoding (~350 ms at 3 × 20k artifacts) by one scan and a native `JSON.parse` (~70 ms).
 */
import { isAscii } from 'node:buffer';
import type { JSONValue } from './json.types.js';
import { DEFAULT_MAX_DEPTH, decodeUTF8, parseJSON, type ParseOptions } from './strict-json.js';

export interface SortedScan {
  /** The canonical JSON of the whole document. */
  canonical: Uint8Array;
  /** Where, in `canonical`, the value of the top-level key `key` is (if asked for and present). */
  span?: [number, number];
}

const SURROGATE = /[\ud800-\udfff]/;

const HEX: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/** Thrown inside the scanner to fall back (one instance, no stack per throw); never leaves this module. */
class Fallback extends Error {}
const FALLBACK = new Fallback('not sorted-keys JSON');

class Scanner {
  i = 0;
  o = 0;
  span?: [number, number];
  constructor(
    readonly b: Uint8Array,
    readonly out: Uint8Array,
    readonly maxDepth: number,
    readonly key: Uint8Array | undefined
  ) {}

  ws(): void {
    const b = this.b;
    let i = this.i;
    for (;;) {
      const c = b[i];
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  value(depth: number): void {
    const c = this.b[this.i];
    if (c === 123) this.object(depth + 1);
    else if (c === 91) this.array(depth + 1);
    else if (c === 34) this.string();
    else if (c === 116) this.literal(TRUE);
    else if (c === 102) this.literal(FALSE);
    else if (c === 110) this.literal(NULL);
    else this.number();
  }

  literal(word: Uint8Array): void {
    const b = this.b;
    for (let k = 0; k < word.length; k++) if (b[this.i + k] !== word[k]) throw FALLBACK;
    this.out.set(word, this.o);
    this.i += word.length;
    this.o += word.length;
  }

  number(): void {
    const b = this.b;
    const start = this.i;
    let i = start;
    if (b[i] === 45) i++; // -
    const first = i;
    if (b[i] === 48) i++;
    else if (b[i] >= 49 && b[i] <= 57) while (b[i] >= 48 && b[i] <= 57) i++;
    else throw FALLBACK;
    const c = b[i];
    // A fraction or exponent, more than 15 digits, or -0: the strict reader decides.
    if (c === 46 || c === 101 || c === 69 || i - first > 15) throw FALLBACK;
    if (b[start] === 45 && i - first === 1 && b[first] === 48) throw FALLBACK;
    this.out.set(b.subarray(start, i), this.o);
    this.o += i - start;
    this.i = i;
  }

  /** A string: copied as canonical JSON writes it (only `"` and `\` escaped, all else raw UTF-8). */
  string(): void {
    const b = this.b;
    const out = this.out;
    let i = this.i + 1;
    let o = this.o;
    out[o++] = 34;
    for (;;) {
      const c = b[i];
      if (c === 34) break;
      if (c === undefined || c < 32) throw FALLBACK;
      if (c !== 92) {
        out[o++] = c;
        i++;
        continue;
      }
      const e = b[i + 1];
      i += 2;
      if (e === 34 || e === 92) {
        out[o++] = 92;
        out[o++] = e;
      } else if (e === 47) out[o++] = 47;
      else if (e === 98) out[o++] = 8;
      else if (e === 102) out[o++] = 12;
      else if (e === 110) out[o++] = 10;
      else if (e === 114) out[o++] = 13;
      else if (e === 116) out[o++] = 9;
      else if (e === 117) {
        let cp = this.hex4(i);
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdfff) {
          // A surrogate must be the high half of a pair: a lone one cannot be UTF-8 (strict reader).
          if (cp >= 0xdc00 || b[i] !== 92 || b[i + 1] !== 117) throw FALLBACK;
          const lo = this.hex4(i + 2);
          if (lo < 0xdc00 || lo > 0xdfff) throw FALLBACK;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i += 6;
        }
        if (cp === 34 || cp === 92) {
          out[o++] = 92;
          out[o++] = cp;
        } else if (cp < 0x80) out[o++] = cp;
        else if (cp < 0x800) {
          out[o++] = 0xc0 | (cp >> 6);
          out[o++] = 0x80 | (cp & 63);
        } else if (cp < 0x10000) {
          out[o++] = 0xe0 | (cp >> 12);
          out[o++] = 0x80 | ((cp >> 6) & 63);
          out[o++] = 0x80 | (cp & 63);
        } else {
          out[o++] = 0xf0 | (cp >> 18);
          out[o++] = 0x80 | ((cp >> 12) & 63);
          out[o++] = 0x80 | ((cp >> 6) & 63);
          out[o++] = 0x80 | (cp & 63);
        }
      } else throw FALLBACK;
    }
    out[o++] = 34;
    this.i = i + 1;
    this.o = o;
  }

  hex4(i: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.b[i + k];
      const h = c === undefined || c > 127 ? -1 : HEX[c];
      if (h < 0) throw FALLBACK;
      v = (v << 4) | h;
    }
    return v;
  }

  object(depth: number): void {
    if (depth > this.maxDepth) throw FALLBACK;
    const b = this.b;
    this.i++;
    this.out[this.o++] = 123;
    this.ws();
    if (b[this.i] === 125) {
      this.i++;
      this.out[this.o++] = 125;
      return;
    }
    let prevStart = -1;
    let prevEnd = -1;
    for (let n = 0; ; n++) {
      if (b[this.i] !== 34) throw FALLBACK;
      // Keys are compared as raw bytes (UTF-8 byte order is code-point order), so no escapes.
      const ks = this.i + 1;
      let ke = ks;
      while (b[ke] !== 34) {
        const c = b[ke];
        if (c === undefined || c === 92 || c < 32) throw FALLBACK;
        ke++;
      }
      if (n > 0 && compareBytes(b, prevStart, prevEnd, ks, ke) >= 0) throw FALLBACK;
      prevStart = ks;
      prevEnd = ke;
      if (n > 0) this.out[this.o++] = 44;
      this.out[this.o++] = 34;
      this.out.set(b.subarray(ks, ke), this.o);
      this.o += ke - ks;
      this.out[this.o++] = 34;
      this.out[this.o++] = 58;
      this.i = ke + 1;
      this.ws();
      if (b[this.i] !== 58) throw FALLBACK;
      this.i++;
      this.ws();
      const wanted = depth === 1 && this.key !== undefined && equalBytes(b, ks, ke, this.key);
      const start = this.o;
      this.value(depth);
      if (wanted) this.span = [start, this.o];
      this.ws();
      const c = b[this.i];
      if (c === 44) {
        this.i++;
        this.ws();
        continue;
      }
      if (c === 125) {
        this.i++;
        this.out[this.o++] = 125;
        return;
      }
      throw FALLBACK;
    }
  }

  array(depth: number): void {
    if (depth > this.maxDepth) throw FALLBACK;
    const b = this.b;
    this.i++;
    this.out[this.o++] = 91;
    this.ws();
    if (b[this.i] === 93) {
      this.i++;
      this.out[this.o++] = 93;
      return;
    }
    for (let n = 0; ; n++) {
      if (n > 0) this.out[this.o++] = 44;
      this.value(depth);
      this.ws();
      const c = b[this.i];
      if (c === 44) {
        this.i++;
        this.ws();
        continue;
      }
      if (c === 93) {
        this.i++;
        this.out[this.o++] = 93;
        return;
      }
      throw FALLBACK;
    }
  }
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function compareBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let k = 0; k < n; k++) {
    const d = b[as + k] - b[bs + k];
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

function equalBytes(b: Uint8Array, s: number, e: number, key: Uint8Array): boolean {
  if (e - s !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (b[s + k] !== key[k]) return false;
  return true;
}

/**
 * Scans JSON whose object keys are sorted, writing its canonical form; `undefined` when the document
 * is anything else (the strict reader then decides). `spanOf` asks where the value of that top-level
 * key ends up in the canonical output (a Metablock's `signed`).
 */
export function scanSortedJSON(
  bytes: Uint8Array,
  maxDepth: number,
  spanOf?: string
): SortedScan | undefined {
  const out = Buffer.allocUnsafe(bytes.length);
  const s = new Scanner(
    bytes,
    out,
    maxDepth,
    spanOf === undefined ? undefined : Buffer.from(spanOf, 'utf8')
  );
  try {
    if (bytes[0] === 0xef) return undefined; // a BOM (or a stray byte): the strict reader says which
    s.ws();
    if (s.i >= bytes.length) return undefined;
    s.value(0);
    s.ws();
    if (s.i !== bytes.length) return undefined;
  } catch (err) {
    if (err instanceof Fallback) return undefined;
    throw err;
  }
  return { canonical: out.subarray(0, s.o), span: s.span };
}

/**
 * Reads JSON as the strict reader does, faster when its keys are sorted (see above), and returns the
 * canonical bytes of the value of the top-level key `spanOf` when the fast path computed them.
 * @throws FormatError, LimitError (from the strict reader, which handles every other document)
 */
export function parseJSONCanonical(
  input: string | Uint8Array,
  options: ParseOptions & { spanOf?: string } = {}
): { value: JSONValue; canonical?: Uint8Array } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // ASCII (paths and hex digests, almost every link) needs no UTF-8 decoding: a latin1 copy is the
  // same string, several times faster than the validating decoder (simdutf checks ASCII).
  const text =
    typeof input === 'string'
      ? input
      : isAscii(input)
        ? Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1')
        : decodeUTF8(input, options.source);
  // A JS string may hold a raw lone surrogate, which its UTF-8 bytes turn into U+FFFD: then the
  // scanned bytes and the parsed value would differ, so such text goes to the strict reader.
  const scan =
    typeof input === 'string' && SURROGATE.test(input)
      ? undefined
      : scanSortedJSON(bytes, options.maxDepth ?? DEFAULT_MAX_DEPTH, options.spanOf);
  if (!scan) return { value: parseJSON(text, options) };
  return {
    value: JSON.parse(text) as JSONValue,
    canonical: scan.span ? scan.canonical.subarray(scan.span[0], scan.span[1]) : undefined,
  };
}
