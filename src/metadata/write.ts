/**
 * Atomic file writes for links and layouts: write a temporary file in the destination directory,
 * fsync it, then rename over the target. A crash, a kill or a full disk never leaves a partial file,
 * and the previous file stays intact when the write fails.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
};

/**
 * What a file is written from: text, bytes, or a function handing `write` the bytes in chunks (a
 * large link, never held whole). Whatever that function throws leaves no file and is rethrown.
 */
export type FileContent = string | Uint8Array | ((write: (chunk: Uint8Array) => void) => void);

export function writeFileAtomic(path: string, data: FileContent, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    const out = (fd = openSync(tmp, 'wx', mode));
    const write = (buf: Uint8Array): void => {
      for (let off = 0; off < buf.length;) off += writeSync(out, buf, off, buf.length - off);
    };
    if (typeof data === 'function') data(write);
    else write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    // What the content function threw (an encoding error, say) is not a failure to write.
    if (!(err instanceof Error && 'syscall' in err)) throw err;
    const code = (err as { code?: string }).code ?? '';
    throw new InputError(
      `cannot write ${path}: ${REASONS[code] ?? code ?? String(err)}${code === 'ENOSPC' || code === 'EACCES' ? ' (the previous file, if any, is unchanged)' : ''}`,
      {
        cause: err,
        where: path,
      }
    );
  }
}

/**
 * Makes sure `dir` is a directory, creating it and its missing parents one at a time. Node's
 * `mkdirSync(dir, { recursive: true })` never returns where a parent exists but refuses children
 * with ENOENT (`/proc/x`): it creates the parent again and retries forever.
 * @throws InputError naming the directory and why it cannot be made
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ;) {
    const kind = kindOf(d);
    if (kind === 'directory') break;
    if (kind === 'other')
      throw new InputError(`cannot create the directory ${dir}: ${d} is not a directory`, {
        where: d,
        hint: 'choose another directory (-d)',
      });
    missing.push(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code === 'EEXIST' && kindOf(d) === 'directory') continue;
      throw new InputError(
        `cannot create the directory ${dir}: ${code === 'ENOENT' ? `${dirname(d)} takes no new directories` : (REASONS[code] ?? code)}`,
        { cause: err, where: d, hint: 'choose a directory you can write to (-d)' }
      );
    }
  }
}

/**
 * {@link ensureDirectory}, then checks that files can be made in it: before a step runs, so that a
 * link that could not be written does not cost the step's work.
 * @throws InputError naming the directory and why
 */
export function ensureWritableDirectory(dir: string): void {
  ensureDirectory(dir);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    throw new InputError(`cannot write links to ${dir}: ${REASONS[code] ?? code}`, {
      cause: err,
      where: dir,
      hint: 'choose a directory you can write to (-d)',
    });
  }
}

/** What is at `path`: a directory (followed through symlinks), something else, or nothing. */
function kindOf(path: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch (err) {
    // ENOTDIR: a parent is a file, found as 'other' on the way up.
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw new InputError(`cannot read ${path}: ${REASONS[code ?? ''] ?? code}`, {
      cause: err,
      where: path,
    });
  }
}
