/**
 * A strict JSON reader for untrusted metadata.
 *
 * Why not `JSON.parse` or a library: `JSON.parse` keeps the last of duplicate keys (a parser
 * differential between implementations, SECURITY.md A-9), loses integers beyond 2^53 and cannot
 * tell `1` from `1.0`; lossless-json keeps numbers exact but accepts duplicate keys whose values
 * are equal and reports byte offsets rather than JSON paths. This reader:
 *
 * - rejects duplicate keys in every object (after escape decoding: `"ru\u006e"` equals `"run"`),
 * - keeps integers exact (`bigint` past 2^53) and marks non-integers as {@link JSONFloat},
 * - rejects a BOM, lone surrogates (which cannot be UTF-8 encoded for signing), raw control
 *   characters in strings, `NaN`/`Infinity`, trailing data, and nesting deeper than `maxDepth`,
 * - names the JSON path (`signed.steps[2]`) and line:column of the offending value in its errors.
 */
import { FormatError, LimitError } from '../errors.js';
import { JSONFloat, type JSONObject, type JSONValue } from './json.types.js';

export interface ParseOptions {
  /** Maximum nesting depth of arrays and objects (default 64). */
  maxDepth?: number;
  /** A label for messages, e.g. the file name. */
  source?: string;
}

export const DEFAULT_MAX_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly (invalid sequences are a {@link FormatError}). */
export function decodeUTF8(bytes: Uint8Array, source?: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new FormatError(`${source ? `${source}: ` : ''}not valid UTF-8`, { cause });
  }
}

/** Parses JSON text or UTF-8 bytes strictly. @throws FormatError, LimitError */
export function parseJSON(input: string | Uint8Array, options: ParseOptions = {}): JSONValue {
  const text = typeof input === 'string' ? input : decodeUTF8(input, options.source);
  return new Parser(text, options).parseDocument();
}

function pathKey(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)
    ? path
      ? `${path}.${key}`
      : key
    : `${path}[${JSON.stringify(key)}]`;
}

/** The JSON path of a stack of keys and indices, built only when a message needs it. */
function pathOf(segs: readonly (string | number)[]): string {
  let path = '';
  for (const s of segs) path = typeof s === 'number' ? `${path}[${s}]` : pathKey(path, s);
  return path;
}

class Parser {
  private i = 0;
  private readonly maxDepth: number;
  /** Keys and indices from the top to the value being read (for messages only). */
  private readonly segs: (string | number)[] = [];
  constructor(
    private readonly s: string,
    private readonly options: ParseOptions
  ) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  parseDocument(): JSONValue {
    if (this.s.charCodeAt(0) === 0xfeff)
      this.fail('a byte-order mark (BOM) is not allowed before JSON');
    this.ws();
    if (this.i >= this.s.length) this.fail('empty document: expected a JSON value');
    const value = this.value(0);
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  private position(): string {
    let line = 1;
    let last = -1;
    for (let k = 0; k < this.i && k < this.s.length; k++) {
      if (this.s.charCodeAt(k) === 10) {
        line++;
        last = k;
      }
    }
    return `line ${line} column ${this.i - last}`;
  }

  private fail(message: string): never {
    const path = pathOf(this.segs);
    const where = [this.options.source, path || undefined, this.position()]
      .filter(Boolean)
      .join(', ');
    throw new FormatError(`${message} (${where})`, {
      path: path || undefined,
      where: this.options.source,
    });
  }

  private ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  private value(depth: number): JSONValue {
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 123 /* { */:
        return this.object(depth + 1);
      case 91 /* [ */:
        return this.array(depth + 1);
      case 34 /* " */:
        return this.string();
      case 116 /* t */:
        return this.literal('true', true);
      case 102 /* f */:
        return this.literal('false', false);
      case 110 /* n */:
        return this.literal('null', null);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.number();
        if (Number.isNaN(c)) this.fail('unexpected end of input: expected a JSON value');
        this.fail(`unexpected character ${JSON.stringify(this.s[this.i])}: expected a JSON value`);
    }
  }

