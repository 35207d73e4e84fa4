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
  /** Artifact dicts read straight into Maps (see {@link LiftOptions}), in document order. */
  lifted?: Lifted[];
}

/** An artifact dict `{path: {algorithm: digest}}` read as a Map (paths in their sorted order). */
export type ArtifactIndex = Map<string, Record<string, string>>;

/**
 * Which artifact dicts to read into Maps instead of objects: the members `keys` of the object that
 * is the top-level member `parent` (or of the top-level object without one), and only when that
 * object's `_type` is `"link"`. A link's 100k artifacts then cost a Map entry each (~0.2 µs) instead
 * of `JSON.parse` interning 100k property names (~1.5 µs) — most of the verifier's time.
 */
export interface LiftOptions {
  parent?: string;
  keys: readonly string[];
}

interface Lifted {
  /** Where the dict's text is in the input (its `{` to after its `}`). */
  start: number;
  end: number;
  key: string;
  map: ArtifactIndex;
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
/** A dict to lift is not the plain shape: scan again without lifting (which may still succeed). */
const NOLIFT = new Fallback('not a plain artifact dict');
const LINK = Buffer.from('"link"');
const TYPE = Buffer.from('_type');

class Scanner {
  i = 0;
  o = 0;
  span?: [number, number];
  lifted: Lifted[] = [];
  constructor(
    readonly b: Uint8Array,
    readonly out: Uint8Array,
    readonly maxDepth: number,
    readonly key: Uint8Array | undefined,
    /** With lifting: the input as a string whose offsets are the byte offsets (ASCII). */
    readonly text?: string,
    readonly liftParent?: Uint8Array,
    readonly liftKeys: readonly Uint8Array[] = []
  ) {}

  ws(): void {
    this.i = skipWS(this.b, this.i);
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

  object(depth: number, liftHere = false): void {
    if (depth > this.maxDepth) throw FALLBACK;
    const b = this.b;
    // Lifting needs `_type: "link"` first (it sorts before the artifact keys).
    let isLink = false;
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
      const out = this.out;
      let o = this.o;
      out[o++] = 34;
      // A byte loop: keys are short, and a subarray view per key cost more than the copy.
      for (let k = ks; k < ke; k++) out[o++] = b[k];
      out[o++] = 34;
      this.o = o;
      this.out[this.o++] = 58;
      this.i = ke + 1;
      this.ws();
      if (b[this.i] !== 58) throw FALLBACK;
      this.i++;
      this.ws();
      const wanted = depth === 1 && this.key !== undefined && equalBytes(b, ks, ke, this.key);
      const start = this.o;
      if (liftHere && isLink && b[this.i] === 123 && this.isLiftKey(ks, ke)) {
        const at = this.i;
        const map = this.artifacts(depth + 1);
        this.lifted.push({ start: at, end: this.i, key: this.text!.slice(ks, ke), map });
      } else if (
        depth === 1 &&
        this.liftParent !== undefined &&
        b[this.i] === 123 &&
        equalBytes(b, ks, ke, this.liftParent)
      )
        this.object(depth + 1, true);
      else {
        if (
          liftHere &&
          equalBytes(b, ks, ke, TYPE) &&
          equalBytes(b, this.i, this.i + LINK.length, LINK)
        )
          isLink = true;
        this.value(depth);
      }
      if (wanted) this.span = [start, this.o];
      if (!this.more(125)) return;
    }
  }

  /** After a member: true at `,` (another follows), false at `close` (written); else fall back. */
  more(close: number): boolean {
    this.ws();
    const c = this.b[this.i];
    if (c === 44) {
      this.i++;
      this.ws();
      return true;
    }
    if (c !== close) throw FALLBACK;
    this.i++;
    this.out[this.o++] = close;
    return false;
  }

  isLiftKey(ks: number, ke: number): boolean {
    for (const k of this.liftKeys) if (equalBytes(this.b, ks, ke, k)) return true;
    return false;
  }

