/**
 * `json.dumps` as Python writes it, so files we write are byte-identical to the reference's:
 * Metablocks are dumped with `indent=1, separators=(",", ": "), sort_keys=True` and the default
 * `ensure_ascii=True` (REFERENCE.md §1.1); DSSE payloads with `sort_keys=True` and default
 * separators (§1.4).
 */
import { isAscii } from 'node:buffer';
import { ByteSink } from './bytes.js';
import { JSONFloat, onlySHA256 } from './json.types.js';
import { sortByCodePoint, SortedDict, type DigestTable } from './sorted-dict.js';

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

/** How Python writes each control character and DEL in a string (`json.dumps`, ensure_ascii). */
const CONTROL_ESCAPES: string[] = Array.from({ length: 0x80 }, (_, c) =>
  c < 0x20 || c === 0x7f
    ? (SHORT[String.fromCharCode(c)] ?? `\\u${c.toString(16).padStart(4, '0')}`)
    : ''
);

const NEEDS_ASCII = /["\\\u0000-\u001f\u007f-\uffff]/;
const NEEDS = /["\\\u0000-\u001f]/;

function quote(s: string, ensureAscii: boolean): string {
  // Most strings (paths, hex digests) need no escaping: skip the replace for them.
  if (!(ensureAscii ? NEEDS_ASCII : NEEDS).test(s)) return `"${s}"`;
  const re = ensureAscii ? /["\\\u0000-\u001f\u007f-\uffff]/g : /["\\\u0000-\u001f]/g;
  return `"${s.replace(re, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** Entries above which a dict is presized (a link's artifacts). */
const LARGE = 64;

/**
 * Writes what Python's `json.dumps` gives with these options, UTF-8 encoded, straight into bytes: a
 * link's 100k artifacts never become one large string to flatten and encode again. Printable ASCII
 * strings (paths, digests) are copied as they are; any other string is escaped as Python does.
 */
class PythonWriter {
  // A sink held, not extended: see ByteWriter in canonical.ts.
  readonly out: ByteSink;
  readonly #pads: string[] = [];
  readonly #itemSep: string;
  readonly #keySep: string;
  readonly #ensureAscii: boolean;
  readonly #sortKeys: boolean;

  constructor(
    readonly options: PythonDumpOptions,
    flush?: (chunk: Uint8Array) => void
  ) {
    this.out = new ByteSink(flush);
    [this.#itemSep, this.#keySep] =
      options.separators ?? (options.indent === undefined ? [', ', ': '] : [',', ': ']);
    this.#ensureAscii = options.ensureAscii ?? true;
    this.#sortKeys = options.sortKeys ?? false;
  }

  pad(level: number): string {
    const indent = this.options.indent;
    return (this.#pads[level] ??= indent === undefined ? '' : `\n${' '.repeat(indent * level)}`);
  }

  string(s: string): void {
    // Printable ASCII is written as is by every option set; the rest is escaped as Python does.
    if (!this.out.plainQuoted(s, 0x20, 0x7e)) this.out.utf8(quote(s, this.#ensureAscii));
  }

  /**
   * Writes canonical JSON bytes as `json.dumps(sort_keys=True)` with these options writes the
   * value, at nesting `level`. While every string is ASCII the two differ only in whitespace and
   * in control characters (raw in canonical JSON, escaped by Python; DEL too with ensure_ascii):
   * both escape `"` and `\\` alike, sort keys by code point and write integers alike. Returns
   * false, having written nothing, at the first non-ASCII byte in a string.
   */
  reindent(b: Uint8Array, level: number): boolean {
    // Streamed bytes cannot be taken back: look for a non-ASCII byte first (native, SIMD).
    if (this.out.streaming && !isAscii(b)) return false;
    const start = this.out.n;
    const item = this.#itemSep;
    const key = this.#keySep;
    const seps: string[] = [];
    let depth = level;
    // Indentation makes a link's text ~1.3× its canonical bytes: room for twice (pages untouched
    // until written cost nothing; growing would copy), checked as separators add up.
    this.out.reserve(2 * b.length + 64);
    let buf = this.out.buf;
    let o = this.out.n;
    for (let i = 0; i < b.length; i++) {
      if (buf.length - o < 256) {
        this.out.n = o;
        this.out.ensure(256, b.length - i + 64);
        buf = this.out.buf;
        o = this.out.n;
      }
      const c = b[i];
      if (c === 34) {
        buf[o++] = 34;
        for (;;) {
          const x = b[++i];
          if (x === undefined || x > 0x7f) {
            // Only bytes that end inside a string get here when streaming (ASCII was checked),
            // and what was handed on cannot be taken back: fail rather than write half a file.
            if (this.out.streaming)
              throw new Error('CanonicalValue: its bytes end inside a string');
            this.out.n = start;
            return false;
          }
          if (x < 0x20 || (x === 0x7f && this.#ensureAscii)) {
            // Raw in canonical JSON, escaped by Python (a recorded stdout's newlines).
            const e = CONTROL_ESCAPES[x];
            for (let k = 0; k < e.length; k++) buf[o++] = e.charCodeAt(k);
          } else buf[o++] = x;
          if (x === 34) break;
          if (x === 92) buf[o++] = b[++i]; // `\"` or `\\`, as Python writes them
          if (buf.length - o < 8) {
            this.out.n = o;
            this.out.ensure(256, b.length - i + 64);
            buf = this.out.buf;
            o = this.out.n;
          }
        }
        continue;
      }
      let s: string | undefined;
      if (c === 123 || c === 91) {
        buf[o++] = c;
        // `{}` and `[]` stay on one line.
        if (b[i + 1] === c + 2) {
          buf[o++] = c + 2;
          i++;
        } else s = this.pad(++depth);
      } else if (c === 125 || c === 93) s = this.pad(--depth);
      else if (c === 44) s = seps[depth] ??= item + this.pad(depth);
      else if (c === 58) s = key;
      else buf[o++] = c;
      if (s !== undefined) {
        if (buf.length - o < s.length + 8) {
          this.out.n = o;
          this.out.ensure(s.length + 8, s.length + b.length - i + 64);
          buf = this.out.buf;
          o = this.out.n;
        }
        for (let k = 0; k < s.length; k++) buf[o++] = s.charCodeAt(k);
        if (c === 125 || c === 93) buf[o++] = c; // the closer after its indentation
      }
    }
    this.out.n = o;
    return true;
  }

  value(v: unknown, level: number): void {
    if (typeof v === 'string') return this.string(v);
    if (v instanceof CanonicalValue) {
      // Canonical bytes are sorted by key: unsorted output is written from the value.
      if (!this.#sortKeys || !this.reindent(v.bytes, level)) this.value(v.value, level);
      return;
    }
    if (v === null || v === undefined) return this.out.raw('null');
    if (typeof v === 'boolean') return this.out.raw(v ? 'true' : 'false');
    if (typeof v === 'number' || typeof v === 'bigint') return this.out.raw(String(v));
    if (v instanceof JSONFloat) return this.out.utf8(v.source);
    const nl = this.pad(level + 1);
    if (Array.isArray(v)) {
      if (v.length === 0) return this.out.raw('[]');
      this.out.raw('[');
      for (let i = 0; i < v.length; i++) {
        this.out.raw(i === 0 ? nl : this.#itemSep + nl);
        this.value(v[i], level + 1);
      }
      this.out.raw(this.pad(level));
      return this.out.raw(']');
    }
    // Sorted already (recorded artifacts), whatever the options: no other order is more natural.
    if (v instanceof SortedDict)
      return v.digests
        ? this.digestDict(v.keys, v.digests, level)
        : this.dict(v.keys, v.values, level);
    // A Map (a link's artifacts as the verifier reads them, sorted-json.ts) is written as its object.
    const obj = (v instanceof Map ? Object.fromEntries(v) : v) as Record<string, unknown>;
    const keys = this.#sortKeys ? sortByCodePoint(Object.keys(obj)) : Object.keys(obj);
    this.dict(
      keys,
      keys.map((k) => obj[k]),
      level
    );
  }

  /** An object from its keys and hash dicts held as raw digests (hex written from bytes). */
  digestDict(keys: readonly string[], t: DigestTable, level: number): void {
    if (keys.length === 0) return this.out.raw('{}');
    const nl = this.pad(level + 1);
    const between = this.#itemSep + nl;
    const inner = this.pad(level + 2);
    // `{` or `",` then the algorithm's key; the digest; `"` and the closing brace.
    const heads = t.algorithms.map(
      (a, j) => `${j === 0 ? '{' : `"${this.#itemSep}`}${inner}"${a}"${this.#keySep}"`
    );
    const close = `"${this.pad(level + 1)}}`;
    if (keys.length > LARGE)
      this.out.reserveDict(
        keys,
        between.length + close.length + 8 + heads.join('').length + 2 * t.stride
      );
    this.out.raw('{');
    this.out.digestMembers(
      keys,
      t,
      { first: nl, between, keySep: this.#keySep, heads, close },
      0x20,
      0x7e,
      (k) => this.out.utf8(quote(k, this.#ensureAscii))
    );
    this.out.raw(this.pad(level));
    this.out.raw('}');
  }

  /** An object from its keys, in the order to write, and their values. */
  dict(keys: readonly string[], values: readonly unknown[], level: number): void {
    if (keys.length === 0) return this.out.raw('{}');
    const nl = this.pad(level + 1);
    // A hash dict of one sha256 (almost every artifact) is written directly, as value() would.
    const open = `{${this.pad(level + 2)}"sha256"${this.#keySep}`;
    const close = `${this.pad(level + 1)}}`;
    // Per entry: separators, quotes, the digest and a margin (falling short costs a copy).
    if (keys.length > LARGE)
      this.out.reserveDict(keys, open.length + close.length + nl.length + 80);
    const between = this.#itemSep + nl;
    this.out.raw('{');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      this.out.raw(i === 0 ? nl : between);
      this.string(k);
      this.out.raw(this.#keySep);
      const x = values[i];
      const h = onlySHA256(x);
      if (h === undefined) this.value(x, level + 1);
      else {
        this.out.raw(open);
        this.string(h);
        this.out.raw(close);
      }
    }
    this.out.raw(this.pad(level));
    this.out.raw('}');
  }
}

/**
 * A value together with its canonical JSON (REFERENCE.md §1.6). {@link pythonBytes} writes it by
 * re-spacing the canonical bytes — for a signed link they exist already, and the link's file is
 * otherwise the most expensive thing `intoto run` writes after hashing (its 100k keys listed and
 * sorted again, each looked up) — and writes `value` the usual way only when that cannot be done.
 * The bytes are sorted by key, so this is for `sortKeys: true` output only.
 */
export class CanonicalValue {
  constructor(
    readonly bytes: Uint8Array,
    readonly value: unknown
  ) {}
}

/** The UTF-8 bytes of Python's `json.dumps(value, **options)` (see {@link PythonDumpOptions}). */
export function pythonBytes(value: unknown, options: PythonDumpOptions = {}): Uint8Array {
  const w = new PythonWriter(options);
  w.value(value, 0);
  return w.out.bytes();
}

/**
 * The bytes of {@link pythonBytes}, handed to `flush` in chunks as they are written (each valid
 * only during the call): a large link's file written without being held whole.
 */
export function pythonChunks(
  value: unknown,
  options: PythonDumpOptions,
  flush: (chunk: Uint8Array) => void
): void {
  const w = new PythonWriter(options, flush);
  w.value(value, 0);
  w.out.end();
}

/** Python's `json.dumps(value, **options)` as a string. */
export function stringifyPython(value: unknown, options: PythonDumpOptions = {}): string {
  const b = pythonBytes(value, options);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}
