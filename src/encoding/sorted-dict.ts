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

/**
 * A JSON object as its keys, unique and in code-point order, and their values: what the encoders
 * (canonical JSON, Python's `json.dumps(sort_keys=True)`) write without sorting or looking up a key.
 * Made by {@link SortedDict.of}, which sorts only when the keys are not in order already.
 */
export class SortedDict<V = unknown> {
  private constructor(
    readonly keys: readonly string[],
    readonly values: readonly V[]
  ) {}

  /**
   * The dict of `keys[i]: values[i]`, in code-point order of the keys (one pass to check the order,
   * a sort only when it is not). @throws Error when a key repeats: the caller must not give one twice.
   */
  static of<V>(keys: readonly string[], values: readonly V[]): SortedDict<V> {
    if (keys.length !== values.length)
      throw new Error('SortedDict: keys and values differ in length');
    let order = 0; // 0 sorted so far, else the first out of order
    for (let i = 1; i < keys.length; i++) {
      const c = compareCodePoints(keys[i - 1], keys[i]);
      if (c === 0) throw new Error(`SortedDict: the key ${JSON.stringify(keys[i])} repeats`);
      if (c > 0) {
        order = i;
        break;
      }
    }
    if (order === 0) return new SortedDict(keys, values);
    const index = keys.map((_, i) => i).sort((a, b) => compareCodePoints(keys[a], keys[b]));
    for (let i = 1; i < index.length; i++)
      if (keys[index[i - 1]] === keys[index[i]])
        throw new Error(`SortedDict: the key ${JSON.stringify(keys[index[i]])} repeats`);
    return new SortedDict(
      index.map((i) => keys[i]),
      index.map((i) => values[i])
    );
  }

  get size(): number {
    return this.keys.length;
  }

  /** As a plain object (keys inserted in order). */
  toObject(): Record<string, V> {
    const out: Record<string, V> = {};
    for (let i = 0; i < this.keys.length; i++) out[this.keys[i]] = this.values[i];
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
