/**
 * File hashing on node:crypto — OpenSSL's SHA-2 is about 6× faster than pure-JS SHA-256 on this
 * machine — on a pool of worker threads, so every core hashes while the main thread walks the tree.
 * Small files cost one open, one read (two where a short read may come before the end: see
 * filesystems.ts) and a close; large ones are streamed through a reused 1 MiB buffer, so memory
 * stays bounded whatever the file size (a 1 GiB file hashes in < 150 MiB RSS).
 *
 * The worker's code is a self-contained script evaluated by `new Worker(code, {eval: true})`, built
 * from the very functions this thread uses, so the same code runs from `dist/` and from TypeScript
 * sources under vitest, and the in-thread fallback cannot drift from the workers.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DigestTable } from '../encoding/index.js';
import { RecordError } from '../errors.js';
import type { HashDict } from './types.js';

export type { HashDict } from './types.js';

export const SUPPORTED_HASH_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;

const CHUNK = 1 << 20;

/**
 * Line-ending normalisation as securesystemslib's `digest_fileobject` does it (`\r\n` → `\n`, then a
 * lone `\r` → `\n`; REFERENCE.md §1.7), fed chunk by chunk. A `\r` ending a chunk is held back until
 * the next chunk shows whether a `\n` follows, so chunk boundaries never change the digest.
 * Scans with `indexOf` and copies the runs between CRs into a reused buffer (no allocation per CR).
 */
function lineEndingNormalizer(): { push(chunk: Buffer): Buffer; end(): Buffer } {
  let pendingCR = false;
  let out = Buffer.alloc(0);
  return {
    push(chunk) {
      // One output buffer, reused: the caller hashes the result before pushing again.
      if (out.length < chunk.length + 1) out = Buffer.allocUnsafe(chunk.length + 1);
      let o = 0;
      let i = 0;
      if (pendingCR) {
        pendingCR = false;
        out[o++] = 10;
        if (chunk.length > 0 && chunk[0] === 10) i = 1;
      }
      for (;;) {
        const cr = chunk.indexOf(13, i);
        if (cr === -1) {
          o += chunk.copy(out, o, i);
          break;
        }
        o += chunk.copy(out, o, i, cr);
        if (cr + 1 === chunk.length) {
          pendingCR = true;
          break;
        }
        out[o++] = 10;
        i = chunk[cr + 1] === 10 ? cr + 2 : cr + 1;
      }
      return out.subarray(0, o);
    },
    end() {
      const tail = pendingCR ? Buffer.from([10]) : Buffer.alloc(0);
      pendingCR = false;
      return tail;
    },
  };
}

interface HashOutcome {
  /** Bytes read from the file (before normalisation). */
  bytes: number;
  /** Size or modification time differed before and after reading, or the read count differed. */
  changed: boolean;
}

/**
 * Hashes one open file into `out` at `at`: each algorithm's raw digest in turn (see {@link
 * DigestTable}). Shared verbatim with the worker script (see WORKER_SOURCE): it may use only its
 * parameters, `Buffer` and `lineEndingNormalizer`.
 *
 * A file that fits the buffer costs two reads: the second must find end of file, so a short first
 * read is never taken for the whole file (procfs and the like return short reads before the end).
 * That replaced an fstat per file, which cost ~4.5 µs here, mostly Node building a Stats object and
 * four Dates (about a sixth of hashing 20k small files). A file that needs more reads is fstat'ed
 * after the first and after the last: size and mtime must not have moved, and the bytes read must
 * be the size, else its digest describes no real state of it (`changed`). A file that grew between
 * the two reads of the short path is `changed` too. A same-size rewrite racing one read is the case
 * left, and mtime granularity would hide it from an fstat as well.
 *
 * The first read is the only one for an empty file (a read that returns nothing is the end on any
 * filesystem), and for every small file where the caller knows that a short read is the end
 * (`shortReadEnds`: local disk and memory filesystems, see filesystems.ts).
 */
