/**
 * A JSON value as read by the strict parser. Integers that fit exactly in a double are `number`;
 * larger ones are `bigint` (kept exact, as Python keeps them). Non-integer numbers (`1.0`, `1e3`)
 * are {@link JSONFloat}, which remembers the source text so that a reader can tell `1` from `1.0`
 * and canonical JSON can reject it the way securesystemslib does.
 */
export type JSONValue =
  null | boolean | number | bigint | string | JSONFloat | JSONValue[] | JSONObject;
export interface JSONObject {
  [key: string]: JSONValue;
}

/** A JSON number written with a fraction or exponent (a Python `float`). */
export class JSONFloat {
  constructor(readonly source: string) {}
  get value(): number {
    return Number(this.source);
  }
  toJSON(): number {
    return this.value;
  }
}

export function isJSONObject(value: unknown): value is JSONObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof JSONFloat)
  );
}

/**
 * The digest when `v` is a plain object whose one own key is `sha256`, with a string value (what
 * almost every artifact's hash dict is); otherwise undefined.
 */
export function onlySHA256(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Map) return undefined;
  let n = 0;
  for (const k in v) if (k !== 'sha256' || ++n > 1) return undefined;
  const h = (v as { sha256?: unknown }).sha256;
  return n === 1 && typeof h === 'string' && Object.prototype.hasOwnProperty.call(v, 'sha256')
    ? h
    : undefined;
}
