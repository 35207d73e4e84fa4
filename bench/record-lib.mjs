// Records the given paths with the library (what `intoto run -m PATHS -x` does before signing);
// used by bench/hash.mjs while the CLI has no `run` command.
import { recordArtifacts } from '../dist/index.js';

const { artifacts } = await recordArtifacts(process.argv.slice(2));
if (Object.keys(artifacts).length === 0) process.exitCode = 1;