function hashOpenFile(
  fs: { readSync: typeof readSync; fstatSync: typeof fstatSync },
  crypto: { createHash: typeof createHash; hash?: typeof nodeCrypto.hash },
  fd: number,
  algorithms: readonly string[],
  normalize: boolean,
  shortReadEnds: boolean,
  buffer: Buffer,
  out: Buffer,
  at: number
): HashOutcome {
  let total = fs.readSync(fd, buffer, 0, buffer.length, null);
  if (total < buffer.length) {
    if (!shortReadEnds && total > 0) {
      // The rest of the buffer takes the check read: any byte there means the file did not end.
      const more = fs.readSync(fd, buffer, total, buffer.length - total, null);
      if (more !== 0) return { bytes: total + more, changed: true };
    }
    const data = buffer.subarray(0, total);
    if (!normalize && crypto.hash) {
      // One-shot hashing skips a Hash object per file and algorithm. Digests come as 'binary'
      // (latin1) strings, one character a byte, written into the table: a Buffer per digest cost
      // ~1 µs more (an ArrayBuffer allocated, and later collected, for 32 bytes).
      for (const a of algorithms) at += out.write(crypto.hash(a, data, 'binary'), at, 'binary');
    } else {
      const normalizer = normalize ? lineEndingNormalizer() : undefined;
      const all = normalizer ? Buffer.concat([normalizer.push(data), normalizer.end()]) : data;
      for (const a of algorithms)
        at += out.write(crypto.createHash(a).update(all).digest('binary'), at, 'binary');
    }
    return { bytes: total, changed: false };
  }
  const before = fs.fstatSync(fd);
  const hashes = algorithms.map((a) => crypto.createHash(a));
  const normalizer = normalize ? lineEndingNormalizer() : undefined;
  for (let n = total; n > 0;) {
    const chunk = buffer.subarray(0, n);
    const data = normalizer ? normalizer.push(chunk) : chunk;
    for (const h of hashes) h.update(data);
    n = fs.readSync(fd, buffer, 0, buffer.length, null);
    total += n;
  }
  if (normalizer) {
    const tail = normalizer.end();
    for (const h of hashes) h.update(tail);
  }
  for (const h of hashes) at += out.write(h.digest('binary'), at, 'binary');
  const after = fs.fstatSync(fd);
  const changed =
    total !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs;
  return { bytes: total, changed };
}

type JobResult = HashOutcome | { error: string; code: string };

function failure(err: unknown): JobResult {
  const e = err as { code?: string; message?: string };
  return { error: e.message ?? String(err), code: e.code ?? 'EIO' };
}

function hashPathSync(
  path: string,
  algorithms: readonly string[],
  normalize: boolean,
  shortReadEnds: boolean,
  buffer: Buffer,
  out: Buffer,
  at: number
): JobResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return failure(err);
  }
  try {
    return hashOpenFile(
      { readSync, fstatSync },
      nodeCrypto,
      fd,
      algorithms,
      normalize,
      shortReadEnds,
      buffer,
      out,
      at
    );
  } catch (err) {
    return failure(err);
  } finally {
    closeSync(fd);
  }
}

/**
 * The worker: every batch of paths is broadcast to every worker, and a worker claims the next
 * unclaimed batch with an atomic increment on a shared counter (slot 0 = next batch to claim,
 * slot 1 = batches posted). Workers thus balance among themselves without a round trip to the main
 * thread, which may be busy walking or descheduled on a loaded machine. The first message says what
 * to hash with and where the results go (a worker may be started before that is known, see
 * {@link prestartHashWorkers}). A batch claimed before its
 * message arrived is hashed as soon as it does (messages arrive in posting order). Digests go
 * straight into the shared table at the file's index (see {@link DigestTable}); the batch's reply
 * carries only its byte count and its rare failures (see {@link BatchDone}).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
${lineEndingNormalizer.toString()}
const hashOpenFile = ${hashOpenFile.toString()};
const buffer = Buffer.allocUnsafe(${CHUNK});
let shared, table, stride, algorithms, normalize, shortReadEnds, prefix, counters, out;
const batches = new Map();
let awaited = -1;
function hash(path, index) {
  let fd;
  try { fd = fs.openSync(path.charCodeAt(0) === 47 ? path : prefix + path, 'r'); } catch (e) { return { error: e.message, code: e.code || 'EIO' }; }
  try { return hashOpenFile(fs, crypto, fd, algorithms, normalize, shortReadEnds, buffer, out, index * stride); }
  catch (e) { return { error: e.message, code: e.code || 'EIO' }; }
  finally { fs.closeSync(fd); }
}
function run(id) {
  const { start, paths } = batches.get(id);
  batches.delete(id);
  // A view of the table as it is now, which covers this batch (posted after the table grew).
  out = Buffer.from(table);
  let bytes = 0;
  const odd = [];
  for (let k = 0; k < paths.length; k++) {
    const r = hash(paths[k], start + k);
    bytes += r.bytes || 0;
    if (r.error !== undefined || r.changed) odd.push(k, r);
  }
  parentPort.postMessage({ id, bytes, odd });
}
function pump() {
  while (awaited === -1) {
    const next = Atomics.load(counters, 0);
    for (const id of batches.keys()) if (id < next) batches.delete(id);
    if (next >= Atomics.load(counters, 1)) return;
    if (Atomics.compareExchange(counters, 0, next, next + 1) !== next) continue;
    if (batches.has(next)) run(next); else awaited = next;
  }
}
parentPort.on('message', (msg) => {
  if (msg.init) {
    ({ shared, table, stride, algorithms, normalize, shortReadEnds, prefix } = msg.init);
    counters = new Int32Array(shared);
    return;
  }
  batches.set(msg.id, msg);
  if (msg.id === awaited) { awaited = -1; run(msg.id); }
  pump();
});
`;

/**
 * A worker's reply for one batch, whose digests are in the shared table already: the bytes read
 * (for progress) and the rare failures as `[index in batch, result]` pairs.
 */
