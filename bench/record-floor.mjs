// The least any recorder written for Node must do to record a tree: start Node, walk the tree, and
// open, read, hash (SHA-256, OpenSSL) and close every file on both cores (this thread and one
// worker, half of the files each). No excludes, no link, no signature. bench/hash.mjs times it next
// to intoto and the reference: when this floor is slower than a target, no Node implementation can
// meet that target on the machine.
// Usage: node bench/record-floor.mjs TREE
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { createHash, hash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const HASHER = `
const { closeSync, openSync, readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const buf = Buffer.allocUnsafe(1 << 20);
let out = '';
for (const p of workerData) {
  const fd = openSync(p, 'r');
  const h = createHash('sha256');
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  closeSync(fd);
  out += h.digest('hex');
}
parentPort.postMessage(out.length);
`;

const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) files.push(p);
  }
})(process.argv[2]);
const half = files.length >> 1;
const worker = new Worker(HASHER, { eval: true, workerData: files.slice(half) });
const done = new Promise((resolve) => worker.once('message', resolve));
const buf = Buffer.allocUnsafe(1 << 20);
let out = '';
for (const p of files.slice(0, half)) {
  const fd = openSync(p, 'r');
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n < buf.length) out += hash('sha256', buf.subarray(0, n), 'hex');
  else {
    const h = createHash('sha256').update(buf);
    for (let m; (m = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, m));
    out += h.digest('hex');
  }
  closeSync(fd);
}
await done;
await worker.terminate();
