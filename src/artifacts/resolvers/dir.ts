/**
 * `dir:PATH` (ITE-4; upstream in-toto ≥ 2.1 `DirectoryResolver`, REFERENCE.md §3): one artifact for a
 * whole directory — the hash of the lines `"<sha256>  <relpath>\n"` of every file inside, sorted
 * bytewise: what `find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum` prints
 * inside PATH.
 *
 * As upstream, the files are found by the ordinary file walk with PATH as base path: the exclude
 * patterns (default `*.link*`, `.git`, `*.pyc`, `*~`) apply to the paths inside, a symlinked file is
 * hashed through under the link's name and symlinked directories are walked. There the literal shell
 * pipeline differs (`find -type f` skips symlinks and excludes nothing); on a tree without symlinks or
 * excluded names the two agree. Symlinks leaving PATH are never followed (SECURITY.md B,
 * GHSA-v6px-jqx8-8xwj).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { compareCodePoints } from '../../encoding/index.js';
import { RecordError } from '../../errors.js';
import type { HashDict } from '../hash.js';
import type { RecordOptions } from '../record.js';

/**
 * The `dir:` digest of `path` (relative to `base`), for each of `options.hashAlgorithms` (default
 * sha256, upstream's value; sha512 is the same construction with sha512sum).
 * @throws RecordError when PATH is not a directory or a file in it cannot be read.
 */
export async function resolveDir(
  path: string,
  base: string,
  options: Omit<RecordOptions, 'basePath'> = {}
): Promise<HashDict> {
  const root = resolve(base, path);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory())
    throw new RecordError(`dir:${path}: ${root} is not a directory`, {
      where: `dir:${path}`,
      hint: 'dir: takes a directory; name single files without a scheme',
    });
  // Loaded on use: record.ts imports the resolvers, so a static import would be a cycle.
  const { recordArtifacts } = await import('../record.js');
  const algorithms = options.hashAlgorithms ?? ['sha256'];
  const inner = await recordArtifacts(['.'], {
    ...options,
    basePath: root,
    hashAlgorithms: algorithms,
    lstripPaths: undefined,
    onProgress: undefined,
    onWarning: options.onWarning && ((m) => options.onWarning?.(`dir:${path}: ${m}`)),
  });
  // Code-point order of the names is the byte order of their UTF-8 (LC_ALL=C sort).
  const names = Object.keys(inner.artifacts).sort(compareCodePoints);
  const result: HashDict = {};
  for (const algorithm of algorithms) {
    const h = createHash(algorithm);
    for (const name of names) h.update(`${inner.artifacts[name][algorithm]}  ${name}\n`, 'utf8');
    result[algorithm] = h.digest('hex');
  }
  return result;
}
