/**
 * Printing for the CLI: errors, warnings and colours. The library never prints; everything a person
 * sees passes through here. Colours are off with NO_COLOR or when the stream is not a TTY (chalk).
 */
import chalk, { Chalk } from 'chalk';

const errChalk = new Chalk({
  level: process.stderr.isTTY && !process.env.NO_COLOR ? chalk.level : 0,
});
const outChalk = new Chalk({
  level: process.stdout.isTTY && !process.env.NO_COLOR ? chalk.level : 0,
});
export { errChalk, outChalk };

let quiet = false;
export function setQuiet(value: boolean): void {
  quiet = value;
}

export function warn(message: string): void {
  if (!quiet) process.stderr.write(`${errChalk.yellow('warning:')} ${message}\n`);
}

export function info(message: string): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  hint?: string;
}

/** Verification failures (exit 1) are the VerificationError family; the library marks them by class. */
function isVerificationFailure(err: unknown): boolean {
  for (let p: unknown = err; p && typeof p === 'object'; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'VerificationError')
      return true;
  }
  return false;
}

function isLibraryError(err: unknown): boolean {
  for (let p: unknown = err; p && typeof p === 'object'; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'InTotoError') return true;
  }
  return false;
}

const NODE_FS_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

/** Prints an error in one or two lines and returns its exit code (1 or 2). */
export function reportError(err: unknown): number {
  const e = (err ?? {}) as ErrorLike & { path?: string; syscall?: string };
  if (isLibraryError(err)) {
    const failed = isVerificationFailure(err);
    process.stderr.write(`${errChalk.red(failed ? 'FAILED:' : 'error:')} ${e.message}\n`);
    if (e.hint) process.stderr.write(`  ${errChalk.dim('hint:')} ${e.hint}\n`);
    return failed ? 1 : 2;
  }
  if (e.name === 'UsageError') {
    process.stderr.write(`${errChalk.red('error:')} ${e.message}\n`);
    if (e.hint) process.stderr.write(`  ${errChalk.dim('hint:')} ${e.hint}\n`);
    return 2;
  }
  if (e.code && NODE_FS_CODES[e.code] && typeof e.path === 'string') {
    process.stderr.write(`${errChalk.red('error:')} ${e.path}: ${NODE_FS_CODES[e.code]}\n`);
    return 2;
  }
  // Not one of ours: a bug. Say so in one line, with the detail only on request.
  process.stderr.write(`${errChalk.red('internal error:')} ${e.message ?? String(err)}\n`);
  process.stderr.write(
    `  this is a bug in intoto; rerun with INTOTO_DEBUG=1 for details and report it\n`
  );
  if (process.env.INTOTO_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  return 2;
}
