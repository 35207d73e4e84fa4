/** Hex and base64 helpers with strict decoding (malformed input is an error, never silently dropped). */
import { FormatError } from '../errors.js';
import type { DigestTable } from './sorted-dict.js';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Decodes hex (either case, even length). @throws FormatError */
export function fromHex(hex: string, what = 'hex string'): Uint8Array {
  if (!HEX.test(hex)) throw new FormatError(`${what} is not valid hex`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const B64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64_URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes standard or URL-safe base64, as DSSE verifiers must accept both. @throws FormatError */
export function fromBase64(text: string, what = 'base64 string'): Uint8Array {
  if (B64_STD.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  if (B64_URL.test(text)) return new Uint8Array(Buffer.from(text, 'base64url'));
  throw new FormatError(`${what} is not valid base64`);
}

/** The chunk a streaming {@link ByteSink} fills before handing it on. */
const CHUNK = 256 << 10;
/** One chunk buffer kept between streams (they run one after the other): fresh memory is dear. */
let spare: Buffer | undefined;

/**
 * A growing byte buffer for the encoders, which write a link's 100k artifacts straight into bytes.
 * It starts small (from Node's shared pool, no fresh memory for a keyid) and grows fourfold: pages
 * are touched only as they are written, so a larger jump costs nothing until used, while every
 * doubling would copy (and touch) the whole output once more — fresh memory costs several ms per
 * MiB on small VMs. Writers presize with {@link ByteSink.reserve} before a large dict.
 *
 * Given a `flush` callback it streams instead: each full chunk (256 KiB) is handed on and the same
 * memory written again, so a 13 MiB link is signed or written without 13 MiB ever held. A chunk
 * is only valid during the call. {@link ByteSink.end} hands on the rest.
 */
export class ByteSink {
  buf: Buffer;
  n = 0;
  readonly #flush: ((chunk: Uint8Array) => void) | undefined;

  constructor(flush?: (chunk: Uint8Array) => void) {
    this.#flush = flush;
    if (flush) {
      this.buf = spare ?? Buffer.allocUnsafe(CHUNK);
      spare = undefined;
    } else this.buf = Buffer.allocUnsafe(1 << 10);
  }

  get streaming(): boolean {
    return this.#flush !== undefined;
  }

  /**
   * Makes room for at least `min` more bytes: hands on what is written when streaming, else grows
   * (to room for `hint` bytes, when more is sure to follow).
   */
  ensure(min: number, hint = min): void {
    if (this.n + min <= this.buf.length) return;
    if (this.#flush) {
      if (this.n > 0) this.#flush(this.buf.subarray(0, this.n));
      this.n = 0;
      if (min <= this.buf.length) return;
      hint = min; // one value larger than a chunk (a huge recorded stdout): only what it needs
    }
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 4, this.n + Math.max(min, hint)));
    this.buf.copy(bigger, 0, 0, this.n);
    this.buf = bigger;
  }

  /** Makes room for `k` more bytes. */
  room(k: number): void {
    this.ensure(k);
  }

  /** A presizing hint for output kept in memory (a large dict ahead); nothing when streaming. */
  reserve(k: number): void {
    if (!this.#flush) this.ensure(k);
  }

  /**
   * {@link reserve} for a dict of these keys, `perEntry` bytes each besides the key (see {@link
   * estimateDictBytes}); when streaming, not even the keys are counted.
   */
  reserveDict(keys: readonly string[], perEntry: number): void {
    if (!this.#flush) this.ensure(estimateDictBytes(keys, perEntry));
  }

  /** Streaming: hands on the rest, and leaves the chunk buffer for the next stream. */
  end(): void {
    if (!this.#flush) return;
    if (this.n > 0) this.#flush(this.buf.subarray(0, this.n));
    this.n = 0;
    if (this.buf.length === CHUNK) spare = this.buf;
  }

  /** An ASCII string as is (the caller knows it needs no escaping). */
  raw(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) buf[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** Any string, UTF-8 encoded (a lone surrogate becomes U+FFFD, as `Buffer.from` does). */
  utf8(s: string): void {
    this.room(Buffer.byteLength(s, 'utf8'));
    this.n += this.buf.write(s, this.n, 'utf8');
  }

  /**
   * `"s"` when every character is in `min`…`max` (ASCII) and none is `"` or `\` (paths and
   * digests), and true; else writes nothing and returns false (the caller escapes).
   */
  plainQuoted(s: string, min: number, max: number): boolean {
    this.room(s.length + 2);
    const buf = this.buf;
    let n = this.n;
    buf[n++] = 34;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < min || c > max || c === 34 || c === 92) return false;
      buf[n++] = c;
    }
    buf[n++] = 34;
    this.n = n;
    return true;
  }

  /**
   * The members of a dict whose values are digest-table rows: for each key, `first` (before the
   * first) or `between`, the key quoted — through `escape` unless it is plain ASCII in `min`…`max`
   * (`min` ≤ 0x21, `max` ≥ 0x5d) without `"` or `\` —, `keySep`, then for each algorithm its head
   * (key and separators, as is) and its digest as lowercase hex, then `close`. One loop for both
   * encoders.
   *
   * It runs once per link, cold: the engine interprets it for most of its members. So the members
   * are written as text with the engine's own string operations, each a single call — all digests
   * to hex at once, one test of all keys for anything to escape, a few concatenations a member,
   * one write per 256 members — never a loop over characters or bytes in script. For a 20k-file
   * link (callgrind, a fresh process each): its canonical JSON took 1.0 G instructions with such
   * loops (most of them interpreted before the optimised code was ready) and 0.15 G this way; the
   * file's JSON 0.22 G and 0.15 G.
   */
  digestMembers(
    keys: readonly string[],
    t: DigestTable,
    pieces: { first: string; between: string; keySep: string; heads: string[]; close: string },
    min: number,
    max: number,
    escape: (key: string) => void
  ): void {
    if (keys.length === 0) return;
    const hex = Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength).toString('hex');
    const char = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
    const plain = new RegExp(`^[${char(min)}-\\x21\\x23-\\x5b\\x5d-${char(max)}]*$`);
    const allPlain = plain.test(keys.join(''));
    const { first, between, keySep, heads, close } = pieces;
    const widths = t.widths.map((w) => 2 * w);
    const stride = 2 * t.stride;
    // After a key's opening quote and text: its closing quote, keySep and the first head.
    const open = `"${keySep}${heads[0]}`;
    // A row's digests from the first (its head written) to `close`.
    const value =
      heads.length === 1
        ? (at: number) => hex.slice(at, at + stride) + close
        : (at: number) => {
            let v = '';
            for (let j = 0; j < widths.length; at += widths[j++])
              v += (j > 0 ? heads[j] : '') + hex.slice(at, at + widths[j]);
            return v + close;
          };
    let text = '';
    for (let i = 0, at = 0; i < keys.length; i++, at += stride) {
      const key = keys[i];
      const sep = i === 0 ? first : between;
      if (allPlain || plain.test(key)) text += `${sep}"${key}${open}`;
      else {
        // Escapes or non-ASCII: the encoder quotes the key, and the value follows its quote.
        this.#text(text + sep);
        escape(key);
        text = open.slice(1);
      }
      text += value(at);
      if ((i & 255) === 255) {
        this.#text(text);
        text = '';
      }
    }
    this.#text(text);
  }

  /** ASCII text, written as is. */
  #text(s: string): void {
    if (s.length === 0) return;
    this.ensure(s.length);
    this.n += this.buf.write(s, this.n, 'latin1');
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * Roughly the bytes a large dict will take written out, as if every value were a one-sha256 hash
 * dict (almost every artifact) of `perEntry` bytes besides its key: a presizing hint for
 * {@link ByteSink}, where too much costs nothing and too little one more growth.
 */
export function estimateDictBytes(keys: readonly string[], perEntry: number): number {
  let total = 2;
  for (const k of keys) total += k.length + perEntry;
  return total;
}
