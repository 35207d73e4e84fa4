// Shared helpers for the benchmarks: deterministic trees, timing, medians, Markdown tables.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT = join(ROOT, 'bench/out');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const HAVE_REFERENCE = existsSync('/usr/bin/in-toto-run');

export const TREES = {
  '1k': { files: 1_000, bytes: 20 * 2 ** 20 },
  '20k': { files: 20_000, bytes: 300 * 2 ** 20 },
  '100k': { files: 100_000, bytes: 1024 * 2 ** 20 },
};

/** A deterministic pseudo-random block to slice file contents from. */
function block(size) {
  const out = Buffer.alloc(size);
  let seed = Buffer.from('intoto-bench');
  for (let off = 0; off < size; off += 32) {
    seed = createHash('sha256').update(seed).digest();
    seed.copy(out, off);
  }
  return out;
}

/**
 * Builds (once; cached by a marker file) a tree of `files` files totalling about `bytes`: 100 files
 * per directory, two levels deep, sizes spread from empty to 64× the mean by a fixed sequence.
 */
export function makeTree(name) {
  const { files, bytes } = TREES[name];
  const dir = join(OUT, `tree-${name}`);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  const data = block(8 * 2 ** 20);
  const mean = bytes / files;
  const weights = [0, 0.1, 0.25, 0.5, 0.5, 1, 1, 1.5, 2, 3];
  const wsum = weights.reduce((a, b) => a + b, 0) / weights.length;
  let written = 0;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / 10_000)}`, `e${Math.floor(i / 100) % 100}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    // One file in 2,000 is large (a few MiB), as real trees have.
    let size = Math.round((mean * weights[i % weights.length]) / wsum);
    if (i % 2000 === 1999) size = Math.min(data.length, Math.round(mean * 200));
    const off = (i * 7919) % (data.length - size);
    writeFileSync(join(sub, `f${i}.bin`), data.subarray(off, off + size));
    written += size;
  }
  writeFileSync(marker, `${files} files, ${written} bytes\n`);
  return dir;
}

export function time(cmd, args, options = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    ...options,
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && !options.allowFail)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** Runs each contender `rounds` times, alternating, after one warm-up round; returns medians. */
export function race(contenders, rounds) {
  const times = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (const c of contenders) c.run();
  for (let r = 0; r < rounds; r++) for (const c of contenders) times[c.name].push(c.run());
  return Object.fromEntries(contenders.map((c) => [c.name, median(times[c.name])]));
}