interface BatchDone {
  id: number;
  bytes: number;
  odd: (number | JobResult)[];
}

/** Raw digest bytes per algorithm. */
const DIGEST_BYTES: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Progress: files hashed, files found so far (the walk and the hashing overlap), bytes hashed. */
export type ProgressCallback = (filesDone: number, filesTotal: number, bytesDone: number) => void;

export interface HashOptions {
  algorithms?: readonly string[];
  normalizeLineEndings?: boolean;
  /**
   * Worker threads. Default: available parallelism − 1, because this thread hashes too once the
   * walk is over (so every core hashes, none oversubscribed). 0 = this thread only.
   */
  concurrency?: number;
  /** Called at most every 100 ms, and once at the end. */
  onProgress?: ProgressCallback;
  /**
   * Prepended to each relative path to open it (a directory, with its trailing `/`): the paths
   * are then kept, sent to workers and named in errors as given, and the full ones exist only
   * while a file is opened (20k–100k long strings fewer to keep).
   */
  prefix?: string;
  /**
   * A read that returns fewer bytes than asked ends the file: true only when every file lies on a
   * filesystem where that holds (shortReadsEndFiles in filesystems.ts); it saves a read per
   * small file. Default false: each file is read until a read returns nothing, as the reference
   * reads it.
   */
  shortReadsEndFiles?: boolean;
  /** Told when worker threads cannot start and hashing falls back to this thread. */
  onWarning?: (message: string) => void;
  /**
   * Start the workers with the first file instead of when the work looks large, and leave all the
   * hashing to them (to exercise the worker path in tests and benchmarks).
   */
  eager?: boolean;
}

/** @throws RecordError naming the algorithm when it is not sha256, sha384 or sha512. */
export function checkAlgorithms(algorithms: readonly string[]): void {
  if (algorithms.length === 0)
    throw new RecordError('no hash algorithm given', { hint: 'use sha256 (the default)' });
  for (const a of algorithms) {
    if (!(SUPPORTED_HASH_ALGORITHMS as readonly string[]).includes(a)) {
      throw new RecordError(`unsupported hash algorithm ${JSON.stringify(a)}`, {
        hint: `use ${SUPPORTED_HASH_ALGORITHMS.join(', ')}`,
      });
    }
  }
}

/**
 * The algorithms in the order a digest table holds them: sorted, each once (a hash dict's keys).
 * @throws RecordError as {@link checkAlgorithms}
 */
function tableAlgorithms(algorithms: readonly string[]): string[] {
  checkAlgorithms(algorithms);
  return [...new Set(algorithms)].sort();
}

/**
 * The error for a path whose name is not UTF-8: a directory listing gives U+FFFD for its bad bytes,
 * and no file has that name. A link holds paths as UTF-8 text, so such a file cannot be recorded
 * (the reference stops on it too, with a UnicodeEncodeError).
 */
export function notUTF8(path: string): RecordError {
  return new RecordError(
    `cannot record ${path}: its name is not valid UTF-8 (shown here with \ufffd), and a link holds paths as UTF-8 text`,
    { where: path, hint: 'rename it, or leave it out with --exclude (a ? stands for each \ufffd)' }
  );
}

