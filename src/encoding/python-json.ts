/**
 * `json.dumps` as Python writes it, so files we write are byte-identical to the reference's:
 * Metablocks are dumped with `indent=1, separators=(",", ": "), sort_keys=True` and the default
 * `ensure_ascii=True` (REFERENCE.md §1.1); DSSE payloads with `sort_keys=True` and default
 * separators (§1.4).
 */
import { compareCodePoints } from './canonical.js';
import { JSONFloat, onlySHA256 } from './json.types.js';

export interface PythonDumpOptions {
  /** Spaces per level; `undefined` writes everything on one line (Python's `indent=None`). */
  indent?: number;
  /** `[item, key]` separators; Python's default is `[', ', ': ']` without indent and `[',', ': ']` with. */
  separators?: [string, string];
  sortKeys?: boolean;
  /** Escape every non-ASCII character as `\uXXXX` (Python's default). */
  ensureAscii?: boolean;
}

const SHORT: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

const NEEDS_ASCII = /["\\\u0000-\u001f\u007f-\uffff]/;
const NEEDS = /["\\\u0000-\u001f]/;

function quote(s: string, ensureAscii: boolean): string {
  // Most strings (paths, hex digests) need no escaping: skip the replace for them.
  if (!(ensureAscii ? NEEDS_ASCII : NEEDS).test(s)) return `"${s}"`;
  const re = ensureAscii ? /["\\\u0000-\u001f\u007f-\uffff]/g : /["\\\u0000-\u001f]/g;
  return `"${s.replace(re, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** Sorts keys by code point, as Python does: the native sort agrees unless a key has a surrogate. */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  // Hash dicts hold one key: nothing to sort (100k of them in a large link).
  if (keys.length < 2) return keys;
  for (const k of keys) if (/[\ud800-\udfff]/.test(k)) return keys.sort(compareCodePoints);
  // The native comparator is several times faster than a JS one (links hold up to 100k keys).
  return keys.sort();
}

/** Entries above which a dict is joined from an array of entries instead of concatenated. */
const LARGE = 64;

/**
 * Serialises like Python's `json.dumps` with the given options. Built by string concatenation (V8
 * ropes, flattened once at the end) with the indentation strings made once per level: about twice
 * as fast as pushing parts and joining, which matters for links with 100k artifacts.
 */
export function stringifyPython(value: unknown, options: PythonDumpOptions = {}): string {
  const indent = options.indent;
  const [itemSep, keySep] =
    options.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const ensureAscii = options.ensureAscii ?? true;
  const sortKeys = options.sortKeys ?? false;
  const pads: string[] = [];
  const pad = (level: number): string =>
    (pads[level] ??= indent === undefined ? '' : `\n${' '.repeat(indent * level)}`);
  const walk = (v: unknown, level: number): string => {
    if (typeof v === 'string') return quote(v, ensureAscii);
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    if (v instanceof JSONFloat) return v.source;
    const nl = pad(level + 1);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      let s = `[${nl}${walk(v[0], level + 1)}`;
      for (let i = 1; i < v.length; i++) s += itemSep + nl + walk(v[i], level + 1);
      return `${s}${pad(level)}]`;
    }
    // A Map (a link's artifacts as the verifier reads them, sorted-json.ts) is written as its object.
    const obj = (v instanceof Map ? Object.fromEntries(v) : v) as Record<string, unknown>;
    const keys = sortKeys ? sortedKeys(obj) : Object.keys(obj);
    if (keys.length === 0) return '{}';
    if (keys.length > LARGE) {
      // A large dict (a link's artifacts): one flat string per entry, joined once — a rope of
      // ~10 pieces per entry costs more to build and flatten, mostly in the garbage collector.
      const parts = new Array<string>(keys.length);
      // A hash dict of one sha256 (almost every artifact) is written directly, as walk would.
      const open = `{${pad(level + 2)}"sha256"${keySep}`;
      const close = `${pad(level + 1)}}`;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const v = obj[k];
        const h = onlySHA256(v);
        parts[i] =
          quote(k, ensureAscii) +
          keySep +
          (h === undefined ? walk(v, level + 1) : open + quote(h, ensureAscii) + close);
      }
      return `{${nl}${parts.join(itemSep + nl)}${pad(level)}}`;
    }
    let s = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      s += (i === 0 ? nl : itemSep + nl) + quote(k, ensureAscii) + keySep + walk(obj[k], level + 1);
    }
    return `${s}${pad(level)}}`;
  };
  return walk(value, 0);
}
