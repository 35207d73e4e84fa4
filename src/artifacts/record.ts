/**
 * Recording artifacts: the same paths and hashes as the reference's `record_artifacts_as_dict`
 * (REFERENCE.md §3), path for path, plus the safety the reference lacks (docs/DIFFERENCES.md):
 * symlinks leaving the recorded tree are not followed, directory-symlink loops end, special files are
 * never opened, unreadable files and directories are errors, and every skip is a warning.
 * Never `chdir`s: paths are resolved against the base path instead.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { compareCodePoints, sortByCodePoint, SortedDict } from '../encoding/index.js';
import { RecordError } from '../errors.js';
import { currentMounts, shortReadsEndFiles } from './filesystems.js';
import { ExcludeFilter } from './gitwildmatch.js';
import { checkAlgorithms, HashPool, notUTF8, type ProgressCallback } from './hash.js';
import { normpath } from './paths.js';
import { gitTrackedFiles, resolveArtifact, schemeOf } from './resolvers/index.js';
import type { ArtifactMap, HashDict } from './types.js';

export type { ArtifactMap, HashDict } from './types.js';

/** The reference's default exclude patterns (settings.ARTIFACT_EXCLUDE_PATTERNS). */
export const DEFAULT_EXCLUDE_PATTERNS: readonly string[] = Object.freeze([
  '*.link*',
  '.git',
  '*.pyc',
  '*~',
]);

export interface RecordOptions {
  /** Record relative to this directory (not part of the keys). Default: the current directory. */
  basePath?: string;
  /** gitignore-style patterns; a non-empty list replaces the defaults (REFERENCE gotcha 6). */
  excludePatterns?: readonly string[];
  /**
   * Apply no exclude pattern at all, not even the defaults (SECURITY.md A-3: `*.link*` also hides
   * `postinstall.link.js`). The reference has no way to say this.
   */
  excludeNothing?: boolean;
  /**
   * Add each file's mode (permission, setuid, setgid and sticky bits, 4 octal digits) to its hash
   * dict under `mode` (SECURITY.md A-5): hash dicts are compared whole, so a MATCH between two steps
   * recorded this way fails when a mode changed. Digits are valid hex, so the reference accepts it.
   */
  recordMode?: boolean;
  /** Prefixes removed from recorded keys (first match wins, plain string prefix). */
  lstripPaths?: readonly string[];
  /** Walk symlinked directories under the link's name (default true, as in-toto-run). */
  followSymlinkDirs?: boolean;
  normalizeLineEndings?: boolean;
  /** Default `['sha256']`; `sha384` and `sha512` may be added. */
  hashAlgorithms?: readonly string[];
  /** Follow symlinks whose target lies outside the base directory (default false). */
  allowOutsideSymlinks?: boolean;
  onWarning?: (message: string) => void;
  /**
   * Files hashed, files found so far (the walk and the hashing overlap) and bytes hashed; called at
   * most every 100 ms and once at the end.
   */
  onProgress?: ProgressCallback;
  /**
   * Worker threads. Default: available parallelism − 1, because this thread hashes too once the
   * walk is over (so every core hashes, none oversubscribed). 0 = this thread only.
   */
  concurrency?: number;
  /** With `oci:` artifacts, also record each blob as `oci:PATH@sha256:<hex>`. */
  ociBlobs?: boolean;
  /** Record only files git tracks (plain paths; the base path must be in a git repository). */
  gitTrackedOnly?: boolean;
}

export interface RecordResult {
  /** Recorded path → hashes, as an object (made from {@link sorted} on first read). */
  readonly artifacts: ArtifactMap;
  /** The same, sorted by path as Python sorts (what a link's encoders take without sorting again). */
  readonly sorted: SortedDict<HashDict>;
  /** Entries (files or directories) left out by the exclude patterns. */
  excludedCount: number;
  /** The patterns that were applied. */
  excludePatterns: readonly string[];
  warnings: string[];
}

class Recorded implements RecordResult {
  #artifacts: ArtifactMap | undefined;
  constructor(
    readonly sorted: SortedDict<HashDict>,
    public excludedCount: number,
    readonly excludePatterns: readonly string[],
    readonly warnings: string[]
  ) {}

