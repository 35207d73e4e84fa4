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

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
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
