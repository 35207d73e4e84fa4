// After tsc: marks the CLI entry point executable (tsc does not keep modes), and bundles what the
// CLI runs after its start (program.js, the commands, the library) into one file. Loading ~80 ES
// modules one by one cost ~60 ms of every command; the bundle loads in one piece. main.js stays
// small, so `--version` still answers before anything is loaded. The library itself (`exports`)
// is tsc's output, unbundled.
import { chmodSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = (p) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
chmodSync(dist('cli/main.js'), 0o755);
await build({
  entryPoints: [dist('cli/program.js')],
  outfile: dist('cli/program.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // simple-git stays a lazy import of its own (only the git resolver uses it).
  external: ['simple-git'],
  // Without whitespace and comments the bundle is a third smaller and pure ASCII (V8 then keeps
  // and parses the source as one-byte text): ~20 ms less per command here. Names are kept, and
  // the source map maps stack traces back (main.js enables it under INTOTO_DEBUG).
  minifyWhitespace: true,
  // CommonJS dependencies bundled into an ES module still call require for Node's built-ins.
  banner: {
    js: "import { createRequire as __cjs } from 'node:module'; const require = __cjs(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});

// The hashing worker's script as a file of its own: the CLI's entry point starts the worker from
// it before loading the bundle, so that its boot overlaps the bundle's (main.ts).
const { HASH_WORKER_SOURCE } = await import(dist('artifacts/hash.js'));
writeFileSync(dist('cli/hash-worker.cjs'), HASH_WORKER_SOURCE);
