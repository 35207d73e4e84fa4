/**
 * `git:REV`: the commit a revision resolves to, `{"sha1": <commit>}` (or `sha256` in a SHA-256
 * repository), read with simple-git. git is found once, by absolute path, so a PATH changed later by
 * the step cannot substitute another program (go-witness GHSA-3vpg).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { RecordError } from '../../errors.js';
import type { HashDict } from '../hash.js';

let gitBinary: string | undefined;

function findGit(): string {
  if (gitBinary) return gitBinary;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, 'git');
    if (dir && existsSync(candidate)) return (gitBinary = candidate);
  }
  throw new RecordError('git is not installed: git: artifacts need it');
}

export async function resolveGit(rev: string, base: string): Promise<HashDict> {
  const git = simpleGit({ baseDir: base, binary: findGit() });
  const inside = await git.checkIsRepo().catch(() => false);
  if (!inside)
    throw new RecordError(`git:${rev}: ${base} is not inside a git repository`, {
      hint: 'run inside the checkout, or pass --base-path',
    });
  let commit: string;
  try {
    commit = (await git.revparse([`${rev}^{commit}`])).trim();
  } catch {
    throw new RecordError(`git:${rev}: no such revision in ${base}`, {
      hint: 'give a branch, tag or commit that exists (e.g. git:HEAD)',
    });
  }
  return commit.length === 64 ? { sha256: commit } : { sha1: commit };
}

/** Files git tracks below `base` (for `--git-tracked-only`). */
export async function gitTrackedFiles(base: string): Promise<Set<string>> {
  const git = simpleGit({ baseDir: base, binary: findGit() });
  const out = await git.raw(['ls-files', '-z']);
  return new Set(out.split('\0').filter(Boolean));
}
