/**
 * `git:REV` and `git-tree:REV` (ITE-4 URIs): the commit (or its tree) a revision resolves to, as
 * `{"sha1": …}` — or `{"sha256": …}` in a repository with the sha256 object format — read with
 * simple-git; and the files git tracks, for `--git-tracked-only`.
 *
 * git is executed by an absolute path found once, on first use, and never looked up again from a PATH
 * that may have changed since (SECURITY.md B, GHSA-3vpg-3m94-v3qr). A checkout is not trusted
 * either: `core.fsmonitor` (a command git runs on index reads) is switched off for every call.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { SimpleGit, simpleGit as SimpleGitFactory } from 'simple-git';
import { RecordError } from '../../errors.js';
import type { HashDict } from '../hash.js';

let gitPath: string | undefined;

/** The absolute path of the git executable, resolved once per process from PATH's absolute entries. */
export function gitExecutable(): string {
  if (gitPath) return gitPath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    // Relative PATH entries would make the lookup depend on the working directory.
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, 'git');
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      gitPath = realpathSync(candidate);
      return gitPath;
    } catch {
      // not here; try the next entry
    }
  }
  throw new RecordError('git is not installed (no git executable on PATH)', {
    hint: 'install git to record git: artifacts or use --git-tracked-only',
  });
}

// simple-git alone costs more start-up time than the rest of the library: every CLI command would
// pay for it. It is loaded (synchronously, through its CommonJS build) on the first git call.
let simpleGit: typeof SimpleGitFactory | undefined;

function git(baseDir: string): SimpleGit {
  simpleGit ??= (
    createRequire(import.meta.url)('simple-git') as { simpleGit: typeof SimpleGitFactory }
  ).simpleGit;
  return simpleGit({
    baseDir,
    binary: gitExecutable(),
    config: ['core.fsmonitor=false'],
    // simple-git refuses any core.fsmonitor setting unless told; switching it off is the safe one.
    unsafe: { allowUnsafeFsMonitor: true },
    maxConcurrentProcesses: 1,
  });
}

function gitDir(base: string): string {
  const dir = resolve(base);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new RecordError(`cannot use ${dir} as base path: not a directory`);
  return dir;
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim().split('\n')[0] ?? '';
}

/** Runs git, turning "not a git repository" and other failures into RecordErrors. */
async function run(dir: string, args: string[], what: string, trim = true): Promise<string> {
  try {
    const out = await git(dir).raw(args);
    return trim ? out.trim() : out;
  } catch (err) {
    const msg = messageOf(err);
    if (/not a git repository/i.test(msg))
      throw new RecordError(
        `not a git repository: ${dir}; run inside the checkout or pass --base-path`,
        {
          where: what,
          cause: err,
        }
      );
    throw new RecordError(`${what}: git failed in ${dir}: ${msg}`, { where: what, cause: err });
  }
}

/** The repository's object format: `sha1` (the default) or `sha256`. */
async function objectFormat(dir: string, what: string): Promise<'sha1' | 'sha256'> {
  const f = await run(dir, ['rev-parse', '--show-object-format'], what);
  return f === 'sha256' ? 'sha256' : 'sha1';
}

/**
 * The object id a revision resolves to: its commit (`git:REV`) or the commit's tree (`git-tree:REV`),
 * as `{"sha1": id}` or, in a sha256-object-format repository, `{"sha256": id}`.
 * @throws RecordError outside a repository or for an unknown revision.
 */
export async function resolveGit(
  rev: string,
  base: string,
  kind: 'commit' | 'tree' = 'commit'
): Promise<HashDict> {
  const what = `${kind === 'commit' ? 'git' : 'git-tree'}:${rev}`;
  // A revision starting with "-" would be read as an option by git.
  if (rev === '' || rev.startsWith('-') || rev.includes('\0'))
    throw new RecordError(`${what}: not a revision`, {
      hint: 'name a commit, branch or tag: git:HEAD, git:v1.0, git:main',
    });
  const dir = gitDir(base);
  const format = await objectFormat(dir, what);
  let id: string | undefined;
  let cause: unknown;
  try {
    id = await run(dir, ['rev-parse', '--verify', '--end-of-options', `${rev}^{${kind}}`], what);
  } catch (err) {
    cause = err;
  }
  if (!id)
    throw new RecordError(`${what}: no such revision (no ${kind} of that name) in ${dir}`, {
      where: what,
      hint: 'give a branch, tag or commit that exists (e.g. git:HEAD)',
      cause,
    });
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id))
    throw new RecordError(`${what}: git printed ${JSON.stringify(id)}, not an object id`);
  return { [format]: id };
}

/**
 * Files git tracks below `base`, relative to it (for `--git-tracked-only`; `ls-files` lists paths
 * relative to the directory it runs in).
 */
export async function gitTrackedFiles(base: string): Promise<Set<string>> {
  const dir = gitDir(base);
  const listing = await run(dir, ['ls-files', '-z'], '--git-tracked-only', false);
  return new Set(listing.split('\0').filter(Boolean));
}
