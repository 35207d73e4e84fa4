export {
  recordArtifacts,
  fileMode,
  DEFAULT_EXCLUDE_PATTERNS,
  type RecordOptions,
  type RecordResult,
  type ArtifactMap,
} from './record.js';
export {
  hashFile,
  hashFileSync,
  hashFiles,
  prestartHashWorkers,
  SUPPORTED_HASH_ALGORITHMS,
  type HashDict,
  type HashOptions,
  type ProgressCallback,
} from './hash.js';
export { ExcludeFilter, compileGitWildMatch } from './gitwildmatch.js';
export { normpath } from './paths.js';
export {
  resolveArtifact,
  resolveDir,
  resolveGit,
  resolveOCI,
  schemeOf,
  gitTrackedFiles,
  gitExecutable,
  artifactSources,
  SCHEMES,
  type Scheme,
  type ResolveOptions,
  type OCIResult,
} from './resolvers/index.js';
