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
 * cannot drift apart. A short read means end of file, so a small file costs one fstat and one read.
 * The size seen by fstat before reading must equal the bytes read, or the file changed while it was
 * being hashed. Line-ending normalisation turns `\r\n` and lone `\r` into `\n` and is safe across
 * chunk boundaries (a `\r` ending one chunk is held until the next byte is seen).
 */
function hashOpenFile(
  fs: { readSync: typeof readSync; fstatSync: typeof fstatSync },
  crypto: { createHash: typeof createHash },
  fd: number,
  algorithms: readonly string[],
  normalize: boolean,
  buffer: Buffer
): { digests: Record<string, string>; changed: boolean } {
  const size = fs.fstatSync(fd).size;
  const hashes = algorithms.map((a) => crypto.createHash(a));
  let pendingCR = false;
  let total = 0;
  for (;;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    total += n;
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
    if (n < buffer.length) break;
  }
  if (pendingCR) for (const h of hashes) h.update(Buffer.from([10]));
  const digests: Record<string, string> = {};
  algorithms.forEach((a, i) => (digests[a] = hashes[i].digest('hex')));
  return { digests, changed: total !== size };
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
  onProgress?: (filesDone: number, filesFound: number) => void;
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

const BATCH = 128;

/**
 * Hashes files as they are found: `add` queues a path (the walk calls it), batches go to worker
 * threads while the walk goes on, `finish` waits for all. Until a first full batch exists no worker
 * is started, so a small recording is hashed in this thread without the cost of starting workers.
 * Results keep the order of `add`.
 */
export class HashPool {
  readonly #algorithms: readonly string[];
  readonly #normalize: boolean;
  readonly #threads: number;
  readonly #onProgress: HashOptions['onProgress'];
  readonly #paths: string[] = [];
  readonly #results: (JobResult | undefined)[] = [];
  #workers: Worker[] = [];
  #pending: Promise<void>[] = [];
  readonly #callbacks = new Map<number, (results: JobResult[]) => void>();
  #next = 0;
  #sent = 0;
  #done = 0;
  #failure: Error | undefined;

  constructor(options: HashOptions = {}) {
    this.#algorithms = options.algorithms ?? ['sha256'];
    checkAlgorithms(this.#algorithms);
    this.#normalize = options.normalizeLineEndings ?? false;
    this.#threads = options.concurrency ?? Math.max(1, availableParallelism());
    this.#onProgress = options.onProgress;
  }

  get size(): number {
    return this.#paths.length;
  }

  add(path: string): number {
    this.#paths.push(path);
    if (this.#threads > 0 && this.#paths.length - this.#sent >= BATCH)
      this.#send(this.#paths.length);
    return this.#paths.length - 1;
  }

  #send(end: number): void {
    if (this.#workers.length === 0) {
      this.#workers = Array.from({ length: this.#threads }, () => {
        const w = new Worker(WORKER_SOURCE, { eval: true });
        w.on('message', (msg: { id: number; results: JobResult[] }) =>
          this.#callbacks.get(msg.id)?.(msg.results)
        );
        w.on('error', (err) => {
          this.#failure ??= err;
          for (const cb of this.#callbacks.values()) cb([]);
        });
        return w;
      });
    }
    const start = this.#sent;
    this.#sent = end;
    const worker = this.#workers[this.#next++ % this.#workers.length];
    const id = start;
    this.#pending.push(
      new Promise<void>((resolve) => {
        this.#callbacks.set(id, (results) => {
          this.#callbacks.delete(id);
          results.forEach((r, k) => (this.#results[start + k] = r));
          this.#done += results.length;
          this.#onProgress?.(this.#done, this.#paths.length);
          resolve();
        });
      })
    );
    worker.postMessage({
      id,
      paths: this.#paths.slice(start, end),
      algorithms: this.#algorithms,
      normalize: this.#normalize,
    });
  }

  /** Waits for every queued file. @throws RecordError for a file unreadable or changed while hashed. */
  async finish(): Promise<HashDict[]> {
    try {
      if (this.#workers.length === 0) {
        const buffer = Buffer.allocUnsafe(CHUNK);
        for (let i = this.#sent; i < this.#paths.length; i++) {
          this.#results[i] = hashPathSync(
            this.#paths[i],
            this.#algorithms,
            this.#normalize,
            buffer
          );
          this.#onProgress?.(++this.#done, this.#paths.length);
        }
      } else if (this.#sent < this.#paths.length) {
        this.#send(this.#paths.length);
      }
      await Promise.all(this.#pending);
      if (this.#failure) throw this.#failure;
      return this.#paths.map((p, i) => toDigests(p, this.#results[i]!));
    } finally {
      await Promise.all(this.#workers.map((w) => w.terminate()));
      this.#workers = [];
    }
  }
}

/** Hashes many files, in order. @throws RecordError */
export async function hashFiles(
  paths: readonly string[],
  options: HashOptions = {}
): Promise<HashDict[]> {
  const pool = new HashPool(options);
  for (const p of paths) pool.add(p);
  return pool.finish();
}
