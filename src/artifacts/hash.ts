/**
 * File hashing on node:crypto (OpenSSL's SHA-2 is about 6× faster than pure-JS SHA-256 here), on a
 * pool of worker threads so both cores hash while the main thread walks. Small files are read whole,
 * large ones streamed through a reused 1 MiB buffer (memory stays bounded whatever the file size).
 *
 * The worker's code is a self-contained script evaluated by `new Worker(code, {eval: true})`, so the
 * same code runs from `dist/` and from TypeScript sources under test.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RecordError } from '../errors.js';

export type HashDict = Record<string, string>;

export const SUPPORTED_HASH_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;

const CHUNK = 1 << 20;

/**
 * Hashes one open file. Shared verbatim with the worker script (see WORKER_SOURCE), so the two paths
 * cannot drift apart. Line-ending normalisation turns `\r\n` and lone `\r` into `\n` and is safe
 * across chunk boundaries (a `\r` ending one chunk is held until the next byte is seen).
 */
function hashOpenFile(
  fs: { readSync: typeof readSync; fstatSync: typeof fstatSync },
  crypto: { createHash: typeof createHash },
  fd: number,
  algorithms: readonly string[],
  normalize: boolean,
  buffer: Buffer
): { digests: Record<string, string>; changed: boolean } {
  const before = fs.fstatSync(fd);
  const hashes = algorithms.map((a) => crypto.createHash(a));
  let pendingCR = false;
  for (;;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    let chunk = buffer.subarray(0, n);
    if (normalize) {
      const out = Buffer.allocUnsafe(n + 1);
      let o = 0;
      let i = 0;
      if (pendingCR) {
        out[o++] = 10;
        if (chunk[0] === 10) i = 1;
        pendingCR = false;
      }
      for (; i < n; i++) {
        const c = chunk[i];
        if (c === 13) {
          if (i + 1 < n) {
            out[o++] = 10;
            if (chunk[i + 1] === 10) i++;
          } else pendingCR = true;
        } else out[o++] = c;
      }
      chunk = out.subarray(0, o);
    }
    for (const h of hashes) h.update(chunk);
  }
  if (pendingCR) for (const h of hashes) h.update(Buffer.from([10]));
  const after = fs.fstatSync(fd);
  const digests: Record<string, string> = {};
  algorithms.forEach((a, i) => (digests[a] = hashes[i].digest('hex')));
  return { digests, changed: before.size !== after.size || before.mtimeMs !== after.mtimeMs };
}

type JobResult = { digests: HashDict; changed: boolean } | { error: string; code: string };

