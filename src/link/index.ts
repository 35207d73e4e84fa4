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
  linkFileName,
  unfinishedFileName,
  type RunStepOptions,
  type StepResult,
  type RecordStartOptions,
  type RecordStopOptions,
  type MatchProductsOptions,
  type MatchProductsResult,
  type ArtifactResolver,
} from './run.js';
export { scanSecrets, type SecretHit } from './secrets.js';
