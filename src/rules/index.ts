export { compilePattern, fnmatch, isLiteralPattern, type Matcher } from './fnmatch.js';
export { parseRule, packRule, formatRule, parseRuleString, shlexSplit } from './parse.js';
export {
  applyRules,
  artifactAt,
  artifactCount,
  artifactPaths,
  equalHashDicts,
  type ApplyRulesInput,
  type ItemArtifacts,
  type RuleTrace,
  type MatchMiss,
  type RuleFailure,
  type RuleResult,
} from './engine.js';
export { checkArtifactPath, checkArtifactMap } from './paths.js';
export { formatMatchMiss, abbreviateHashes } from './explain.js';
export type {
  ArtifactRule,
  SimpleRuleType,
  ArtifactMap,
  ArtifactSource,
  HashDict,
} from './types.js';