function hashPathSync(
  path: string,
  algorithms: readonly string[],
  normalize: boolean,
  buffer: Buffer
): JobResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { error: e.message ?? String(err), code: e.code ?? 'EIO' };
  }
  try {
    return hashOpenFile({ readSync, fstatSync }, { createHash }, fd, algorithms, normalize, buffer);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { error: e.message ?? String(err), code: e.code ?? 'EIO' };
  } finally {
    closeSync(fd);
  }
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const hashOpenFile = ${hashOpenFile.toString()};
const buffer = Buffer.allocUnsafe(${CHUNK});
parentPort.on('message', (msg) => {
  const results = msg.paths.map((path) => {
    let fd;
    try { fd = fs.openSync(path, 'r'); } catch (e) { return { error: e.message, code: e.code || 'EIO' }; }
    try { return hashOpenFile(fs, crypto, fd, msg.algorithms, msg.normalize, buffer); }
    catch (e) { return { error: e.message, code: e.code || 'EIO' }; }
    finally { fs.closeSync(fd); }
  });
  parentPort.postMessage({ id: msg.id, results });
});
`;

export interface HashOptions {
  algorithms?: readonly string[];
  normalizeLineEndings?: boolean;
  /** Worker threads (default: available parallelism). 0 hashes in this thread. */
  concurrency?: number;
  onProgress?: (filesDone: number, bytesDone: number) => void;
}

export function checkAlgorithms(algorithms: readonly string[]): void {
  for (const a of algorithms) {
    if (!(SUPPORTED_HASH_ALGORITHMS as readonly string[]).includes(a)) {
      throw new RecordError(`unsupported hash algorithm ${JSON.stringify(a)}`, {
        hint: `use ${SUPPORTED_HASH_ALGORITHMS.join(', ')}`,
      });
    }
  }
}

function toDigests(path: string, r: JobResult): HashDict {
  if ('error' in r) {
    throw new RecordError(
      `cannot read ${path}: ${r.code === 'EACCES' ? 'permission denied' : r.error}`,
      {
        where: path,
        hint: 'fix the permissions or exclude the file with --exclude',
      }
    );
  }
  if (r.changed) {
    throw new RecordError(`${path} changed while it was being hashed`, {
      where: path,
      hint: 'record the step again once nothing writes to its files',
    });
  }
  return r.digests;
}

/** Hashes one file. @throws RecordError */
export function hashFileSync(
  path: string,
  algorithms: readonly string[] = ['sha256'],
  normalizeLineEndings = false
): HashDict {
  checkAlgorithms(algorithms);
  return toDigests(
    path,
    hashPathSync(path, algorithms, normalizeLineEndings, Buffer.allocUnsafe(CHUNK))
  );
}

/**
 * Hashes many files, in the given order; `sizes` (bytes, from the walk) balance the batches.
 * Few or small files are hashed in this thread: starting workers costs more than it saves there.
 * @throws RecordError for a file that cannot be read or that changed while hashed.
 */
export async function hashFiles(
  paths: readonly string[],
  sizes: readonly number[],
  options: HashOptions = {}
): Promise<HashDict[]> {
  const algorithms = options.algorithms ?? ['sha256'];
  checkAlgorithms(algorithms);
  const normalize = options.normalizeLineEndings ?? false;
  const total = sizes.reduce((a, b) => a + b, 0);
  const threads = options.concurrency ?? Math.max(1, availableParallelism());
  const results: HashDict[] = new Array<HashDict>(paths.length);
  let filesDone = 0;
  let bytesDone = 0;

  if (threads === 0 || paths.length < 64 || total < 4 * CHUNK) {
    const buffer = Buffer.allocUnsafe(CHUNK);
    paths.forEach((p, i) => {
      results[i] = toDigests(p, hashPathSync(p, algorithms, normalize, buffer));
      options.onProgress?.(++filesDone, (bytesDone += sizes[i] ?? 0));
    });
    return results;
  }

  // Batches of ~4 MiB or 256 files keep messages few and both workers busy to the end.
  const batches: { start: number; end: number; bytes: number }[] = [];
  for (let i = 0; i < paths.length;) {
    let bytes = 0;
    let j = i;
    while (j < paths.length && j - i < 256 && (bytes < 4 * CHUNK || j === i))
      bytes += sizes[j++] ?? 0;
    batches.push({ start: i, end: j, bytes });
    i = j;
  }
  const workers = Array.from(
    { length: Math.min(threads, batches.length) },
    () => new Worker(WORKER_SOURCE, { eval: true })
  );
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let current = -1;
            const send = (): void => {
              if (next >= batches.length) return resolve();
              current = next++;
              const b = batches[current];
              worker.postMessage({
                id: current,
                paths: paths.slice(b.start, b.end),
                algorithms,
                normalize,
              });
            };
            worker.on('message', (msg: { id: number; results: JobResult[] }) => {
              const b = batches[msg.id];
              try {
                msg.results.forEach(
                  (r, k) => (results[b.start + k] = toDigests(paths[b.start + k], r))
                );
              } catch (err) {
                reject(err instanceof Error ? err : new Error(String(err)));
                return;
              }
              filesDone += b.end - b.start;
              bytesDone += b.bytes;
              options.onProgress?.(filesDone, bytesDone);
              send();
            });
            worker.on('error', reject);
            send();
          })
      )
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
