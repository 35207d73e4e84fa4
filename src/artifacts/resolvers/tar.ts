/**
 * A small reader for uncompressed tar archives (POSIX ustar, GNU long names, pax `path`), enough to
 * read `docker save` and OCI-archive tars in place: it lists entries with their offsets, and the
 * OCI resolver then reads or streams an entry straight from the file — an image is never loaded whole.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { RecordError } from '../../errors.js';

export interface TarEntry {
  name: string;
  /** '0' file, '2' symlink, '1' hard link, '5' directory, … */
  type: string;
  /** Where the entry's content starts in the archive, and its length. */
  offset: number;
  size: number;
  linkName: string;
}

const BLOCK = 512;
/** Entries beyond this are refused (an image has a handful; a hostile tar could have millions). */
const MAX_ENTRIES = 100_000;

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

function octal(block: Buffer, start: number, length: number, where: string): number {
  // GNU base-256 for sizes over 8 GiB: high bit of the first byte set.
  if (block[start] & 0x80) {
    let v = block[start] & 0x7f;
    for (let i = 1; i < length; i++) v = v * 256 + block[start + i];
    return v;
  }
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw new RecordError(`${where}: not a tar archive (bad number field)`);
  return parseInt(text, 8);
}

function checksumOK(block: Buffer): boolean {
  const stored = parseInt(field(block, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return stored === sum;
}

/** pax extended header records: "<len> key=value\n". */
function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const len = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    i += len;
  }
  return path;
}

/** A tar archive opened for random access. Close it with {@link TarArchive.close}. */
export class TarArchive {
  readonly entries = new Map<string, TarEntry>();
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.index();
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  private readAt(offset: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) throw new RecordError(`${this.path}: truncated tar archive`);
      got += n;
    }
    return buf;
  }

  private index(): void {
    let offset = 0;
    let longName: string | undefined;
    let zeroBlocks = 0;
    for (;;) {
      const block = Buffer.alloc(BLOCK);
      const n = readSync(this.fd, block, 0, BLOCK, offset);
      if (n === 0) break; // a tar without the two zero blocks: accept the end of file
      if (n < BLOCK) throw new RecordError(`${this.path}: truncated tar archive`);
      offset += BLOCK;
      if (block.every((b) => b === 0)) {
        if (++zeroBlocks === 2) break;
        continue;
      }
      zeroBlocks = 0;
      if (!checksumOK(block))
        throw new RecordError(
          `${this.path}: not a tar archive (header checksum wrong at ${offset - BLOCK})`
        );
      const size = octal(block, 124, 12, this.path);
      const type = String.fromCharCode(block[156] || 0x30);
      const dataOffset = offset;
      offset += Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'L') {
        longName = field(this.readAt(dataOffset, size), 0, size);
        continue;
      }
      if (type === 'x') {
        longName = paxPath(this.readAt(dataOffset, size)) ?? longName;
        continue;
      }
      if (type === 'g') continue;
      const prefix = field(block, 257, 6) === 'ustar' ? field(block, 345, 155) : '';
      const raw = longName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
      longName = undefined;
      const name = posix
        .normalize(raw)
        .replace(/^(\.\/)+/, '')
        .replace(/\/$/, '');
      if (this.entries.has(name))
        // Extraction would keep the last one and a reader might take the first: refuse the ambiguity.
        throw new RecordError(`${this.path}: the archive holds ${name} twice`);
      if (this.entries.size >= MAX_ENTRIES)
        throw new RecordError(`${this.path}: more than ${MAX_ENTRIES} entries in the archive`);
      this.entries.set(name, {
        name,
        type,
        offset: dataOffset,
        size,
        linkName: field(block, 157, 100),
      });
    }
  }

  /** The regular-file entry for `name`, following symlinks inside the archive (at most 8). */
  file(name: string): TarEntry | undefined {
    let current = posix.normalize(name);
    for (let hops = 0; hops < 8; hops++) {
      const e = this.entries.get(current);
      if (!e) return undefined;
      if (e.type === '0' || e.type === '\0' || e.type === '7') return e;
      if (e.type === '2') current = posix.normalize(posix.join(posix.dirname(current), e.linkName));
      else if (e.type === '1') current = posix.normalize(e.linkName);
      else return undefined;
    }
    return undefined;
  }

  /** The content of a (small) entry. */
  read(entry: TarEntry): Buffer {
    return this.readAt(entry.offset, entry.size);
  }

  /** Feeds the entry's content to `update` in chunks of at most 1 MiB. */
  stream(entry: TarEntry, update: (chunk: Buffer) => void): void {
    const buf = Buffer.alloc(Math.min(entry.size, 1 << 20));
    for (let done = 0; done < entry.size;) {
      const n = readSync(
        this.fd,
        buf,
        0,
        Math.min(buf.length, entry.size - done),
        entry.offset + done
      );
      if (n === 0) throw new RecordError(`${this.path}: truncated tar archive`);
      update(buf.subarray(0, n));
      done += n;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
