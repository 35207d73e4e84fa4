/**
 * Atomic file writes for links and layouts: write a temporary file in the destination directory,
 * fsync it, then rename over the target. A crash, a kill or a full disk never leaves a partial file,
 * and the previous file stays intact when the write fails.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the directory does not exist',
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
