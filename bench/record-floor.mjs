// The least any recorder written for Node must do to record a tree: start Node, walk the tree, and
// open, read, hash (SHA-256, OpenSSL) and close every file on both cores. No excludes, no link, no
// signature. bench/hash.mjs times it next to intoto and the reference: when this floor is slower
// than a target, no Node implementation can meet that target on the machine.
//
// It is pipelined as well as we know how, so that it is a floor and not a strawman: the worker
// starts before the walk, and hashes batches of paths while this thread is still walking; once the
// walk is over, both threads claim the remaining batches from a shared counter until none is left.
// Each file costs one open, one read when it is smaller than the buffer (a short read ends a file
// on the local disk the trees are on, as intoto also relies on there) or reads until a read
// returns 0, and one close — no fstat.
// Usage: node bench/record-floor.mjs TREE
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { createHash, hash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

// Shared by both threads (inlined into the worker's source): hashes one batch, returns its hex.
function hashBatch(paths, buf, fs, crypto) {
  let out = '';
  for (const p of paths) {
    const fd = fs.openSync(p, 'r');
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n < buf.length) out += crypto.hash('sha256', buf.subarray(0, n), 'hex');
    else {
      const h = crypto.createHash('sha256').update(buf.subarray(0, n));
      for (let m; (m = fs.readSync(fd, buf, 0, buf.length, null)) > 0;)
        h.update(buf.subarray(0, m));
      out += h.digest('hex');
    }
    fs.closeSync(fd);
  }
  return out;
}

// Counters: [0] next batch to claim, [1] batches posted, [2] 1 once the walk is over.
const HASHER = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const hashBatch = ${hashBatch.toString()};
const c = new Int32Array(workerData);
const buf = Buffer.allocUnsafe(1 << 20);
const batches = [];
let hex = 0;
function pump() {
  for (;;) {
    const next = Atomics.load(c, 0);
    if (next >= batches.length) {
      if (Atomics.load(c, 2) === 1 && next >= Atomics.load(c, 1)) parentPort.postMessage(hex);
      return;
    }
    if (Atomics.compareExchange(c, 0, next, next + 1) === next) hex += hashBatch(batches[next], buf, fs, crypto).length;
  }
}
parentPort.on('message', (m) => { if (m) batches.push(m); pump(); });
`;

const BATCH = 256;
const shared = new SharedArrayBuffer(12);
const c = new Int32Array(shared);
const worker = new Worker(HASHER, { eval: true, workerData: shared });
const done = new Promise((resolve) => worker.once('message', resolve));
const batches = [];
let batch = [];
function post(b) {
  batches.push(b);
  worker.postMessage(b);
  Atomics.store(c, 1, batches.length);
}
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) {
      batch.push(p);
      if (batch.length === BATCH) {
        post(batch);
        batch = [];
      }
    }
  }
})(process.argv[2]);
// The rest in small batches, so that both threads end together.
for (let i = 0; i < batch.length; i += 16) post(batch.slice(i, i + 16));
Atomics.store(c, 2, 1);
worker.postMessage(null);
const buf = Buffer.allocUnsafe(1 << 20);
let hex = 0;
for (;;) {
  const next = Atomics.load(c, 0);
  if (next >= batches.length) break;
  if (Atomics.compareExchange(c, 0, next, next + 1) === next)
    hex += hashBatch(
      batches[next],
      buf,
      { openSync, readSync, closeSync },
      { hash, createHash }
    ).length;
}
await done;
await worker.terminate();
