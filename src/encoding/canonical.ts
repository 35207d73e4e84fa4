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
import { JSONFloat } from './json.types.js';

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
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function encodeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s))
    throw new FormatError(`cannot encode a lone surrogate as UTF-8 at ${path || 'the top level'}`, {
      path,
    });
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

function encode(value: unknown, path: string, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(encodeString(value, path));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'number':
      if (!Number.isInteger(value)) {
        throw new FormatError(
          `canonical JSON allows integers only, got ${value} at ${path || 'the top level'}`,
          { path }
        );
      }
      if (!Number.isSafeInteger(value)) {
        throw new FormatError(
          `integer ${value} at ${path || 'the top level'} is not exact (use a bigint)`,
          { path }
        );
      }
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'object': {
      if (value === null) {
        out.push('null');
        return;
      }
      if (value instanceof JSONFloat) {
        throw new FormatError(
          `canonical JSON allows integers only, got ${value.source} at ${path || 'the top level'}`,
          { path }
        );
      }
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',');
          encode(value[i], `${path}[${i}]`, out);
        }
        out.push(']');
        return;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort(compareCodePoints);
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (i > 0) out.push(',');
        const childPath = path ? `${path}.${k}` : k;
        out.push(encodeString(k, childPath), ':');
        encode(obj[k], childPath, out);
      }
      out.push('}');
      return;
    }
    default:
      throw new FormatError(
        `cannot encode a value of type ${typeof value} in canonical JSON at ${path || 'the top level'}`,
        { path }
      );
  }
}

/** The canonical JSON text of `value`. @throws FormatError for floats, lone surrogates, non-JSON types. */
export function encodeCanonical(value: unknown): string {
  const out: string[] = [];
  encode(value, '', out);
  return out.join('');
}

/** The UTF-8 bytes of the canonical JSON of `value` (what a Metablock signature covers). */
export function canonicalBytes(value: unknown): Uint8Array {
  return Buffer.from(encodeCanonical(value), 'utf8');
}
