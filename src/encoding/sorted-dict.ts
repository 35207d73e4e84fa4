/**
 * Python's key order, and a JSON object that already has it: a recorded link's artifacts go from
 * the walk to the encoders as two lists, never as an object of 100k keys (building one, listing its
 * keys, sorting them and looking each up again cost ~0.3 s and ~15 MiB of fresh memory at 100k).
 */

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

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Sorts strings in place by code point (Python's `sorted`). The engine's sort gives the same order,
 * several times faster, unless a string holds a surrogate (a character above U+FFFF).
 */
export function sortByCodePoint(strings: string[]): string[] {
  if (strings.length < 2) return strings;
  for (const s of strings) if (SURROGATE.test(s)) return strings.sort(compareCodePoints);
  return strings.sort();
}

/**
 * Hash dicts held as raw digests, `stride` bytes an entry: entry `i` is `{[algorithms[j]]: hex}`
 * with the algorithms in sorted order (as a hash dict's keys are written). What the hash pool
 * records into memory shared with its workers, and the encoders write as hex straight from the
 * bytes: 100k files cost no digest strings, no hash dict objects, no copies between threads.
 */
export class DigestTable {
  readonly stride: number;
  #view: Buffer | undefined;

  /** @param widths digest bytes per algorithm; `algorithms` must be sorted. */
  constructor(
    readonly algorithms: readonly string[],
    readonly widths: readonly number[],
    readonly bytes: Uint8Array
  ) {
    this.stride = widths.reduce((a, b) => a + b, 0);
  }

  get size(): number {
    return this.bytes.length / this.stride;
  }

  /** Entry `i` as a hash dict. */
  dict(i: number): Record<string, string> {
    // One Buffer view for all entries (dicts() makes 100k of them).
    const b = (this.#view ??= Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset,
      this.bytes.byteLength
    ));
    const out: Record<string, string> = {};
    let at = i * this.stride;
    this.algorithms.forEach((a, j) => {
      out[a] = b.toString('hex', at, (at += this.widths[j]));
    });
    return out;
  }

  dicts(): Record<string, string>[] {
    return Array.from({ length: this.size }, (_, i) => this.dict(i));
  }

  /** The entries in the order of `order` (indices into this table). */
  permuted(order: readonly number[]): DigestTable {
    const s = this.stride;
    const out = new Uint8Array(order.length * s);
    order.forEach((from, to) => out.set(this.bytes.subarray(from * s, from * s + s), to * s));
    return new DigestTable(this.algorithms, this.widths, out);
  }
}

/**
 * A JSON object as its keys, unique and in code-point order, and their values: what the encoders
 * (canonical JSON, Python's `json.dumps(sort_keys=True)`) write without sorting or looking up a key.
 * The values may be a {@link DigestTable} (recorded artifacts), made hash dicts only if read.
 * Made by {@link SortedDict.of}, which sorts only when the keys are not in order already.
 */
export class SortedDict<V = unknown> {
  #values: readonly V[] | undefined;

  private constructor(
    readonly keys: readonly string[],
    values: readonly V[] | undefined,
    /** The values as raw digests, when they are hash dicts recorded as such. */
    readonly digests?: DigestTable
  ) {
    this.#values = values;
  }

  /**
   * The dict of `keys[i]: values[i]`, in code-point order of the keys (one pass to check the order,
   * a sort only when it is not). @throws Error when a key repeats: the caller must not give one twice.
   */
  static of(keys: readonly string[], values: DigestTable): SortedDict<Record<string, string>>;
  static of<V>(keys: readonly string[], values: readonly V[]): SortedDict<V>;
  static of<V>(keys: readonly string[], values: readonly V[] | DigestTable): SortedDict<V> {
    const table = values instanceof DigestTable ? values : undefined;
    const count = table ? table.size : (values as readonly V[]).length;
    if (keys.length !== count) throw new Error('SortedDict: keys and values differ in length');
    let order = 0; // 0 sorted so far, else the first out of order
    // The engine's comparison (UTF-16 units, ~5× faster than compareCodePoints) agrees with code
    // points between two keys without surrogates; a pair with one is compared by code point.
    let prevPlain = keys.length > 0 && !SURROGATE.test(keys[0]);
    for (let i = 1; i < keys.length; i++) {
      const plain = !SURROGATE.test(keys[i]);
      if (!(prevPlain && plain && keys[i - 1] < keys[i])) {
        const c = compareCodePoints(keys[i - 1], keys[i]);
        if (c === 0) throw new Error(`SortedDict: the key ${JSON.stringify(keys[i])} repeats`);
        if (c > 0) {
          order = i;
          break;
        }
      }
      prevPlain = plain;
    }
    if (order === 0)
      return table
        ? new SortedDict<V>(keys, undefined, table)
        : new SortedDict(keys, values as readonly V[]);
    const index = keys.map((_, i) => i).sort((a, b) => compareCodePoints(keys[a], keys[b]));
    for (let i = 1; i < index.length; i++)
      if (keys[index[i - 1]] === keys[index[i]])
        throw new Error(`SortedDict: the key ${JSON.stringify(keys[index[i]])} repeats`);
    const sortedKeys = index.map((i) => keys[i]);
    return table
      ? new SortedDict<V>(sortedKeys, undefined, table.permuted(index))
      : new SortedDict(
          sortedKeys,
          index.map((i) => (values as readonly V[])[i])
        );
  }

  get size(): number {
    return this.keys.length;
  }

  /** The values, in key order (made from the digest table on first read, if held as one). */
  get values(): readonly V[] {
    return (this.#values ??= this.digests!.dicts() as V[]);
  }

  /** As a plain object (keys inserted in order). */
  toObject(): Record<string, V> {
    const out: Record<string, V> = {};
    const values = this.values;
    for (let i = 0; i < this.keys.length; i++) out[this.keys[i]] = values[i];
    return out;
  }
}

/**
 * `value` with every SortedDict among its own members made a plain object (a link whose artifacts
 * were recorded as SortedDicts, for whoever reads its payload). Anything else is returned as is.
 */
export function plainMembers<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value);
  if (!entries.some(([, v]) => v instanceof SortedDict)) return value;
  return Object.fromEntries(
    entries.map(([k, v]) => [k, v instanceof SortedDict ? v.toObject() : v])
  ) as T;
}