  private literal<T>(word: string, value: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return value;
    }
    this.fail('invalid literal (NaN, Infinity and bare words are not JSON)');
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) {
      const path = pathOf(this.segs);
      throw new LimitError(
        `JSON nesting deeper than ${this.maxDepth} levels at ${path || 'the top level'}${this.options.source ? ` in ${this.options.source}` : ''}`,
        {
          hint: 'metadata this deep is not produced by any in-toto tool; raise the limit only if you trust the file',
        }
      );
    }
  }

  private object(depth: number): JSONObject {
    this.enter(depth);
    this.i++; // {
    const obj: JSONObject = {};
    this.ws();
    if (this.s.charCodeAt(this.i) === 125) {
      this.i++;
      return obj;
    }
    const segs = this.segs;
    for (;;) {
      if (this.s.charCodeAt(this.i) !== 34) this.fail('expected a string key');
      const key = this.string();
      segs.push(key);
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        this.fail(
          `duplicate key ${JSON.stringify(key)} (duplicate keys are rejected: parsers disagree on which one wins)`
        );
      }
      this.ws();
      if (this.s.charCodeAt(this.i) !== 58) this.fail('expected ":" after key');
      this.i++;
      this.ws();
      const v = this.value(depth);
      if (key === '__proto__') {
        // An own property, never a prototype change.
        Object.defineProperty(obj, key, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        obj[key] = v;
      }
      segs.pop();
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        this.ws();
        continue;
      }
      if (c === 125) {
        this.i++;
        return obj;
      }
      this.fail('expected "," or "}" in object');
    }
  }

  private array(depth: number): JSONValue[] {
    this.enter(depth);
    this.i++; // [
    const arr: JSONValue[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 93) {
      this.i++;
      return arr;
    }
    const segs = this.segs;
    for (;;) {
      segs.push(arr.length);
      arr.push(this.value(depth));
      segs.pop();
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        this.ws();
        continue;
      }
      if (c === 93) {
        this.i++;
        return arr;
      }
      this.fail('expected "," or "]" in array');
    }
  }

  private string(): string {
    const s = this.s;
    let i = this.i + 1;
    let start = i;
    let out = '';
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (Number.isNaN(c)) {
        this.i = i;
        this.fail('unterminated string');
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('raw control character in string (must be escaped)');
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const ok = c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
        if (!ok) {
          this.i = i;
          this.fail('lone surrogate in string');
        }
        i += 2;
        continue;
      }
      if (c === 92 /* \ */) {
        out += s.slice(start, i);
        const e = s.charCodeAt(i + 1);
        i += 2;
        switch (e) {
          case 34:
            out += '"';
            break;
          case 92:
            out += '\\';
            break;
          case 47:
            out += '/';
            break;
          case 98:
            out += '\b';
            break;
          case 102:
            out += '\f';
            break;
          case 110:
            out += '\n';
            break;
          case 114:
            out += '\r';
            break;
          case 116:
            out += '\t';
            break;
          case 117: {
            const unit = this.hex4(i);
            i += 4;
            if (unit >= 0xd800 && unit <= 0xdbff) {
              // A high surrogate must be followed by an escaped low surrogate.
              if (s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 117) {
                const low = this.hex4(i + 2);
                if (low >= 0xdc00 && low <= 0xdfff) {
                  out += String.fromCharCode(unit, low);
                  i += 6;
                  break;
                }
              }
              this.i = i;
              this.fail('lone surrogate escape in string (cannot be encoded as UTF-8)');
            }
            if (unit >= 0xdc00 && unit <= 0xdfff) {
              this.i = i;
              this.fail('lone surrogate escape in string (cannot be encoded as UTF-8)');
            }
            out += String.fromCharCode(unit);
            break;
          }
          default:
            this.i = i - 1;
            this.fail('invalid escape in string');
        }
        start = i;
        continue;
      }
      i++;
    }
    out += s.slice(start, i);
    this.i = i + 1;
    return out;
  }

  private hex4(at: number): number {
    const h = this.s.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) {
      this.i = at;
      this.fail('invalid \\u escape');
    }
    return parseInt(h, 16);
  }

  private number(): number | bigint | JSONFloat {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const first = s.charCodeAt(i);
    if (first === 48) {
      i++;
    } else if (first >= 49 && first <= 57) {
      while (isDigit(s.charCodeAt(i))) i++;
    } else {
      this.i = i;
      this.fail('invalid number');
    }
    let isFloat = false;
    if (s.charCodeAt(i) === 46) {
      isFloat = true;
      i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.i = i;
        this.fail('invalid number: digits expected after "."');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      isFloat = true;
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.i = i;
        this.fail('invalid number: digits expected in exponent');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    this.i = i;
    const text = s.slice(start, i);
    if (isFloat) return new JSONFloat(text);
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n === 0 ? 0 : n; // -0 is the integer 0, as in Python
    return BigInt(text);
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
