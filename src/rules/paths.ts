/**
 * Canonical artifact paths (SECURITY.md A-1, CVE-2021-41087): a path with a `.` or `..` segment, an
 * empty segment (`a//b`, a trailing `/`), NUL or a backslash (which the reference's recorder never
 * writes) could name one file two ways and slip past `DISALLOW`. The verifier rejects such links.
 */
import { artifactPaths } from './engine.js';

/** Why `path` is not canonical, or undefined. URIs (`scheme:rest`, ITE-4) are checked after the colon. */
const SUSPECT = /\/\/|(?:^|\/)\.\.?(?:\/|$)|\/$|\\|\0/;

export function checkArtifactPath(path: string): string | undefined {
  // Fast path: one regex decides for the common, canonical case.
  if (path !== '' && !SUSPECT.test(path)) return undefined;
  if (path === '') return 'is empty';
  if (path.includes('\0')) return 'contains NUL';
  if (path.includes('\\')) return 'contains a backslash';
  const body = path.startsWith('/') ? path.slice(1) : path;
  for (const seg of body.split('/')) {
    if (seg === '') return 'has an empty segment (// or a trailing /)';
    if (seg === '.' || seg === '..') return `has a "${seg}" segment`;
  }
  return undefined;
}

/** Every non-canonical path of a map, with its reason. */
export function checkArtifactMap(
  artifacts: Record<string, unknown> | ReadonlyMap<string, unknown>
): { path: string; reason: string }[] {
  const out: { path: string; reason: string }[] = [];
  for (const p of artifactPaths(artifacts)) {
    const reason = checkArtifactPath(p);
    if (reason) out.push({ path: p, reason });
  }
  return out;
}
