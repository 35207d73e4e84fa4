/** Field checks for the models' `fromJSON`: each failure names the JSON path and what it expected. */
import {
  JSONFloat,
  hasHexDigests,
  isJSONObject,
  type JSONObject,
  type JSONValue,
} from '../encoding/index.js';
import { FormatError } from '../errors.js';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof JSONFloat) return value.source;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${value}`;
  return typeof value;
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new FormatError(`${path}: expected ${expected}, got ${describe(got)}`, { path });
}

export function objectAt(value: unknown, path: string): JSONObject {
  if (!isJSONObject(value)) fail(path, 'an object', value);
  return value;
}

export function stringAt(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'a string', value);
  return value;
}

export function stringListAt(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) fail(path, 'a list of strings', value);
  value.forEach((v, i) => stringAt(v, `${path}[${i}]`));
  return value as string[];
}

export function listAt(value: unknown, path: string): JSONValue[] {
  if (!Array.isArray(value)) fail(path, 'a list', value);
  return value as JSONValue[];
}

const HEX = /^[0-9a-fA-F]+$/;

/** `{path: {algorithm: hexdigest}}` (REFERENCE §1.2), as an object or as read into a Map. */
export function artifactsAt(
  value: unknown,
  path: string
): Record<string, Record<string, string>> | ReadonlyMap<string, Record<string, string>> {
  if (value instanceof Map) {
    // Read by the scanner (sorted-json.ts): hash dicts of strings already; are they hex? The
    // scanner checked while copying, so only a Map it found fault with is looked at again.
    if (hasHexDigests(value)) return value as ReadonlyMap<string, Record<string, string>>;
    for (const [name, h] of value as Map<string, Record<string, string>>) {
      for (const alg in h) {
        if (!HEX.test(h[alg]))
          fail(`${path}[${JSON.stringify(name)}].${alg}`, 'a hex digest', h[alg]);
      }
    }
    return value as ReadonlyMap<string, Record<string, string>>;
  }
  const obj = objectAt(value, path);
  for (const name in obj) {
    // Paths are built only for the message: links can carry 100k artifacts.
    const h = obj[name];
    if (!isJSONObject(h)) fail(`${path}[${JSON.stringify(name)}]`, 'an object', h);
    for (const alg in h) {
      const digest = h[alg];
      if (typeof digest !== 'string' || !HEX.test(digest)) {
        fail(`${path}[${JSON.stringify(name)}].${alg}`, 'a hex digest', digest);
      }
    }
  }
  return obj as Record<string, Record<string, string>>;
}

/**
 * Keys not in `known`, kept so `toJSON` round-trips (and signatures over them still verify). A key
 * that differs from a known one only in case (`Run` beside `run`) is rejected: in-toto-golang matches
 * field names case-insensitively, so the same signed bytes would mean different things to different
 * verifiers (SECURITY.md A-9, X41 TOTO-PT-23-107).
 */
export function unrecognized(
  obj: JSONObject,
  known: readonly string[],
  path = 'signed'
): JSONObject {
  const rest: JSONObject = {};
  for (const k of Object.keys(obj)) {
    if (known.includes(k)) continue;
    const twin = known.find((n) => n.toLowerCase() === k.toLowerCase());
    if (twin !== undefined) {
      throw new FormatError(
        `${path}: field ${JSON.stringify(k)} differs from ${JSON.stringify(twin)} only in case; implementations disagree on which one counts`,
        { path: `${path}.${k}` }
      );
    }
    rest[k] = obj[k];
  }
  return rest;
}
