/**
 * Canonical JSON exactly as securesystemslib's `encode_canonical` (REFERENCE.md §1.6), the bytes
 * in-toto signs in a Metablock:
 *
 * - object keys sorted by Unicode code point (Python `str` order; not JS's UTF-16 unit order, which
 *   differs for characters above U+FFFF against U+E000–U+FFFF),
 * - strings escape only `\` and `"`; every other character, control characters included, is raw,
 * - integers only, of any size (`bigint` too); floats are rejected, as are `undefined`, functions,
 *   symbols and lone surrogates (which UTF-8 cannot encode),
 * - no whitespace.
 */
import { FormatError } from '../errors.js';
import { ByteSink } from './bytes.js';
import { JSONFloat, onlySHA256 } from './json.types.js';
import { sortByCodePoint, SortedDict, type DigestTable } from './sorted-dict.js';

const NEEDS_ESCAPE = /["\\]/;
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Keys and indices from the top to the value being encoded, turned into a path only for messages. */
type Segs = (string | number)[];
const pathOf = (segs: Segs): string =>
  segs.reduce<string>((p, s) => (typeof s === 'number' ? `${p}[${s}]` : p ? `${p}.${s}` : s), '') ||
  'the top level';

function fail(message: string, segs: Segs): never {
  const path = pathOf(segs);
  throw new FormatError(`${message} at ${path}`, { path });
}

function encodeString(s: string, segs: Segs): string {
  if (SURROGATE.test(s) && LONE_SURROGATE.test(s))
    fail('cannot encode a lone surrogate as UTF-8', segs);
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

/** The digest of a one-sha256 hash dict, with `sha256` on the error path as encode would put it. */
function encodeSHA(h: string, segs: Segs): string {
  segs.push('sha256');
  const out = encodeString(h, segs);
  segs.pop();
  return out;
}

// Arrays are concatenated (short ropes); objects are joined from one string per member.
function encode(value: unknown, segs: Segs): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, segs);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isInteger(value)) fail(`canonical JSON allows integers only, got ${value}`, segs);
      if (!Number.isSafeInteger(value)) fail(`integer ${value} is not exact (use a bigint)`, segs);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof JSONFloat)
        fail(`canonical JSON allows integers only, got ${value.source}`, segs);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          segs.push(i);
          out += encode(value[i], segs);
          segs.pop();
        }
        return `${out}]`;
      }
      if (value instanceof SortedDict) return encodeSorted(value.keys, value.values, segs);
      // A Map (a link's artifacts as the verifier reads them, sorted-json.ts) is encoded as its object.
      const obj = (value instanceof Map ? Object.fromEntries(value) : value) as Record<
        string,
        unknown
      >;
      const keys = sortByCodePoint(Object.keys(obj));
      return encodeSorted(
        keys,
        keys.map((k) => obj[k]),
        segs
      );
    }
    default:
      fail(`cannot encode a value of type ${typeof value} in canonical JSON`, segs);
  }
}

/** An object from its sorted keys and their values. */
function encodeSorted(keys: readonly string[], values: readonly unknown[], segs: Segs): string {
  // One flat string per member, joined once: a rope of 100k+ pieces (a link's artifacts) costs
  // several times more to build and then to flatten into bytes.
  const parts = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    segs.push(k);
    const v = values[i];
    // A hash dict of one sha256 (almost every artifact): no key list or sort for it.
    const h = onlySHA256(v);
    parts[i] =
      h === undefined
        ? `${encodeString(k, segs)}:${encode(v, segs)}`
        : `${encodeString(k, segs)}:{"sha256":${encodeSHA(h, segs)}}`;
    segs.pop();
  }
  return `{${parts.join(',')}}`;
}

/** The canonical JSON text of `value`. @throws FormatError for floats, lone surrogates, non-JSON types. */
export function encodeCanonical(value: unknown): string {
  return encode(value, []);
}

