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
import { ByteSink, estimateDictBytes } from './bytes.js';
import { JSONFloat, onlySHA256 } from './json.types.js';

/** Compares two strings by Unicode code point (Python's `str` ordering). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF: move them above U+E000–U+FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

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

/** Sorts keys by code point: the default sort agrees unless a key has a surrogate (U+10000 and up). */
function sortKeys(keys: string[]): string[] {
  for (const k of keys) if (SURROGATE.test(k)) return keys.sort(compareCodePoints);
  return keys.sort();
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
      // A Map (a link's artifacts as the verifier reads them, sorted-json.ts) is encoded as its object.
      const obj = (value instanceof Map ? Object.fromEntries(value) : value) as Record<
        string,
        unknown
      >;
      const keys = sortKeys(Object.keys(obj));
      // One flat string per member, joined once: a rope of 100k+ pieces (a link's artifacts) costs
      // several times more to build and then to flatten into bytes.
      const parts = new Array<string>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        segs.push(k);
        const v = obj[k];
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
    default:
      fail(`cannot encode a value of type ${typeof value} in canonical JSON`, segs);
  }
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
class ByteWriter extends ByteSink {
  string(s: string, segs: Segs): void {
    // Escapes or non-ASCII: the string encoder decides (and refuses lone surrogates).
    if (!this.plainQuoted(s, 0, 0x7f)) this.utf8(encodeString(s, segs));
  }

  value(value: unknown, segs: Segs): void {
    if (typeof value === 'string') return this.string(value, segs);
    if (typeof value !== 'object' || value === null || value instanceof JSONFloat)
      return this.raw(encode(value, segs)); // scalars (ASCII), and the errors for the rest
    if (Array.isArray(value)) {
      this.raw('[');
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.raw(',');
        segs.push(i);
        this.value(value[i], segs);
        segs.pop();
      }
      return this.raw(']');
    }
    const obj = (value instanceof Map ? Object.fromEntries(value) : value) as Record<
      string,
      unknown
    >;
    const keys = sortKeys(Object.keys(obj));
    // `"path":{"sha256":"<64 hex>"},` is the key and 82 bytes, plus a margin (short costs a copy).
    if (keys.length > 64) this.room(estimateDictBytes(keys, 90));
    this.raw('{');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (i > 0) this.raw(',');
      segs.push(k);
      this.string(k, segs);
      this.raw(':');
      const v = obj[k];
      const h = onlySHA256(v);
      if (h === undefined) this.value(v, segs);
      else {
        this.raw('{"sha256":');
        segs.push('sha256');
        this.string(h, segs);
        segs.pop();
        this.raw('}');
      }
      segs.pop();
    }
    this.raw('}');
  }
}

/** The UTF-8 bytes of the canonical JSON of `value` (what a Metablock signature covers). */
export function canonicalBytes(value: unknown): Uint8Array {
  const w = new ByteWriter();
  w.value(value, []);
  return w.bytes();
}