/** @throws RecordError when `r` is a failure: unreadable, or changed while hashed. */
function checkResult(path: string, r: JobResult): void {
  if ('error' in r && r.code === 'ENOENT') {
    // A name that is not UTF-8 (listed with U+FFFD): no file has the name the walk saw.
    if (path.includes('\ufffd')) throw notUTF8(path);
    throw new RecordError(`cannot read ${path}: no such file`, {
      where: path,
      hint: 'if it was there when recording began, something removed or renamed it meanwhile: record the step again once nothing changes its files',
    });
  }
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
}

/** Hashes one file in this thread. @throws RecordError (unreadable, changed while hashed) */
export function hashFileSync(
  path: string,
  algorithms: readonly string[] = ['sha256'],
  normalizeLineEndings = false
): HashDict {
  const algs = tableAlgorithms(algorithms);
  const widths = algs.map((a) => DIGEST_BYTES[a]);
  const out = Buffer.alloc(widths.reduce((x, y) => x + y, 0));
  checkResult(
    path,
    hashPathSync(path, algs, normalizeLineEndings, false, Buffer.allocUnsafe(CHUNK), out, 0)
  );
  return new DigestTable(algs, widths, out).dict(0);
}

/**
 * Hashes one file without blocking the event loop for long: reads go through libuv in 1 MiB chunks
 * and each chunk is hashed between them. Same checks as {@link hashFileSync}.
 * @throws RecordError (unreadable, changed while hashed, unsupported algorithm)
 */
export async function hashFile(
  path: string,
  algorithms: readonly string[] = ['sha256'],
  normalizeLineEndings = false
): Promise<HashDict> {
  checkAlgorithms(algorithms);
  let result: JobResult;
  const digests: HashDict = {};
  try {
    const fh = await open(path, 'r');
    try {
      const before = await fh.stat();
      const hashes = algorithms.map((a) => createHash(a));
      const normalizer = normalizeLineEndings ? lineEndingNormalizer() : undefined;
      const buffer = Buffer.allocUnsafe(CHUNK);
      let total = 0;
      let reads = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buffer, 0, CHUNK, null);
        reads++;
        if (bytesRead === 0) break;
        total += bytesRead;
        const chunk = buffer.subarray(0, bytesRead);
        const data = normalizer ? normalizer.push(chunk) : chunk;
        for (const h of hashes) h.update(data);
      }
      const tail = normalizer?.end();
      if (tail) for (const h of hashes) h.update(tail);
      const after = await fh.stat();
      algorithms.forEach((a, i) => (digests[a] = hashes[i].digest('hex')));
      result = {
        bytes: total,
        // As hashOpenFile: a file read whole by its first read (the second found the end) is a
        // snapshot; one that took more reads must have kept its size and mtime.
        changed:
          reads > 2 &&
          (total !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs),
      };
    } finally {
      await fh.close();
    }
  } catch (err) {
    result = failure(err);
  }
  checkResult(path, result);
  return digests;
}

/** Files per message to a worker: large enough that messaging is noise, small enough to balance. */
const BATCH = 128;
/**
 * When worker threads start. A worker costs ~40–80 ms of CPU and as much latency (a Node bootstrap),
 * the price of hashing ~100 MiB or ~3,000 small files here (~25 µs a file, ~1.4 GB/s). So during
 * the walk one starts once the queue holds many files or its sampled size is large; after the walk,
 * leftovers are hashed here unless they are big (measured) or this thread is still busy after a while.
 */
const START_FILES = 4096;
const START_BYTES = 192 << 20;
const SAMPLE_EVERY = 16;
const INLINE_BYTES = 128 << 20;
const INLINE_MS = 100;
const PROGRESS_INTERVAL_MS = 100;

/**
 * Hashes files as they are found: `add` queues a path (the walk calls it), batches go to worker
 * threads while the walk goes on, `finish` waits for all. Batches are claimed from a shared counter
 * by the workers and, once the walk is over, by this thread too (see WORKER_SOURCE), so uneven file
 * sizes cannot leave a core idle while work remains; the batches posted after the walk are smaller
 * so the last ones end together. Results keep the order of `add`.
 */