  /**
   * `{"path": {"alg": "digest", ...}, ...}` at `b[i]` into a Map, writing the canonical form on
   * the way: keys sorted (bytes), no escapes or control characters in any string (else NOLIFT, and
   * the generic scan decides). Values stay strings; whether they are hex is the model's check.
   */
  artifacts(depth: number): ArtifactIndex {
    if (depth + 1 > this.maxDepth) throw NOLIFT;
    const b = this.b;
    const out = this.out;
    const text = this.text!;
    const map: ArtifactIndex = new Map();
    let i = skipWS(b, this.i + 1);
    let o = this.o;
    out[o++] = 123;
    if (b[i] === 125) {
      out[o++] = 125;
      this.i = i + 1;
      this.o = o;
      return map;
    }
    let ps = -1;
    let pe = -1;
    let hex = true;
    for (;;) {
      if (b[i] !== 34) throw NOLIFT;
      if (ps >= 0) out[o++] = 44;
      out[o++] = 34;
      const ks = i + 1;
      const ke = plain(b, out, ks, o);
      o += ke - ks;
      if (ps >= 0 && compareBytes(b, ps, pe, ks, ke) >= 0) throw NOLIFT;
      ps = ks;
      pe = ke;
      out[o++] = 34;
      out[o++] = 58;
      i = skipWS(b, ke + 1);
      if (b[i] !== 58) throw NOLIFT;
      i = skipWS(b, i + 1);
      if (b[i] !== 123) throw NOLIFT;
      out[o++] = 123;
      i = skipWS(b, i + 1);
      let dict: Record<string, string> = {};
      if (b[i] === 125) i++;
      else {
        let as = -1;
        let ae = -1;
        for (let n = 0; ; n++) {
          if (b[i] !== 34) throw NOLIFT;
          if (n > 0) out[o++] = 44;
          out[o++] = 34;
          const s = i + 1;
          const e = plain(b, out, s, o);
          o += e - s;
          if (n > 0 && compareBytes(b, as, ae, s, e) >= 0) throw NOLIFT;
          as = s;
          ae = e;
          out[o++] = 34;
          out[o++] = 58;
          i = skipWS(b, e + 1);
          if (b[i] !== 58) throw NOLIFT;
          i = skipWS(b, i + 1);
          if (b[i] !== 34) throw NOLIFT;
          out[o++] = 34;
          const vs = i + 1;
          const ve = plain(b, out, vs, o);
          o += ve - vs;
          if (hex && !isHex(b, vs, ve)) hex = false;
          out[o++] = 34;
          const v = text.slice(vs, ve);
          i = skipWS(b, ve + 1);
          // One sha256 (almost every link): one object shape for all of them.
          if (n === 0 && b[i] === 125 && equalBytes(b, s, e, SHA256)) dict = { sha256: v };
          else {
            const alg = text.slice(s, e);
            if (alg === '__proto__') throw NOLIFT; // an assignment would not make it a key
            dict[alg] = v;
          }
          if (b[i] === 44) {
            i = skipWS(b, i + 1);
            continue;
          }
          if (b[i] === 125) {
            i++;
            break;
          }
          throw NOLIFT;
        }
      }
      out[o++] = 125;
      map.set(text.slice(ks, ke), dict);
      i = skipWS(b, i);
      if (b[i] === 44) {
        i = skipWS(b, i + 1);
        continue;
      }
      if (b[i] === 125) {
        out[o++] = 125;
        this.i = i + 1;
        this.o = o;
        if (hex) HEX_DIGESTS.add(map);
        return map;
      }
      throw NOLIFT;
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
      if (!this.more(93)) return;
    }
  }
}

const SHA256 = Buffer.from('sha256');

/**
 * Copies the string body starting at `b[s]` to `out[o]` up to its closing quote, whose index it
 * returns; an escape or a control character is not plain (NOLIFT).
 */
function plain(b: Uint8Array, out: Uint8Array, s: number, o: number): number {
  let e = s;
  for (;;) {
    const c = b[e];
    if (c === 34) return e;
    if (c === undefined || c === 92 || c < 32) throw NOLIFT;
    out[o++] = c;
    e++;
  }
}

/** Lifted Maps whose every digest is a non-empty run of hex digits (so the model need not look). */
const HEX_DIGESTS = new WeakSet<ArtifactIndex>();

/** Whether the scanner saw that every digest of this lifted Map is hex (`^[0-9a-fA-F]+$`). */
export function hasHexDigests(map: ReadonlyMap<string, unknown>): boolean {
  return HEX_DIGESTS.has(map as ArtifactIndex);
}

function isHex(b: Uint8Array, s: number, e: number): boolean {
  if (e === s) return false;
  for (let k = s; k < e; k++) {
    const c = b[k];
    if (c > 127 || HEX[c] < 0) return false;
  }
  return true;
}

function skipWS(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
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
 * key ends up in the canonical output (a Metablock's `signed`). With `lift` (and `text`, the input as
 * a string with the same offsets), a link's artifact dicts come back as Maps (see {@link LiftOptions}).
 */
export function scanSortedJSON(
  bytes: Uint8Array,
  maxDepth: number,
  spanOf?: string,
  lift?: LiftOptions & { text: string }
): SortedScan | undefined {
  const out = Buffer.allocUnsafe(bytes.length);
  const s = new Scanner(
    bytes,
    out,
    maxDepth,
    spanOf === undefined ? undefined : Buffer.from(spanOf, 'utf8'),
    lift?.text,
    lift?.parent === undefined ? undefined : Buffer.from(lift.parent, 'utf8'),
    lift ? lift.keys.map((k) => Buffer.from(k, 'utf8')) : []
  );
  try {
    if (bytes[0] === 0xef) return undefined; // a BOM (or a stray byte): the strict reader says which
    s.ws();
    if (s.i >= bytes.length) return undefined;
    if (lift && lift.parent === undefined && bytes[s.i] === 123) s.object(1, true);
    else s.value(0);
    s.ws();
    if (s.i !== bytes.length) return undefined;
  } catch (err) {
    if (err === NOLIFT) return scanSortedJSON(bytes, maxDepth, spanOf);
    if (err instanceof Fallback) return undefined;
    throw err;
  }
  return {
    canonical: out.subarray(0, s.o),
    span: s.span,
    ...(s.lifted.length ? { lifted: s.lifted } : {}),
  };
}

/**
 * Reads JSON as the strict reader does, faster when its keys are sorted (see above), and returns the
 * canonical bytes of the value of the top-level key `spanOf` when the fast path computed them. With
 * `lift`, a link's artifact dicts may be Maps in the returned value (only for ASCII input on the fast
 * path; otherwise they are objects as usual): the canonical encoders write a Map as its object.
 * @throws FormatError, LimitError (from the strict reader, which handles every other document)
 */
export function parseJSONCanonical(
  input: string | Uint8Array,
  options: ParseOptions & { spanOf?: string; lift?: LiftOptions } = {}
): { value: JSONValue; canonical?: Uint8Array } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // ASCII (paths and hex digests, almost every link) needs no UTF-8 decoding: a latin1 copy is the
  // same string, several times faster than the validating decoder (simdutf checks ASCII).
  const ascii = isAscii(bytes);
  const text =
    typeof input === 'string'
      ? input
      : ascii
        ? Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1')
        : decodeUTF8(input, options.source);
  // A JS string may hold a raw lone surrogate, which its UTF-8 bytes turn into U+FFFD: then the
  // scanned bytes and the parsed value would differ, so such text goes to the strict reader.
  const scan =
    typeof input === 'string' && SURROGATE.test(input)
      ? undefined
      : scanSortedJSON(
          bytes,
          options.maxDepth ?? DEFAULT_MAX_DEPTH,
          options.spanOf,
          // Byte offsets are string offsets only for ASCII.
          options.lift && ascii ? { ...options.lift, text } : undefined
        );
  if (!scan) return { value: parseJSON(text, options) };
  const canonical = scan.span ? scan.canonical.subarray(scan.span[0], scan.span[1]) : undefined;
  if (!scan.lifted) return { value: JSON.parse(text) as JSONValue, canonical };
  // The rest of the document, with each lifted dict as `{}`, then the Maps put in their place.
  let rest = '';
  let at = 0;
  for (const l of scan.lifted) {
    rest += `${text.slice(at, l.start)}{}`;
    at = l.end;
  }
  rest += text.slice(at);
  const value = JSON.parse(rest) as Record<string, Record<string, unknown>>;
  const holder = options.lift?.parent === undefined ? value : value[options.lift.parent];
  for (const l of scan.lifted) holder[l.key] = l.map;
  return { value: value as JSONValue, canonical };
}
