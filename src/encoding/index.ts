export { encodeCanonical, canonicalBytes, canonicalChunks } from './canonical.js';
export {
  compareCodePoints,
  sortByCodePoint,
  SortedDict,
  DigestTable,
  plainMembers,
} from './sorted-dict.js';
export { parseJSON, decodeUTF8, DEFAULT_MAX_DEPTH, type ParseOptions } from './strict-json.js';
export {
  JSONFloat,
  isJSONObject,
  onlySHA256,
  type JSONValue,
  type JSONObject,
} from './json.types.js';
export { toHex, fromHex, toBase64, fromBase64 } from './bytes.js';
export {
  stringifyPython,
  pythonBytes,
  pythonChunks,
  CanonicalValue,
  type PythonDumpOptions,
} from './python-json.js';
export {
  scanSortedJSON,
  parseJSONCanonical,
  hasHexDigests,
  type SortedScan,
  type LiftOptions,
  type ArtifactIndex,
} from './sorted-json.js';
