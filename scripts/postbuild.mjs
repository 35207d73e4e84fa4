// After tsc: marks the CLI entry point executable (tsc does not keep modes), and bundles what the
// CLI runs after its start (program.js, the commands, the library) into one CommonJS file, with a
// code cache for it (src/cli/bundle.ts loads both). Loading ~80 ES modules
// one by one cost ~60 ms of every command; the bundle loads in one piece. main.js stays small, so
// `--version` still answers before anything is loaded. The library itself (`exports`) is tsc's
// output, unbundled.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = (p) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
chmodSync(dist('cli/main.js'), 0o755);
await build({
  entryPoints: [dist('cli/program.js')],
  outfile: dist('cli/program.bundle.cjs'),
  bundle: true,
  platform: 'node',
  // A script, not an ES module: V8 takes a code cache for a script (vm.Script) without flags.
  format: 'cjs',
  target: 'node20',
  // import('node:fs') as a require: a script compiled by vm.Script has no dynamic import.
  supported: { 'dynamic-import': false },
  // The bundle's own address where the sources ask for theirs (package.json, createRequire).
  define: { 'import.meta.url': '__intotoBundleURL' },
  // simple-git stays a lazy import of its own (only the git resolver uses it).
  external: ['simple-git'],
  // Without whitespace and comments the bundle is a third smaller and pure ASCII (V8 then keeps
  // and parses the source as one-byte text): ~20 ms less per command here. Names are kept, and
  // the source map maps stack traces back (bundle.ts enables it under INTOTO_DEBUG).
  minifyWhitespace: true,
  banner: { js: "var __intotoBundleURL = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  logLevel: 'warning',
});

// The hashing worker's script as a file of its own: the CLI's entry point starts the worker from
// it before loading the bundle, so that its boot overlaps the bundle's (main.ts).
const { HASH_WORKER_SOURCE } = await import(dist('artifacts/hash.js'));
writeFileSync(dist('cli/hash-worker.cjs'), HASH_WORKER_SOURCE);

// The bundle's code cache (src/cli/bundle.ts): V8's bytecode of the bundle as loading it compiles
// it. Made just after loading, before any command ran: a cache made after running a recorded run
// (with the bytecode of every function it called) made a 20k-file run ~40 ms slower — its hot
// loops were optimised later — while the load-only cache saves the same at start-up.
const { BUNDLE, CODE_CACHE, codeCache, loadBundle } = await import(dist('cli/bundle.js'));
writeFileSync(CODE_CACHE, codeCache(loadBundle(readFileSync(BUNDLE, 'utf8'))));