export class HashPool {
  readonly #algorithms: readonly string[];
  readonly #widths: readonly number[];
  /** Digest bytes a file. */
  readonly #stride: number;
  readonly #normalize: boolean;
  readonly #shortReadEnds: boolean;
  #threads: number;
  readonly #eager: boolean;
  readonly #onProgress: ProgressCallback | undefined;
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #paths: string[] = [];
  readonly #prefix: string;
  /**
   * The digests, `#stride` bytes a file by path index, in memory shared with the workers, which
   * write theirs in place. It grows as paths are added (pages are touched only when written).
   */
  readonly #table: GrowableShared;
  /** A Buffer view of the table as far as it has grown (made again when it grows). */
  #out: Buffer;
  /** Files that could not be hashed (their table rows mean nothing), by path index. */
  readonly #failures = new Map<number, JobResult>();
  /** Path index range of each posted batch: batch i is [#batchStart[i], #batchStart[i + 1] ?? #sent). */
  readonly #batchStart: number[] = [];
  #workers: Worker[] = [];
  #counters: Int32Array | undefined;
  #buffer: Buffer | undefined;
  #sampledBytes = 0;
  #sent = 0;
  #done = 0;
  #bytes = 0;
  #lastProgress = 0;
  #failure: Error | undefined;
  #settle: (() => void) | undefined;

  constructor(options: HashOptions = {}) {
    this.#algorithms = tableAlgorithms(options.algorithms ?? ['sha256']);
    this.#widths = this.#algorithms.map((a) => DIGEST_BYTES[a]);
    this.#stride = this.#widths.reduce((a, b) => a + b, 0);
    this.#normalize = options.normalizeLineEndings ?? false;
    this.#shortReadEnds = options.shortReadsEndFiles ?? false;
    this.#threads = options.concurrency ?? availableParallelism() - 1;
    this.#onProgress = options.onProgress;
    this.#onWarning = options.onWarning;
    this.#eager = options.eager ?? false;
    this.#prefix = options.prefix ?? '';
    this.#table = growableTable();
    this.#out = Buffer.from(this.#table);
  }

