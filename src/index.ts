/** intoto — the public API. Named re-exports only. */
export {
  InTotoError,
  UsageError,
  InputError,
  FormatError,
  KeyError,
  RecordError,
  LimitError,
  VerificationError,
  SignatureVerificationError,
  LayoutExpiredError,
  LinkNotFoundError,
  ThresholdVerificationError,
  RuleVerificationError,
  InspectionError,
  EvidenceError,
  type ErrorOptions,
} from './errors.js';
export {
  encodeCanonical,
  canonicalBytes,
  parseJSON,
  JSONFloat,
  isJSONObject,
  stringifyPython,
  type JSONValue,
  type JSONObject,
  type ParseOptions,
} from './encoding/index.js';
export { DEFAULT_LIMITS, resolveLimits, checkLimit, type Limits } from './limits.js';