  get artifacts(): ArtifactMap {
    return (this.#artifacts ??= this.sorted.toObject());
  }
}

interface Walk {
  base: string;
  baseReal: string;
  filter: ExcludeFilter;
  options: RecordOptions;
  warnings: string[];
  excluded: number;
  /** Recorded keys, in the order their files were queued for hashing (the pool's indices). */
  files: string[];
  pool: HashPool;
  tracked?: Set<string>;
  /**
   * Key → path, to refuse or drop a repeated key: kept only once keys can repeat (see addFile).
   * One walk of one directory cannot repeat a path, and a Map of 100k keys cost ~1 µs a file.
   */
  keys?: Map<string, string>;
  /** Index of the top-level path being recorded. */
  topLevel: number;
  /** Directories listed so far. */
  listed: number;
  /** Real path of the given directory being walked. */
  topReal?: string;
}

function warn(w: Walk, message: string): void {
  w.warnings.push(message);
  w.options.onWarning?.(message);
}

/**
 * Sorts names and drops the excluded ones, as the reference's `_apply_exclude_patterns` does (which
 * also makes the top-level list a set; names in one directory listing are unique already).
 */
function applyExcludes(w: Walk, names: string[], unique = true): string[] {
  const all = sortByCodePoint(unique ? names : [...new Set(names)]);
  const kept = w.filter.empty ? all : all.filter((n) => !w.filter.matches(n));
  w.excluded += all.length - kept.length;
  return kept;
}

/**
 * The paths of a directory's entries that no pattern excludes, sorted (as applyExcludes; names in
 * one listing are unique, and under one prefix they sort as their paths do).
 */
function entriesKept(w: Walk, prefix: string, names: string[]): string[] {
  const kept: string[] = [];
  for (const name of sortByCodePoint(names)) {
    const path = prefix + name;
    if (w.filter.empty || !w.filter.matchesEntry(path, name)) kept.push(path);
    else w.excluded++;
  }
  return kept;
}

/**
 * The file-system path of a recorded path: resolved against the base path by the kernel, like the
 * reference after its `chdir` (`..` is physical, so no lexical `path.join` here).
 */
function fsPath(w: Walk, p: string): string {
  if (p.startsWith('/')) return p;
  return w.base.endsWith('/') ? w.base + p : `${w.base}/${p}`;
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Follows a symlink only when it resolves inside the base directory or inside the directory given
 * to record that it was found in (`-m ../src` may follow links within ../src), or when allowed. Returns the
 * target's stats, or undefined (with a warning) when it is broken or not to be followed.
 */
function followLink(w: Walk, path: string): Stats | undefined {
  const abs = fsPath(w, path);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    warn(w, `${path}: broken symlink, skipped`);
    return undefined;
  }
  const inside =
    isInside(w.baseReal, real) || (w.topReal !== undefined && isInside(w.topReal, real));
  if (!w.options.allowOutsideSymlinks && !inside) {
    warn(
      w,
      `${path}: symlink to ${real}, outside the recorded directory, not followed (pass --allow-outside-symlinks to record it)`
    );
    return undefined;
  }
  return statSync(abs);
}

function addFile(w: Walk, path: string): void {
  if (w.tracked && !w.tracked.has(path)) {
    w.excluded++;
    return;
  }
  // The reference rewrites "\" to "/"; on POSIX that can merge two different files (SECURITY A-10).
  let key = path.includes('\\') ? path.replace(/\\/g, '/') : path;
  const prefixes = w.options.lstripPaths;
  if (prefixes?.length) {
    const prefix = prefixes.find((p) => key.startsWith(p));
    if (prefix !== undefined) key = key.slice(prefix.length);
  }
  // Keys can repeat once a second top-level path is recorded (`-m src src/a.c`), with
  // --lstrip-paths, or when "\\" made a key differ from its path; never within one walk otherwise.
  const keys =
    w.keys ?? (w.topLevel > 0 || key !== path || prefixes?.length ? keyIndex(w) : undefined);
  const seen = keys?.get(key);
  if (seen !== undefined) {
    if (prefixes?.length) {
      throw new RecordError(
        `--lstrip-paths makes two artifacts share the key ${JSON.stringify(key)} (${seen} and ${path})`,
        {
          hint: 'use a longer prefix or record the paths separately',
        }
      );
    }
    if (seen !== path) {
      throw new RecordError(
        `${JSON.stringify(seen)} and ${JSON.stringify(path)} would both be recorded as ${JSON.stringify(key)}`,
        {
          hint: 'rename one of them: recorded paths use "/" for "\\"',
        }
      );
    }
    return;
  }
  // The pool opens `path` under the base path (the `prefix` below): no full path kept per file.
  w.pool.add(path);
  w.files.push(key);
  keys?.set(key, path);
}

/** The key → path index of what is recorded so far, from now on kept up to date by addFile. */
function keyIndex(w: Walk): Map<string, string> {
  w.keys = new Map(w.files.map((key, i) => [key, w.pool.pathAt(i)]));
  return w.keys;
}

/** Directories listed between two turns of the event loop (worker reports arrive on those turns). */
const DIRS_PER_BREATH = 8;

async function walkDir(w: Walk, root: string, ancestors: Set<string>): Promise<void> {
  if (++w.listed % DIRS_PER_BREATH === 0) await w.pool.breathe();
  let entries;
  try {
    entries = readdirSync(fsPath(w, root), { withFileTypes: true });
  } catch (err) {
    throw new RecordError(
      `cannot list directory ${root}: ${(err as { code?: string }).code ?? String(err)}`,
      { where: root }
    );
  }
  // Names of the entries; `root` is already normalised and an entry is a plain name, so joining
  // is enough (what normpath(join(root, name)) gives).
  const dirs: string[] = [];
  const files: string[] = [];
  const prefix = root === '.' ? '' : root.endsWith('/') ? root : `${root}/`;
  for (const e of entries) {
    const name = e.name;
    if (
      name.includes('\ufffd') &&
      !lstatSync(fsPath(w, prefix + name), { throwIfNoEntry: false })
    ) {
      // Bytes that are not UTF-8, replaced in the listing: no entry has this name (notUTF8).
      if (w.filter.empty || !w.filter.matchesEntry(prefix + name, name))
        throw notUTF8(prefix + name);
      w.excluded++;
      continue;
    }
    if (e.isDirectory()) {
      dirs.push(name);
    } else if (e.isFile()) {
      files.push(name);
    } else if (e.isSymbolicLink()) {
      const p = prefix + name;
      if (w.filter.matchesEntry(p, name)) {
        w.excluded++;
        continue;
      }
      const st = followLink(w, p);
      if (!st) continue;
      if (st.isDirectory()) {
        if (w.options.followSymlinkDirs === false) continue;
        dirs.push(name);
      } else if (st.isFile()) {
        files.push(name);
      } else warn(w, `${p}: symlink to a special file (FIFO, socket or device), skipped`);
    } else if (w.filter.matchesEntry(prefix + name, name)) {
      w.excluded++;
    } else {
      warn(w, `${prefix + name}: not a regular file (FIFO, socket or device), skipped`);
    }
  }
  const keptFiles = entriesKept(w, prefix, files);
  const keptDirs = entriesKept(w, prefix, dirs);
  // Files and directories merged in the order of the paths recorded under them ("a.txt" before
  // "a/x", "a/x" before "a0"), so that a walk records paths already sorted as the link lists them.
  let f = 0;
  for (const d of keptDirs) {
    const under = `${d}/`;
    while (f < keptFiles.length && compareCodePoints(keptFiles[f], under) < 0)
      addFile(w, keptFiles[f++]);
    await walkSubdir(w, d, ancestors);
  }
  while (f < keptFiles.length) addFile(w, keptFiles[f++]);
}

async function walkSubdir(w: Walk, d: string, ancestors: Set<string>): Promise<void> {
  const st = statSync(fsPath(w, d), { throwIfNoEntry: false });
  if (!st) throw new RecordError(`${d} vanished while it was being recorded`, { where: d });
  const id = `${st.dev}:${st.ino}`;
  if (ancestors.has(id)) {
    warn(w, `${d}: symlink loop (a directory containing itself), not followed again`);
    return;
  }
  ancestors.add(id);
  await walkDir(w, d, ancestors);
  ancestors.delete(id);
}

/**
 * Hashes the given files and directories as the reference's in-toto-run would record them.
 * @throws RecordError (unreadable file, lstrip conflicts, a base path that is not a directory)
 */
export async function recordArtifacts(
  paths: readonly string[],
  options: RecordOptions = {}
): Promise<RecordResult> {
  const excludePatterns = options.excludeNothing
    ? []
    : options.excludePatterns?.length
      ? [...options.excludePatterns]
      : [...DEFAULT_EXCLUDE_PATTERNS];
  const algorithms = options.hashAlgorithms ?? ['sha256'];
  checkAlgorithms(algorithms);
  const warnings: string[] = [];
  if (paths.length === 0) return new Recorded(SortedDict.of([], []), 0, excludePatterns, warnings);

  const base = resolve(options.basePath ?? '.');
  let baseReal: string;
  try {
    baseReal = realpathSync(base);
    if (!statSync(baseReal).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new RecordError(
      `cannot use ${options.basePath ?? base} as base path: ${(err as { code?: string }).code ?? (err as Error).message}`
    );
  }
  const prefixes = options.lstripPaths ?? [];
  for (let i = 0; i < prefixes.length; i++) {
    for (let j = i + 1; j < prefixes.length; j++) {
      const [a, b] = [prefixes[i], prefixes[j]];
      if (a.startsWith(b) || b.startsWith(a)) {
        throw new RecordError(
          `--lstrip-paths ${JSON.stringify(a)} and ${JSON.stringify(b)} overlap (one is a prefix of the other)`,
          {
            hint: 'give prefixes that do not overlap',
          }
        );
      }
    }
  }
  const plain = paths.filter((p) => schemeOf(p) === undefined);
  const pool = new HashPool({
    algorithms,
    normalizeLineEndings: options.normalizeLineEndings,
    shortReadsEndFiles: shortReadsEndFiles(
      recordedRoots(base, baseReal, plain, options),
      currentMounts()
    ),
    concurrency: options.concurrency,
    onProgress: options.onProgress,
    onWarning: (m) => warn(w, m),
    // As fsPath: relative paths are opened under the base path.
    prefix: base.endsWith('/') ? base : `${base}/`,
  });
  const w: Walk = {
    pool,
    base,
    baseReal,
    filter: new ExcludeFilter(excludePatterns),
    options,
    warnings,
    excluded: 0,
    files: [],
    topLevel: 0,
    listed: 0,
  };

  // ITE-4: `dir:`, `git:` and `oci:` names are resolved, not walked, and recorded as given.
  const uris = paths.filter((p) => schemeOf(p) !== undefined);
  if (options.gitTrackedOnly) w.tracked = await gitTrackedFiles(base);
  try {
    await walkTopLevel(w, plain);
  } catch (err) {
    await pool.close(); // workers would otherwise keep the process alive
    throw err;
  }

  // The walk is done; hashing has been running on the workers meanwhile.
  const table = await pool.finish();
  const keys = w.files;
  // Digests stay raw bytes, written as hex by the encoders, unless something is added to them.
  if (!options.recordMode && uris.length === 0)
    return new Recorded(SortedDict.of(keys, table), w.excluded, excludePatterns, warnings);
  const values: HashDict[] = table.dicts();
  if (options.recordMode) {
    // After hashing, through symlinks like the content (a link's own mode means nothing on Linux).
    for (let i = 0; i < keys.length; i++) {
      const st = statSync(fsPath(w, pool.pathAt(i)), { throwIfNoEntry: false });
      if (st) values[i] = { ...values[i], mode: fileMode(st.mode) };
    }
  }
  if (uris.length > 0) {
    const at = new Map(keys.map((k, i) => [k, i]));
    for (const uri of uris) {
      const entries = await resolveArtifact(uri, {
        ...options,
        basePath: base,
        onWarning: (m) => warn(w, m),
      });
      for (const [key, hashes] of Object.entries(entries)) {
        // A file literally named like a resolved URI must not silently replace it (or be replaced).
        const i = at.get(key);
        if (i !== undefined && JSON.stringify(values[i]) !== JSON.stringify(hashes))
          throw new RecordError(`${JSON.stringify(key)} is both a file and a resolved ${uri}`, {
            hint: 'rename the file, or record the URI in another step',
          });
        if (i !== undefined) continue;
        at.set(key, keys.length);
        keys.push(key);
        values.push(hashes);
      }
    }
  }
  return new Recorded(SortedDict.of(keys, values), w.excluded, excludePatterns, warnings);
}

/** Top-level paths beyond which only their distinct parent directories are resolved. */
const ROOTS_RESOLVED_ONE_BY_ONE = 64;

/**
 * Real paths under which every file the recording can read lies: the base directory and each
 * top-level path (a symlink met in the walk is followed only to a target under one of these).
 * Paths that cannot be resolved are left out: the walk skips them too. With
 * `allowOutsideSymlinks` a link can lead anywhere, so the whole file system is the root.
 * Exported for tests.
 */
export function recordedRoots(
  base: string,
  baseReal: string,
  plain: readonly string[],
  options: RecordOptions
): string[] {
  if (options.allowOutsideSymlinks) return ['/'];
  const roots = new Set([baseReal]);
  // A long list of files (`-m $(git ls-files)`): their directories, once each. A file among them
  // that is a mount point of its own is then beneath its directory's root, and checked as such.
  // The directory is the text before the last "/" when a name follows it (normalising that text
  // gives the directory the normalised path is in); a symlink there is followed only to a target
  // under baseReal. Cheap per path: a list of 100k files costs a Set of their directories.
  const many = plain.length > ROOTS_RESOLVED_ONE_BY_ONE;
  const targets = new Set<string>();
  let last = '';
  for (const p of plain) {
    const slash = many ? p.lastIndexOf('/') : -1;
    if (!many || !endsInName(p, slash)) {
      targets.add(p);
      continue;
    }
    // Listed files come grouped by directory: a new string only when the directory changes.
    if (slash === last.length && slash > 0 && p.startsWith(last)) continue;
    last = slash === -1 ? '.' : slash === 0 ? '/' : p.slice(0, slash);
    targets.add(last);
  }
  for (const t of targets) {
    // The path the walk opens (walkTopLevel, fsPath).
    const artifact = normpath(t);
    const abs = artifact.startsWith('/') ? artifact : `${base.replace(/\/$/, '')}/${artifact}`;
    try {
      roots.add(realpathSync.native(abs));
    } catch {
      // does not exist (or cannot be resolved): not recorded either
    }
  }
  return [...roots];
}

/** What follows the `/` at `slash` (-1: none) in `p` is a name: not empty, `.` or `..`. */
function endsInName(p: string, slash: number): boolean {
  const n = p.length - slash - 1;
  if (n === 0) return false;
  if (n > 2 || p.charCodeAt(slash + 1) !== 46) return true;
  return n === 2 && p.charCodeAt(slash + 2) !== 46;
}

/** `st_mode`'s low 12 bits as 4 octal digits: `0755`, `4755` (setuid). */
export function fileMode(stMode: number): string {
  return (stMode & 0o7777).toString(8).padStart(4, '0');
}

/** The given paths, normalised, filtered, then each hashed or walked (REFERENCE.md §3 steps 2–5). */
async function walkTopLevel(w: Walk, plain: readonly string[]): Promise<void> {
  for (const [i, artifact] of applyExcludes(w, plain.map(normpath), false).entries()) {
    if (i % 1024 === 1023) await w.pool.breathe();
    w.topLevel = i;
    const abs = fsPath(w, artifact);
    const lst = lstatSync(abs, { throwIfNoEntry: false });
    if (!lst) {
      warn(w, `${artifact}: does not exist, skipped`);
      continue;
    }
    const st = lst.isSymbolicLink() ? followLink(w, artifact) : lst;
    if (!st) continue;
    if (st.isFile()) addFile(w, artifact);
    else if (st.isDirectory()) {
      const ancestors = new Set([`${st.dev}:${st.ino}`]);
      w.topReal = realpathSync(abs);
      await walkDir(w, artifact, ancestors);
      w.topReal = undefined;
    } else warn(w, `${artifact}: not a regular file or directory, skipped`);
  }
}
