/**
 * ITE-4 resolvers (REFERENCE.md §3 "Newest additions", §9): an artifact name with a known scheme is
 * resolved by its resolver; rules treat the names as plain strings. Names with an unknown scheme are
 * plain paths, as upstream's `Resolver.for_uri` treats them (a file named `notes:v2` stays a file).
 *
 * | scheme | artifact | hash |
 * |---|---|---|
 * | `file:PATH` | the files, keys keep the `file:` prefix (upstream) | as plain paths |
 * | `dir:PATH` | one entry for the whole directory (upstream) | dirHash, see dir.ts |
 * | `git:REV`, `git-tree:REV` | the commit / tree REV resolves to | `sha1` (`sha256` repos) |
 * | `oci:PATH[:REF]` | the image manifest digest; with `ociBlobs` every blob too | `sha256` |
 */
import type { HashDict } from '../hash.js';
import { normpath } from '../paths.js';
import type { RecordOptions } from '../record.js';
import { resolveDir } from './dir.js';
import { resolveGit } from './git.js';
import { resolveOCI } from './oci.js';

export const SCHEMES = ['dir', 'file', 'git', 'git-tree', 'oci'] as const;
export type Scheme = (typeof SCHEMES)[number];

export function schemeOf(name: string): Scheme | undefined {
  const m = /^([a-z][a-z-]*):(.+)$/s.exec(name);
  return m && (SCHEMES as readonly string[]).includes(m[1]) ? (m[1] as Scheme) : undefined;
}

/** The recording options of the call (dir: and file: walk with them, as upstream), and the base. */
export interface ResolveOptions extends Omit<RecordOptions, 'basePath' | 'onProgress'> {
  basePath: string;
}

function lstrip(path: string, prefixes: readonly string[] | undefined): string {
  const p = prefixes?.find((x) => path.startsWith(x));
  return p === undefined ? path : path.slice(p.length);
}

/**
 * Resolves one URI artifact to its `{name: hashes}` entries (none for a name without a known scheme).
 * @throws RecordError when the resource cannot be resolved: not a directory, not in a repository, an
 * unknown revision, an image whose blobs do not match their digests, …
 */
export async function resolveArtifact(
  name: string,
  options: ResolveOptions
): Promise<Record<string, HashDict>> {
  const scheme = schemeOf(name);
  const rest = name.slice((scheme?.length ?? 0) + 1);
  switch (scheme) {
    case 'file': {
      // Upstream FileResolver: the path is recorded as usual and the keys keep the scheme.
      const { recordArtifacts } = await import('../record.js');
      const files = await recordArtifacts([rest], options);
      return Object.fromEntries(Object.entries(files.artifacts).map(([k, v]) => [`file:${k}`, v]));
    }
    case 'dir': {
      // Normalised (upstream keeps `dir:src/`, which verification rejects as non-canonical;
      // docs/DIFFERENCES.md), then lstripped like upstream's DirectoryResolver.
      const path = normpath(rest);
      const key = `dir:${lstrip(path, options.lstripPaths)}`;
      return { [key]: await resolveDir(path, options.basePath, options) };
    }
    case 'git':
    case 'git-tree':
      return {
        [name]: await resolveGit(rest, options.basePath, scheme === 'git' ? 'commit' : 'tree'),
      };
    case 'oci': {
      const spec = normpath(rest);
      const r = resolveOCI(spec, options.basePath);
      const out: Record<string, HashDict> = { [`oci:${spec}`]: r.manifest };
      if (options.ociBlobs)
        for (const [digest, h] of Object.entries(r.blobs)) out[`oci:${spec}@${digest}`] = h;
      return out;
    }
    default:
      return {};
  }
}

/**
 * The URIs that regenerate recorded names (to re-check a link's products: `oci:img@sha256:…` comes
 * from `oci:img` with `ociBlobs`). Plain paths are left out.
 */
export function artifactSources(names: Iterable<string>): { uris: string[]; ociBlobs: boolean } {
  const uris = new Set<string>();
  let ociBlobs = false;
  for (const name of names) {
    const scheme = schemeOf(name);
    if (!scheme) continue;
    const at = scheme === 'oci' ? name.indexOf('@') : -1;
    if (at !== -1) ociBlobs = true;
    uris.add(at === -1 ? name : name.slice(0, at));
  }
  return { uris: [...uris].sort(), ociBlobs };
}

export { resolveDir, resolveGit, resolveOCI };
export { gitTrackedFiles, gitExecutable } from './git.js';
export { TarArchive, type TarEntry } from './tar.js';
export type { OCIResult } from './oci.js';
