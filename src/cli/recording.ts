/** Flags shared by run, record and mock, and the progress/warning output while recording. */
import type { Command } from 'commander';
import type { RecordResult } from '../index.js';
import { info, warn } from './output.js';
import { collect, UsageErrorLike } from './usage.js';

export interface RecordingFlags {
  exclude?: string[];
  basePath?: string;
  lstripPaths?: string[];
  followSymlinkDirs?: boolean;
  normalizeLineEndings?: boolean;
  hashAlgorithms?: string;
  allowOutsideSymlinks?: boolean;
  ociBlobs?: boolean;
  gitTrackedOnly?: boolean;
  excludeNothing?: boolean;
  excludeOnlyLinks?: boolean;
  recordMode?: boolean;
}

export function addRecordingOptions(cmd: Command): Command {
  return cmd
    .option(
      '--exclude <patterns...>',
      'gitignore-style patterns to leave out (replace the defaults *.link*, .git, *.pyc, *~)'
    )
    .option('--base-path <dir>', 'record paths relative to this directory')
    .option('--lstrip-paths <prefixes...>', 'strip these prefixes from recorded paths')
    .option('--follow-symlink-dirs', 'walk symlinked directories (the default, as in-toto-run)')
    .option('--normalize-line-endings', 'hash files with CRLF and CR line endings as LF')
    .option('--hash-algorithms <list>', 'comma-separated: sha256 (default), sha384, sha512')
    .option(
      '--allow-outside-symlinks',
      'follow symlinks whose target is outside the recorded directory'
    )
    .option('--oci-blobs', 'with oci:PATH artifacts, also record every blob')
    .option('--git-tracked-only', 'record only files git tracks')
    .option(
      '--exclude-nothing',
      'apply no exclude pattern, not even the defaults (for verify --deny-excludes)'
    )
    .option(
      '--exclude-only-links',
      'exclude only our own link files (NAME.KEYID8.link), not the defaults (for verify --deny-excludes)'
    )
    .option(
      '--record-mode',
      "add each file's mode (e.g. 0755, 4755) to its hashes, so a changed mode fails a MATCH"
    );
}

export { collect };

/** A terminal-ish stream: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A progress line (`\r`, no dependency) on stderr, only on a terminal and only once the current
 * recording has taken over a second. `phase()` starts a new recording (materials, then products),
 * so a long command in between does not make a quick product recording show a bar at once.
 */
export function progressReporter(
  label: string,
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now
): {
  onProgress: (done: number, found: number) => void;
  phase: (name: string) => void;
  end: () => void;
} {
  let start = now();
  let what = label;
  let shown = false;
  let last = 0;
  const end = (): void => {
    if (shown) stream.write('\r\u001b[K');
    shown = false;
  };
  return {
    onProgress: (done, found) => {
      if (!stream.isTTY) return;
      const t = now();
      if (t - start < 1000 || t - last < 100) return;
      last = t;
      shown = true;
      stream.write(`\r${what}: ${done}/${found} files   `);
    },
    phase: (name) => {
      end();
      start = now();
      what = `${label} ${name}`;
    },
    end,
  };
}

export function recordingOptions(flags: RecordingFlags): {
  excludePatterns?: string[];
  basePath?: string;
  lstripPaths?: string[];
  normalizeLineEndings?: boolean;
  hashAlgorithms?: string[];
  allowOutsideSymlinks?: boolean;
  ociBlobs?: boolean;
  gitTrackedOnly?: boolean;
  excludeNothing?: boolean;
  excludeOnlyLinks?: boolean;
  recordMode?: boolean;
  onWarning: (m: string) => void;
} {
  const given = [
    flags.exclude?.length && '--exclude',
    flags.excludeNothing && '--exclude-nothing',
    flags.excludeOnlyLinks && '--exclude-only-links',
  ].filter(Boolean);
  if (given.length > 1) throw new UsageErrorLike(`${given.join(' and ')} cannot be combined`);
  return {
    excludePatterns: flags.exclude,
    basePath: flags.basePath,
    lstripPaths: flags.lstripPaths,
    normalizeLineEndings: flags.normalizeLineEndings,
    hashAlgorithms: flags.hashAlgorithms
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    allowOutsideSymlinks: flags.allowOutsideSymlinks,
    ociBlobs: flags.ociBlobs,
    gitTrackedOnly: flags.gitTrackedOnly,
    excludeNothing: flags.excludeNothing,
    excludeOnlyLinks: flags.excludeOnlyLinks,
    recordMode: flags.recordMode,
    onWarning: (m) => warn(m),
  };
}

/** One line about what the default patterns left out (the reference is silent about it). */
export function reportExcluded(flags: RecordingFlags, ...results: RecordResult[]): void {
  if (flags.exclude?.length || flags.excludeNothing || flags.excludeOnlyLinks) return;
  const n = results.reduce((a, r) => a + r.excludedCount, 0);
  if (n > 0)
    info(
      `excluded ${n} entr${n === 1 ? 'y' : 'ies'} by the default patterns *.link*, .git, *.pyc, *~ (pass --exclude to change)`
    );
}
