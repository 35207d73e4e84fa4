/**
 * Hashing: line-ending normalisation across chunk boundaries (against securesystemslib), the worker
 * pool (from TypeScript here and from compiled dist/ in a child), progress, bounded memory, files
 * that change while hashed or cannot be read, and the algorithm list.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  hashFile,
  hashFileSync,
  hashFiles,
  recordArtifacts,
  RecordError,
  SUPPORTED_HASH_ALGORITHMS,
} from '../../src/index.js';
import { requireReference } from '../helpers/cli.js';
import { cases, ROOT, testdir, vector } from '../helpers/vectors.js';

const MiB = 1 << 20;
const DIST = join(ROOT, 'dist/index.js');

/** securesystemslib's digest_filename, the reference's hashing, for many files in one process. */
function referenceDigests(paths: string[], normalize: boolean): string[] {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      `import json,sys
from securesystemslib.hash import digest_filename
print(json.dumps([digest_filename(p, 'sha256', normalize_line_endings=${normalize ? 'True' : 'False'}).hexdigest() for p in json.load(sys.stdin)]))`,
    ],
    { input: JSON.stringify(paths), encoding: 'utf8', maxBuffer: 1 << 26 }
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

/** Runs a module script with node and returns its JSON output (compiled dist/ code, a fresh process). */
function node(script: string): unknown {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** Files whose CRs sit at the 1 MiB read boundary, and random CR/LF soup. */
function lineEndingFiles(): string[] {
  const a = (n: number): string => 'a'.repeat(n);
  const files: Record<string, string | Buffer> = {
    'crlf-across': `${a(MiB - 1)}\r\nb`,
    'cr-cr-across': `${a(MiB - 1)}\r\rb`,
    'cr-last-byte-of-chunk-and-file': `${a(MiB - 1)}\r`,
    'cr-at-two-boundaries': `${a(MiB - 1)}\r\n${a(MiB - 2)}\r\n`,
    'cr-cr-lf': 'x\r\r\ny\r\n\rz\r',
    'lone-cr': '\r',
    empty: '',
  };
  // CR/LF soup around the boundary, from a fixed seed (fast-check is too slow for MiB arrays).
  for (const [i, len] of [MiB - 1, MiB, MiB + 1, 2 * MiB + 7].entries()) {
    let x = 0x9e3779b9 + i;
    const bytes = Buffer.alloc(len);
    for (let k = 0; k < len; k++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      bytes[k] = [13, 10, 97, 13][x >>> 30];
    }
    files[`soup-${i}`] = bytes;
  }
  const dir = testdir(files);
  return Object.keys(files).map((f) => join(dir, f));
}

describe.runIf(requireReference())('line endings: the same digests as securesystemslib', () => {
  it('at chunk boundaries, in this thread, async, and on the workers', async () => {
    const paths = lineEndingFiles();
    for (const normalize of [true, false]) {
      const expected = referenceDigests(paths, normalize);
      const sync = paths.map((p) => hashFileSync(p, ['sha256'], normalize).sha256);
      const async = await Promise.all(
        paths.map(async (p) => (await hashFile(p, ['sha256'], normalize)).sha256)
      );
      const pooled = (
        await hashFiles(paths, { normalizeLineEndings: normalize, concurrency: 2, eager: true })
      ).map((d) => d.sha256);
      expect(sync, `normalize ${normalize}`).toEqual(expected);
      expect(async, `normalize ${normalize}`).toEqual(expected);
      expect(pooled, `normalize ${normalize}`).toEqual(expected);
    }
  });
});

describe('hash vectors (cases.json hashes) through hashFile', () => {
  for (const c of cases.hashes) {
    it(`${c.id}: every algorithm, async and on the workers`, async () => {
      const algs = ['sha256', 'sha384', 'sha512'].filter((a) => c[a]);
      const want = Object.fromEntries(algs.map((a) => [a, c[a]]));
      for (const f of c.files as string[]) {
        expect(await hashFile(vector(f), algs, c.normalize_line_endings)).toEqual(want);
      }
      const pooled = await hashFiles(
        (c.files as string[]).map((f) => vector(f)),
        { algorithms: algs, normalizeLineEndings: c.normalize_line_endings, eager: true }
      );
      for (const d of pooled) expect(d).toEqual(want);
    });
  }
});

describe('algorithms', () => {
  it('sha256 by default; sha384 and sha512 on request; anything else is a RecordError', async () => {
    const dir = testdir({ f: 'x' });
    const one = await recordArtifacts(['f'], { basePath: dir });
    expect(Object.keys(one.artifacts.f)).toEqual(['sha256']);
    const all = await recordArtifacts(['f'], {
      basePath: dir,
      hashAlgorithms: [...SUPPORTED_HASH_ALGORITHMS],
    });
    expect(Object.keys(all.artifacts.f)).toEqual(['sha256', 'sha384', 'sha512']);
    expect(all.artifacts.f.sha512).toMatch(/^[0-9a-f]{128}$/);
    for (const bad of [['md5'], ['sha1'], ['SHA256'], ['sha256', 'blake2b'], []]) {
      await expect(recordArtifacts(['f'], { basePath: dir, hashAlgorithms: bad })).rejects.toThrow(
        bad.length ? /unsupported hash algorithm/ : /no hash algorithm/
      );
      await expect(hashFile(join(dir, 'f'), bad)).rejects.toThrow(RecordError);
    }
  });
});

describe('the worker pool', () => {
  // More files than the pool's start threshold (4,096), so recordArtifacts uses a worker.
  const files: Record<string, string> = {};
  for (let i = 0; i < 4200; i++)
    files[`d${i % 13}/e${i % 5}/f${i}`] = 'x'.repeat((i * 131) % 3000) + '\r\n'.repeat(i % 5);
  files['big'] = 'y'.repeat(5 * MiB + 1);

  it('records exactly what one thread records, with progress throttled and complete', async () => {
    const dir = testdir(files);
    const total = Object.values(files).reduce((n, c) => n + c.length, 0);
    for (const normalizeLineEndings of [false, true]) {
      const calls: [number, number, number][] = [];
      const started = Date.now();
      const pooled = await recordArtifacts(['.'], {
        basePath: dir,
        normalizeLineEndings,
        hashAlgorithms: ['sha256', 'sha512'],
        onProgress: (...a) => calls.push(a),
      });
      const elapsed = Date.now() - started;
      const inline = await recordArtifacts(['.'], {
        basePath: dir,
        concurrency: 0,
        normalizeLineEndings,
        hashAlgorithms: ['sha256', 'sha512'],
      });
      expect(pooled.artifacts).toEqual(inline.artifacts);
      expect(Object.keys(pooled.artifacts)).toEqual(Object.keys(inline.artifacts));
      expect(Object.keys(pooled.artifacts)).toHaveLength(4201);
      // The last call reports everything; calls are ≥ 100 ms apart (plus the final one).
      expect(calls.at(-1)).toEqual([4201, 4201, total]);
      expect(calls.length).toBeLessThanOrEqual(elapsed / 100 + 2);
      for (let i = 1; i < calls.length; i++)
        expect(calls[i][0]).toBeGreaterThanOrEqual(calls[i - 1][0]);
    }
  });

  it('works from the compiled dist/ (the worker script is built at run time, not a file)', async () => {
    expect(existsSync(DIST), 'run npm run build first').toBe(true);
    const dir = testdir(files);
    const here = await recordArtifacts(['.'], { basePath: dir, concurrency: 0 });
    const there = node(
      `import { recordArtifacts, hashFiles } from ${JSON.stringify(DIST)};
const r = await recordArtifacts(['.'], { basePath: ${JSON.stringify(dir)}, concurrency: 2 });
const e = await hashFiles([${JSON.stringify(join(dir, 'big'))}], { eager: true });
console.log(JSON.stringify({ artifacts: r.artifacts, big: e[0] }));`
    ) as { artifacts: unknown; big: unknown };
    expect(there.artifacts).toEqual(here.artifacts);
    expect(there.big).toEqual(here.artifacts.big);
  });

  it('hashes a 300 MiB file in bounded memory (peak RSS of a child < 150 MiB)', () => {
    const dir = testdir();
    const big = join(dir, 'sparse.bin');
    closeSync(openSync(big, 'w'));
    truncateSync(big, 300 * MiB);
    writeFileSync(join(dir, 'other.bin'), 'z'.repeat(20 * MiB)); // two files ≥ 128 MiB: a worker starts
    const out = node(
      `import { recordArtifacts } from ${JSON.stringify(DIST)};
const r = await recordArtifacts(['.'], { basePath: ${JSON.stringify(dir)} });
console.log(JSON.stringify({ artifacts: r.artifacts, rssMiB: process.resourceUsage().maxRSS / 1024 }));`
    ) as { artifacts: Record<string, { sha256: string }>; rssMiB: number };
    // sha256 of 300 MiB of zeros.
    const zeros = spawnSync('sh', ['-c', `head -c ${300 * MiB} /dev/zero | sha256sum`], {
      encoding: 'utf8',
    }).stdout.split(' ')[0];
    expect(out.artifacts['sparse.bin'].sha256).toBe(zeros);
    expect(out.rssMiB).toBeLessThan(150);
  });
});

describe('files that change or cannot be read are errors naming the file', () => {
  it('a file growing while it is hashed', async () => {
    const dir = testdir();
    const f = join(dir, 'growing.bin');
    closeSync(openSync(f, 'w'));
    truncateSync(f, 256 * MiB);
    const writer = spawn('sh', ['-c', `while :; do printf x >> '${f}'; done`], { stdio: 'ignore' });
    try {
      const size = statSync(f).size;
      while (statSync(f).size === size) await new Promise((r) => setTimeout(r, 5));
      await expect(hashFile(f)).rejects.toThrow(/growing\.bin changed while it was being hashed/);
      await expect(recordArtifacts(['growing.bin'], { basePath: dir })).rejects.toThrow(
        /growing\.bin changed while it was being hashed/
      );
    } finally {
      writer.kill();
    }
  });

  it('a file whose size says nothing of its content (/proc) is hashed whole: a short read is not taken for the end', async () => {
    // st_size is 0 here: hashing must read to end of file, not trust the size or one short read.
    expect(statSync('/proc/self/cmdline').size).toBe(0);
    const want = createHash('sha256').update(readFileSync('/proc/self/cmdline')).digest('hex');
    expect(want).not.toBe(createHash('sha256').digest('hex'));
    expect(hashFileSync('/proc/self/cmdline').sha256).toBe(want);
    expect((await hashFile('/proc/self/cmdline')).sha256).toBe(want);
  });

  it('a read error (EIO from /proc/self/mem; chmod 000 does not stop root)', async () => {
    await expect(recordArtifacts(['mem'], { basePath: '/proc/self' })).rejects.toThrow(
      /cannot read .*mem/
    );
  });

  it.skipIf(process.getuid?.() === 0)(
    'a file without read permission (non-root only)',
    async () => {
      const dir = testdir({ secret: 'x' });
      spawnSync('chmod', ['000', join(dir, 'secret')]);
      await expect(recordArtifacts(['.'], { basePath: dir })).rejects.toThrow(/permission denied/);
    }
  );

  it('names that are not UTF-8 (file, directory, symlink): named, with what to do; --exclude leaves them out', async () => {
    const bad = (dir: string, name: string, byte: number) =>
      Buffer.concat([Buffer.from(`${dir}/${name}`), Buffer.from([byte])]);
    for (const kind of ['file', 'directory', 'symlink'] as const) {
      const dir = testdir({ 'ok.txt': 'ok' });
      if (kind === 'file') writeFileSync(bad(dir, 'bad', 0xff), 'x');
      if (kind === 'directory') {
        mkdirSync(bad(dir, 'bad', 0xff));
        writeFileSync(Buffer.concat([bad(dir, 'bad', 0xff), Buffer.from('/f')]), 'x');
      }
      if (kind === 'symlink') symlinkSync('ok.txt', bad(dir, 'bad', 0xff));
      const err = await recordArtifacts(['.'], { basePath: dir }).catch((e: unknown) => e);
      expect(err, kind).toBeInstanceOf(RecordError);
      expect((err as RecordError).message).toBe(
        'cannot record bad\ufffd: its name is not valid UTF-8 (shown here with \ufffd), and a link holds paths as UTF-8 text'
      );
      expect((err as RecordError).hint).toMatch(/rename it, or leave it out with --exclude/);
      const kept = await recordArtifacts(['.'], { basePath: dir, excludePatterns: ['bad?'] });
      expect(Object.keys(kept.artifacts), kind).toEqual(['ok.txt']);
      expect(kept.excludedCount, kind).toBe(1);
    }
    // A name that holds U+FFFD itself is a name like any other.
    const dir = testdir({ 'real\ufffd.txt': 'r' });
    expect(Object.keys((await recordArtifacts(['.'], { basePath: dir })).artifacts)).toEqual([
      'real\ufffd.txt',
    ]);
  });

  it('a file that vanishes between the walk and its hashing', async () => {
    const dir = testdir({ 'a/victim': 'here during the walk', 'b/x': 'x' });
    spawnSync('ln', ['-s', 'nowhere', join(dir, 'b/broken')]);
    // b/broken is met after a/victim was queued (sorted walk); its warning removes a/victim.
    const onWarning = (): void => void spawnSync('rm', [join(dir, 'a/victim')]);
    const err = await recordArtifacts(['.'], { basePath: dir, onWarning }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordError);
    expect((err as RecordError).message).toBe('cannot read a/victim: no such file');
    expect((err as RecordError).hint).toMatch(
      /removed or renamed it meanwhile: record the step again/
    );
  });
});