  /** The path to open for a queued one. */
  #open(path: string): string {
    return path.charCodeAt(0) === 47 ? path : this.#prefix + path;
  }

  get size(): number {
    return this.#paths.length;
  }

  /** The path queued at `index`, as given to {@link add}. */
  pathAt(index: number): string {
    return this.#paths[index];
  }

  add(path: string): number {
    const n = this.#paths.push(path);
    const table = this.#table;
    if (n * this.#stride > table.byteLength) {
      if (n * this.#stride > table.maxByteLength)
        throw new RecordError(`too many files to record at once (${n})`, {
          hint: 'record the tree in parts, in several steps',
        });
      table.grow(Math.min(table.maxByteLength, Math.max(2 * table.byteLength, 64 << 10)));
      this.#out = Buffer.from(table);
    }
    if (this.#threads === 0) return n - 1;
    if (this.#workers.length === 0) {
      // Workers already started cost nothing more: use them from the first file.
      if (prestarted.length > 0) this.#start();
      // A cheap estimate of the queued bytes: one stat per SAMPLE_EVERY files.
      else if (n % SAMPLE_EVERY === 1)
        this.#sampledBytes += statSync(this.#open(path), { throwIfNoEntry: false })?.size ?? 0;
      if (this.#eager || n >= START_FILES || this.#sampledBytes * SAMPLE_EVERY >= START_BYTES)
        this.#start();
    }
    if (this.#workers.length > 0)
      while (this.#paths.length - this.#sent >= BATCH) this.#post(BATCH);
    return n - 1;
  }

  /** Lets worker reports (and so progress callbacks) in during a long synchronous walk. */
  async breathe(): Promise<void> {
    if (this.#workers.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  #start(): void {
    const shared = new SharedArrayBuffer(8);
    const init = {
      shared,
      table: this.#table,
      stride: this.#stride,
      algorithms: this.#algorithms,
      normalize: this.#normalize,
      shortReadEnds: this.#shortReadEnds,
      prefix: this.#prefix,
    };
    try {
      for (let i = 0; i < this.#threads; i++) {
        const worker = prestarted.shift() ?? newHashWorker();
        worker.removeAllListeners();
        worker.ref(); // a prestarted one must keep the process alive now that it has work
        worker.postMessage({ init });
        worker.on('message', (msg: BatchDone) => this.#batchDone(msg));
        worker.on('error', (err) => {
          this.#failure ??= err;
          this.#settle?.();
        });
        this.#workers.push(worker);
      }
      this.#counters = new Int32Array(shared);
    } catch (err) {
      // Worker threads can be unavailable (resource limits, a locked-down runtime): hash here.
      void this.close();
      this.#threads = 0;
      this.#onWarning?.(
        `worker threads unavailable (${(err as Error).message}); hashing in one thread`
      );
    }
  }

  /** Broadcasts the next `size` queued paths as one batch; a worker claims it (WORKER_SOURCE). */
  #post(size: number): void {
    const id = this.#batchStart.length;
    const start = this.#sent;
    this.#batchStart.push(start);
    this.#sent += size;
    const paths = this.#paths.slice(start, start + size);
    for (const w of this.#workers) w.postMessage({ id, start, paths });
    Atomics.store(this.#counters!, 1, id + 1);
  }

  /** Claims the next unclaimed posted batch for this thread, or returns -1. */
  #claim(): number {
    const c = this.#counters!;
    for (;;) {
      const next = Atomics.load(c, 0);
      if (next >= Atomics.load(c, 1)) return -1;
      if (Atomics.compareExchange(c, 0, next, next + 1) === next) return next;
    }
  }

  /** One file hashed here, by path index: its digests are in the table, a failure is kept aside. */
  #hashHere(index: number): void {
    this.#buffer ??= Buffer.allocUnsafe(CHUNK);
    const r = hashPathSync(
      this.#open(this.#paths[index]),
      this.#algorithms,
      this.#normalize,
      this.#shortReadEnds,
      this.#buffer,
      this.#out,
      index * this.#stride
    );
    if ('bytes' in r) this.#bytes += r.bytes;
    if ('error' in r || r.changed) this.#failures.set(index, r);
  }

  /** A worker's batch is hashed (see {@link BatchDone}). */
  #batchDone(msg: BatchDone): void {
    const start = this.#batchStart[msg.id];
    for (let i = 0; i < msg.odd.length; i += 2)
      this.#failures.set(start + (msg.odd[i] as number), msg.odd[i + 1] as JobResult);
    this.#bytes += msg.bytes;
    this.#stored((this.#batchStart[msg.id + 1] ?? this.#sent) - start);
  }

  #stored(count: number): void {
    this.#done += count;
    this.#progress(false);
    if (this.#done === this.#paths.length && this.#sent === this.#paths.length) this.#settle?.();
  }

  #progress(final: boolean): void {
    if (!this.#onProgress) return;
    const now = Date.now();
    if (!final && now - this.#lastProgress < PROGRESS_INTERVAL_MS) return;
    this.#lastProgress = now;
    this.#onProgress(this.#done, this.#paths.length, this.#bytes);
  }

  /** The few files left without workers: worth starting them only if they are big. */
  #worthWorkers(): boolean {
    if (this.#threads < 1 || this.#paths.length - this.#sent < 2) return false;
    let bytes = 0;
    for (let i = this.#sent; i < this.#paths.length && bytes < INLINE_BYTES; i++)
      bytes += statSync(this.#open(this.#paths[i]), { throwIfNoEntry: false })?.size ?? 0;
    return bytes >= INLINE_BYTES;
  }

  /** Without workers: hashes here, and starts workers for the rest if that takes a while. */
  #hashInline(): void {
    const begin = Date.now();
    while (this.#sent < this.#paths.length) {
      if (
        this.#threads >= 1 &&
        this.#paths.length - this.#sent >= 2 &&
        Date.now() - begin > INLINE_MS
      ) {
        this.#start();
        if (this.#workers.length > 0) return;
      }
      this.#hashHere(this.#sent++);
      this.#done++;
      this.#progress(false);
    }
  }

  /**
   * Waits for every queued file; their digests by path index.
   * @throws RecordError for a file unreadable or changed while hashed.
   */
  async finish(): Promise<DigestTable> {
    try {
      if (this.#workers.length === 0 && this.#worthWorkers()) this.#start();
      if (this.#workers.length === 0) this.#hashInline();
      if (this.#workers.length > 0) {
        // The rest in smaller batches (about four per thread) so that all threads end together,
        // and this thread, done walking, hashes too instead of waiting.
        const threads = this.#workers.length + 1;
        const tail = Math.ceil((this.#paths.length - this.#sent) / (4 * threads));
        while (this.#sent < this.#paths.length)
          this.#post(Math.min(BATCH, Math.max(1, tail), this.#paths.length - this.#sent));
        for (
          let id = this.#eager ? -1 : this.#claim();
          id !== -1 && !this.#failure;
          id = this.#claim()
        ) {
          const start = this.#batchStart[id];
          const end = this.#batchStart[id + 1] ?? this.#sent;
          for (let i = start; i < end; i++) this.#hashHere(i);
          this.#stored(end - start);
        }
        if (!this.#failure && this.#done < this.#paths.length)
          await new Promise<void>((resolve) => (this.#settle = resolve));
      }
      if (this.#failure) throw this.#failure;
      this.#progress(true);
      if (this.#failures.size > 0) {
        // The first failing file in the order given, as if they had been hashed one by one.
        let first = Infinity;
        for (const i of this.#failures.keys()) first = Math.min(first, i);
        checkResult(this.#paths[first], this.#failures.get(first)!);
      }
      return new DigestTable(
        this.#algorithms,
        this.#widths,
        new Uint8Array(this.#table, 0, this.#paths.length * this.#stride)
      );
    } finally {
      // Not waited for: the workers have nothing left to do, and stop while the link is written.
      void this.close();
    }
  }

  /** Stops the workers without waiting for their results (also when the walk failed). */
  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function newHashWorker(): Worker {
  // The worker script is CommonJS: drop --input-type (`node --input-type=module -e …` would
  // otherwise make it an ES module, where `require` does not exist). The parent's other flags go
  // along, unless a worker refuses them: V8 and process-wide ones (`node --max-old-space-size=…`)
  // already apply to the whole process, and a worker started with them fails to start at all.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  try {
    return new Worker(WORKER_SOURCE, { eval: true, execArgv });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  }
}

/**
 * Workers started ahead of a {@link HashPool}, which takes them before starting its own. The list
 * is shared through the global registry so that the CLI's entry point can start one before it
 * loads this module (see {@link HASH_WORKER_SOURCE}).
 */
const prestarted: Worker[] = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('intoto.prestartedHashWorkers')
] ??= []) as Worker[];

/** The hashing worker's script (CommonJS), for a worker started before this module is loaded. */
export const HASH_WORKER_SOURCE = WORKER_SOURCE;

/**
 * Starts hashing workers now, so that their start-up (~50–80 ms: a Node bootstrap) overlaps
 * whatever comes before the first files are found — loading a key, say. The next {@link HashPool}
 * (recordArtifacts) takes them and hashes on them from its first file. Until then they keep nothing
 * alive: a process that ends without recording ends as if none were started. Without worker
 * threads (resource limits, a locked-down runtime) it does nothing.
 */
export function prestartHashWorkers(count = availableParallelism() - 1): void {
  try {
    while (prestarted.length < count) {
      const worker = newHashWorker();
      worker.unref();
      // One that fails before a pool takes it is dropped (the pool then starts its own).
      const drop = () => prestarted.splice(prestarted.indexOf(worker) >>> 0, 1);
      worker.once('error', drop).once('exit', drop);
      prestarted.push(worker);
    }
  } catch {
    // The pool starts its own, or hashes in one thread, and says why.
  }
}

/** A growable SharedArrayBuffer (ES2024, in Node since 20.0; not in this project's `lib`). */
interface GrowableShared extends SharedArrayBuffer {
  readonly maxByteLength: number;
  grow(byteLength: number): void;
}
const Growable = SharedArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number }
) => GrowableShared;

/**
 * Shared memory for a digest table that grows with the files found: address space is reserved
 * for up to 1 GiB (32M files at sha256), less where the system will not reserve that much.
 */
function growableTable(): GrowableShared {
  for (const max of [1 << 30, 64 << 20]) {
    try {
      return new Growable(0, { maxByteLength: max });
    } catch {
      // reserve less
    }
  }
  return new Growable(0, { maxByteLength: 4 << 20 });
}

/** Hashes many files, in order, on the worker pool. @throws RecordError */
export async function hashFiles(
  paths: readonly string[],
  options: HashOptions = {}
): Promise<HashDict[]> {
  const pool = new HashPool(options);
  for (const p of paths) pool.add(p);
  return (await pool.finish()).dicts();
}
