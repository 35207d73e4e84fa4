/**
 * ITE-4 resolvers: artifact names with a scheme (`dir:`, `git:`, `oci:`) are resolved by their
 * resolver and recorded under the name as given; rules treat them as plain strings. Names with an
 * unknown scheme are plain paths, as the reference treats them.
 */
import type { HashDict } from '../hash.js';
import { resolveDir } from './dir.js';
import { resolveGit } from './git.js';
import { resolveOCI } from './oci.js';

export const SCHEMES = ['dir', 'git', 'oci'] as const;

export function schemeOf(name: string): (typeof SCHEMES)[number] | undefined {
  const m = /^([a-z]+):(.+)$/.exec(name);
  return m && (SCHEMES as readonly string[]).includes(m[1])
    ? (m[1] as (typeof SCHEMES)[number])
    : undefined;
}

export interface ResolveOptions {
  basePath: string;
  /** With `oci:`, also record every blob as `oci:PATH@<digest>`. */
  ociBlobs?: boolean;
}

/** Resolves one URI artifact to `{name: hashes}` entries. */
export async function resolveArtifact(
  name: string,
  options: ResolveOptions
): Promise<Record<string, HashDict>> {
  const scheme = schemeOf(name);
  const rest = name.slice((scheme?.length ?? 0) + 1);
  switch (scheme) {
    case 'dir':
      return { [name]: await resolveDir(rest, options.basePath) };
    case 'git':
      return { [name]: await resolveGit(rest, options.basePath) };
    case 'oci': {
      const r = resolveOCI(rest, options.basePath);
      const out: Record<string, HashDict> = { [name]: r.manifest };
      if (options.ociBlobs)
        for (const [digest, h] of Object.entries(r.blobs)) out[`${name}@${digest}`] = h;
      return out;
    }
    default:
      return {};
  }
}

export { resolveDir, resolveGit, resolveOCI };
export { gitTrackedFiles } from './git.js';
export type { OCIResult } from './oci.js';
