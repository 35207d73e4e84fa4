export {
  runCommand,
  normalizeNewlines,
  CommandNotFoundError,
  CommandTimeoutError,
  type RunCommandOptions,
  type CommandResult,
} from './command.js';
export {
  runStep,
  recordStart,
  recordStop,
  matchProducts,
  compareWithUpstream,
  OWN_LINK_EXCLUDE_PATTERNS,
  linkFileName,
  unfinishedFileName,
  type RunStepOptions,
  type StepResult,
  type RecordStartOptions,
  type RecordStopOptions,
  type MatchProductsOptions,
  type MatchProductsResult,
  type ArtifactResolver,
  type UpstreamLink,
  type MaterialDifference,
} from './run.js';
export { scanSecrets, type SecretHit } from './secrets.js';
export { loadUpstreamLinks, type LoadUpstreamOptions } from './upstream.js';
