/**
 * `json.dumps` as Python writes it, so files we write are byte-identical to the reference's:
 * Metablocks are dumped with `indent=1, separators=(",", ": "), sort_keys=True` and the default
 * `ensure_ascii=True` (REFERENCE.md §1.1); DSSE payloads with `sort_keys=True` and default
 * separators (§1.4).
 */
import { compareCodePoints } from './canonical.js';
import { JSONFloat } from './json.types.js';

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

/** Serialises like Python's `json.dumps` with the given options. */
export function stringifyPython(value: unknown, options: PythonDumpOptions = {}): string {
  const indent = options.indent;
  const [itemSep, keySep] =
    options.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const ensureAscii = options.ensureAscii ?? true;
  const sortKeys = options.sortKeys ?? false;
  const out: string[] = [];
  const walk = (v: unknown, level: number): void => {
    if (v === null || v === undefined) return void out.push('null');
    if (typeof v === 'string') return void out.push(quote(v, ensureAscii));
    if (typeof v === 'boolean') return void out.push(v ? 'true' : 'false');
    if (typeof v === 'number' || typeof v === 'bigint') return void out.push(String(v));
    if (v instanceof JSONFloat) return void out.push(v.source);
    const nl = indent === undefined ? '' : `\n${' '.repeat(indent * (level + 1))}`;
    const close = indent === undefined ? '' : `\n${' '.repeat(indent * level)}`;
    if (Array.isArray(v)) {
      if (v.length === 0) return void out.push('[]');
      out.push('[');
      v.forEach((item, i) => {
        out.push(i === 0 ? nl : itemSep + nl);
        walk(item, level + 1);
      });
      out.push(close, ']');
      return;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (sortKeys) keys.sort(compareCodePoints);
    if (keys.length === 0) return void out.push('{}');
    out.push('{');
    keys.forEach((k, i) => {
      out.push(i === 0 ? nl : itemSep + nl, quote(k, ensureAscii), keySep);
      walk(obj[k], level + 1);
    });
    out.push(close, '}');
  };
  walk(value, 0);
  return out.join('');
}
