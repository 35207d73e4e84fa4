/**
 * Loads the CLI's program: the bundle of program.js and all it loads (scripts/postbuild.mjs), or
 * program.js itself when there is none (running from sources).
 *
 * The bundle is CommonJS so that it can be compiled with the code cache the build made for it
 * (`program.bundle.cache`: the SHA-256 of the bundle's source, then V8's bytecode for it, made as
 * it was loaded; scripts/postbuild.mjs). Loading the bundle took ~37 ms as an ES module, ~21 ms as
 * a script and ~9 ms from the cache (medians here; a recorded run of 20k files ~30 ms less CPU).
 * A cache that does not belong to the source, or that V8 rejects (another Node.js, other V8
 * flags), is ignored: the source is compiled, as without one.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type * as Program from './program.js';

export const BUNDLE = new URL('./program.bundle.cjs', import.meta.url);
export const CODE_CACHE = new URL('./program.bundle.cache', import.meta.url);

/** The bundle loaded, and the script compiled from it (the build makes the cache from it). */
export interface LoadedBundle {
  program: typeof Program;
  script: Script;
  source: string;
}

/**
 * The program; from program.js when there is no bundle. With INTOTO_DEBUG the bundle is required
 * as a module instead, so that stack traces are mapped back to the sources by its source map.
 */
export async function loadProgram(): Promise<typeof Program> {
  let source: string;
  try {
    source = readFileSync(BUNDLE, 'utf8');
  } catch (err) {
    // Only a missing bundle falls back: a broken one must fail loudly, not hide behind the sources.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return import('./program.js');
    throw err;
  }
  if (process.env.INTOTO_DEBUG) {
    process.setSourceMapsEnabled(true);
    return createRequire(BUNDLE)(fileURLToPath(BUNDLE)) as typeof Program;
  }
  let cache: Buffer | undefined;
  try {
    const data = readFileSync(CODE_CACHE);
    if (data.subarray(0, 32).equals(sourceDigest(source))) cache = data.subarray(32);
  } catch {
    // no cache: compiled from the source
  }
  return loadBundle(source, cache).program;
}

/** Compiles and runs the bundle's `source` (with V8's `cache` if given) as CommonJS does. */
export function loadBundle(source: string, cache?: Buffer): LoadedBundle {
  const filename = fileURLToPath(BUNDLE);
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename, cachedData: cache }
  );
  const module = { exports: {} as typeof Program };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(BUNDLE), module, filename, fileURLToPath(new URL('.', BUNDLE)));
  return { program: module.exports, script, source };
}

/** The cache file's contents for a loaded bundle: its source's digest, then V8's data. */
export function codeCache(loaded: LoadedBundle): Buffer {
  return Buffer.concat([sourceDigest(loaded.source), loaded.script.createCachedData()]);
}

function sourceDigest(source: string): Buffer {
  return createHash('sha256').update(source).digest();
}
