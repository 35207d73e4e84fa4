/** Hex and base64 helpers with strict decoding (malformed input is an error, never silently dropped). */
import { FormatError } from '../errors.js';
import { HEX_PAIRS, type DigestTable } from './sorted-dict.js';

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
   * —, `keySep`, then for each algorithm its head (key and separators, as is) and its digest as
   * lowercase hex, then `close`. One loop for both encoders, and a flat one: each process runs it
   * once per link, mostly before the engine has optimised it, where every call and every character
   * loop of a helper costs several times more (~25 % less time for 20k members, measured cold).
   */
  digestMembers(
    keys: readonly string[],
    t: DigestTable,
    pieces: { first: string; between: string; keySep: string; heads: string[]; close: string },
    min: number,
    max: number,
    escape: (key: string) => void
  ): void {
    const ascii = (x: string): Buffer => Buffer.from(x, 'latin1');
    const first = ascii(pieces.first);
    const between = ascii(pieces.between);
    const keySep = ascii(pieces.keySep);
    const heads = pieces.heads.map(ascii);
    const close = ascii(pieces.close);
    const widths = t.widths;
    const bytes = t.bytes;
    // Room for one member besides its key: every piece, and the digests twice over (hex).
    let fixed = Math.max(first.length, between.length) + keySep.length + close.length + 2;
    for (let j = 0; j < heads.length; j++) fixed += heads[j].length + 2 * widths[j];
    const stride = t.stride;
    // The member loop below touches no field of the sink and makes no call: it runs once per link,
    // cold, and the engine optimises it while it runs; a field or call that has no type feedback
    // yet by then (the flush every 256 KiB) sends it back to the interpreter when first reached
    // (a cold 20k-member link's canonical JSON took 25.5 ms that way, 22 ms this way: medians in
    // the CLI). What it cannot do — make room, escape a key — it leaves to this outer loop.
    let at = 0;
    let i = 0;
    let n = this.n;
    let escaped = false;
    for (;;) {
      this.n = n;
      if (escaped) {
        // Escapes or non-ASCII in key i: the encoder's own quoting, then the member's value.
        escaped = false;
        escape(keys[i]);
        this.ensure(fixed);
        n = this.#digestValue(this.n, keySep, heads, widths, bytes, at, close);
        at += stride;
        i++;
        continue;
      }
      if (i >= keys.length) break;
      this.ensure(fixed + keys[i].length);
      const buf = this.buf;
      n = this.n;
      const end = buf.length - fixed;
      // At most 64 members a turn: the engine keeps no feedback for a cold function until it has
      // run a while, so the outer loop must also run often after that, before the optimisation.
      const stop = Math.min(keys.length, i + 64);
      for (; i < stop; i++) {
        const key = keys[i];
        if (n + key.length > end) break;
        const sep = i === 0 ? first : between;
        buf.set(sep, n);
        n += sep.length;
        const start = n;
        buf[n++] = 34;
        let k = 0;
        for (; k < key.length; k++) {
          const c = key.charCodeAt(k);
          if (c < min || c > max || c === 34 || c === 92) break;
          buf[n++] = c;
        }
        if (k < key.length) {
          n = start;
          escaped = true;
          break;
        }
        buf[n++] = 34;
        buf.set(keySep, n);
        n += keySep.length;
        for (let j = 0; j < heads.length; j++) {
          const head = heads[j];
          buf.set(head, n);
          n += head.length;
          const w = widths[j];
          for (let b = at; b < at + w; b++) {
            const pair = HEX_PAIRS[bytes[b]];
            buf[n++] = pair >> 8;
            buf[n++] = pair & 0xff;
          }
          at += w;
        }
        buf.set(close, n);
        n += close.length;
      }
    }
  }

  /** A member's value as {@link digestMembers} writes it, at `n` (room made): the new end. */
  #digestValue(
    n: number,
    keySep: Buffer,
    heads: Buffer[],
    widths: readonly number[],
    bytes: Uint8Array,
    at: number,
    close: Buffer
  ): number {
    const buf = this.buf;
    buf.set(keySep, n);
    n += keySep.length;
    for (let j = 0; j < heads.length; j++) {
      buf.set(heads[j], n);
      n += heads[j].length;
      for (let b = at; b < at + widths[j]; b++) {
        const pair = HEX_PAIRS[bytes[b]];
        buf[n++] = pair >> 8;
        buf[n++] = pair & 0xff;
      }
      at += widths[j];
    }
    buf.set(close, n);
    return n + close.length;
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