/**
 * Writes canonical JSON straight into bytes: what {@link encodeCanonical} gives, UTF-8 encoded,
 * without building (and then flattening and re-encoding) a string of a link's 100k artifacts.
 * ASCII strings without `"` or `\` (paths, digests) are copied char by char; any other value goes
 * through the string encoder, so both give the same bytes and the same errors.
 */
class ByteWriter {
  // Holds its sink rather than extending it: the sink's hot methods then see one class only, and
  // the engine need not optimise them twice over (see ByteSink.digestMembers).
  readonly out: ByteSink;
  constructor(flush?: (chunk: Uint8Array) => void) {
    this.out = new ByteSink(flush);
  }

  string(s: string, segs: Segs): void {
    // Escapes or non-ASCII: the string encoder decides (and refuses lone surrogates).
    if (!this.out.plainQuoted(s, 0, 0x7f)) this.out.utf8(encodeString(s, segs));
  }

  value(value: unknown, segs: Segs): void {
    if (typeof value === 'string') return this.string(value, segs);
    if (typeof value !== 'object' || value === null || value instanceof JSONFloat)
      return this.out.raw(encode(value, segs)); // scalars (ASCII), and the errors for the rest
    if (Array.isArray(value)) {
      this.out.raw('[');
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.out.raw(',');
        segs.push(i);
        this.value(value[i], segs);
        segs.pop();
      }
      return this.out.raw(']');
    }
    if (value instanceof SortedDict)
      return value.digests
        ? this.digestDict(value.keys, value.digests, segs)
        : this.dict(value.keys, value.values, segs);
    const obj = (value instanceof Map ? Object.fromEntries(value) : value) as Record<
      string,
      unknown
    >;
    const keys = sortByCodePoint(Object.keys(obj));
    this.dict(
      keys,
      keys.map((k) => obj[k]),
      segs
    );
  }

  /** An object from its sorted keys and hash dicts held as raw digests (hex written from bytes). */
  digestDict(keys: readonly string[], t: DigestTable, segs: Segs): void {
    if (keys.length > 64) this.out.reserveDict(keys, 8 + t.stride * 2 + t.widths.length * 12);
    const heads = t.algorithms.map((a, j) => `${j === 0 ? '{' : '",'}"${a}":"`);
    this.out.raw('{');
    this.out.digestMembers(
      keys,
      t,
      { first: '', between: ',', keySep: ':', heads, close: '"}' },
      0,
      0x7f,
      (k) => {
        // Escapes or non-ASCII: the string encoder decides (and refuses lone surrogates).
        segs.push(k);
        this.out.utf8(encodeString(k, segs));
        segs.pop();
      }
    );
    this.out.raw('}');
  }

  /** An object from its sorted keys and their values. */
  dict(keys: readonly string[], values: readonly unknown[], segs: Segs): void {
    // `"path":{"sha256":"<64 hex>"},` is the key and 82 bytes, plus a margin (short costs a copy).
    if (keys.length > 64) this.out.reserveDict(keys, 90);
    this.out.raw('{');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (i > 0) this.out.raw(',');
      segs.push(k);
      this.string(k, segs);
      this.out.raw(':');
      const v = values[i];
      const h = onlySHA256(v);
      if (h === undefined) this.value(v, segs);
      else {
        this.out.raw('{"sha256":');
        segs.push('sha256');
        this.string(h, segs);
        segs.pop();
        this.out.raw('}');
      }
      segs.pop();
    }
    this.out.raw('}');
  }
}

/** The UTF-8 bytes of the canonical JSON of `value` (what a Metablock signature covers). */
export function canonicalBytes(value: unknown): Uint8Array {
  const w = new ByteWriter();
  w.value(value, []);
  return w.out.bytes();
}

/**
 * The same bytes as {@link canonicalBytes}, handed to `flush` in chunks as they are written (each
 * valid only during the call): a large link signed without its canonical JSON held whole.
 */
export function canonicalChunks(value: unknown, flush: (chunk: Uint8Array) => void): void {
  const w = new ByteWriter(flush);
  w.value(value, []);
  w.out.end();
}
