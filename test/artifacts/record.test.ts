import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import {
  recordArtifacts,
  normpath,
  ExcludeFilter,
  hashFileSync,
  RecordError,
  compareCodePoints,
  prestartHashWorkers,
} from '../../src/index.js';
import { requireReference } from '../helpers/cli.js';
import { CLI, cases, testdir, vector } from '../helpers/vectors.js';

const PY = '/usr/bin/python3';
const run = requireReference();

function python(script: string, input: unknown): unknown {
  const r = spawnSync(PY, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** A tree with every feature the reference's recorder meets in practice. */
function makeTree(): string {
  const root = testdir();
  const files: Record<string, string> = {
    'a.txt': 'a\n',
    empty: '',
    'crlf.txt': 'one\r\ntwo\r\n',
    '.hidden': 'h',
    'sub/b.txt': 'b',
    'sub/deeper/c.txt': 'c',
    'sub/deeper/.dot/d': 'd',
    'dir with space/é ü 😀.txt': 'unicode',
    'x.pyc': 'pyc',
    'backup~': 'tilde',
    'step.abcdef12.link': 'link',
    'sub/nested.link': 'link2',
    '.git/HEAD': 'ref',
    'sub/.git/config': 'cfg',
    'build/out.o': 'o',
    'build/keep.txt': 'k',
    'logs/x.log': 'l',
    'src/main.c': 'int main;',
    'src/lib/util.c': 'u',
    'src/lib/deep/more.c': 'm',
    'crlf-mixed.txt': 'a\r\r\nb\rc\n\r',
    'back\\slash.txt': 'backslash in a POSIX name',
    'sub/line\nbreak.pyc': 'a newline in a name ($ in Python regex)',
    'sub/line\nbreak.txt': 'kept',
    '1': 'an integer-like key',
  };
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
  symlinkSync('a.txt', join(root, 'link-to-a'));
  symlinkSync('sub', join(root, 'link-to-sub'));
  symlinkSync('does-not-exist', join(root, 'broken'));
  symlinkSync('../a.txt', join(root, 'build/to-a'));
  symlinkSync('lib', join(root, 'src/lib-link'));
  return root;
}

describe.runIf(run)('recording is path-for-path the reference (record_artifacts_as_dict)', () => {
  let root: string;
  beforeAll(() => {
    root = makeTree();
  });

  const variants: {
    name: string;
    paths: string[];
    exclude?: string[];
    lstrip?: string[];
    base_path?: string;
    normalize?: boolean;
  }[] = [
    { name: 'defaults, whole tree', paths: ['.'] },
    {
      name: 'explicit files and dirs, trailing slashes, ./ prefixes',
      paths: ['a.txt', './sub/', 'src//lib', 'missing', 'link-to-a', 'empty', 'x.pyc'],
    },
    { name: 'exclude replaces the defaults', paths: ['.'], exclude: ['*.txt'] },
    { name: 'negation', paths: ['.'], exclude: ['*.c', '!main.c'] },
    { name: 'anchored', paths: ['.'], exclude: ['/build', '/sub/b.txt'] },
    { name: 'directory pattern', paths: ['.'], exclude: ['lib/', 'logs/'] },
    { name: 'double star', paths: ['.'], exclude: ['src/**/*.c', '**/.git', '**/deeper'] },
    {
      name: 'character classes and ?',
      paths: ['.'],
      exclude: ['[ab].txt', '?.pyc', '[!s]*/keep.txt'],
    },
    { name: 'comments and escapes', paths: ['.'], exclude: ['#a.txt', '\\#x', 'backup\\~'] },
    { name: 'lstrip', paths: ['sub', 'src'], lstrip: ['sub/', 'src/lib'] },
    { name: 'lstrip without slash', paths: ['sub'], lstrip: ['sub'] },
    { name: 'base path', paths: ['.', 'deeper'], base_path: 'sub' },
    { name: 'base path with exclude', paths: ['.'], base_path: 'src', exclude: ['lib/deep'] },
    { name: 'dot and parent forms', paths: ['sub/../a.txt', 'sub/./b.txt', './src/../sub'] },
    {
      name: 'absolute paths, two and three leading slashes',
      paths: ['$ROOT/a.txt', '$ROOT/sub/', '/$ROOT/src', '//$ROOT/build'],
    },
    { name: 'parent paths from a base path', paths: ['../a.txt', '../src'], base_path: 'sub' },
    {
      name: 'duplicates and a symlinked directory with a slash',
      paths: ['a.txt', './a.txt', 'link-to-sub/', 'sub', 'src/lib-link'],
    },
    {
      name: 'negation cannot revive a file below an excluded directory',
      paths: ['.'],
      exclude: ['sub', '!sub/b.txt', '*.pyc', '!x.pyc'],
    },
    {
      name: 'double star inside and at the end, and a bare **/',
      paths: ['.', 'sub'],
      exclude: ['src/**/util.c', 'build/**', 'deeper/**/'],
    },
    { name: 'every path with a slash', paths: ['.'], exclude: ['**/'] },
    { name: 'lstrip on walked and given paths', paths: ['.'], lstrip: ['sub/', 'src/lib/'] },
    { name: 'line endings normalised', paths: ['.'], normalize: true },
  ];

  it('every variant records the same dict', async () => {
    const expected = python(
      `import runpy,sys; sys.argv=['x']; runpy.run_path(${JSON.stringify(join(__dirname, 'reference_record.py'))}, run_name='__main__')`,
      variants.map((v) => ({
        cwd: root,
        paths: v.paths.map((p) => p.replace('$ROOT', root)),
        exclude: v.exclude,
        lstrip: v.lstrip,
        base_path: v.base_path,
        normalize: v.normalize,
      }))
    ) as { artifacts?: Record<string, unknown>; error?: string }[];
    for (const [i, v] of variants.entries()) {
      const ours = await recordArtifacts(
        v.paths.map((p) => p.replace('$ROOT', root)),
        {
          basePath: v.base_path ? join(root, v.base_path) : root,
          excludePatterns: v.exclude,
          lstripPaths: v.lstrip,
          normalizeLineEndings: v.normalize,
        }
      );
      expect(expected[i].error, v.name).toBeUndefined();
      expect(ours.artifacts, v.name).toEqual(expected[i].artifacts);
      // In the order the reference writes them (sort_keys: by code point), straight from the walk.
      expect(ours.sorted.keys, v.name).toEqual(
        Object.keys(expected[i].artifacts!).sort(compareCodePoints)
      );
      expect(Object.keys(ours.artifacts).length, v.name).toBeGreaterThan(0);
    }
  });

  it('lstrip collisions and overlapping prefixes are errors in both', async () => {
    const expected = python(
      `import runpy,sys; runpy.run_path(${JSON.stringify(join(__dirname, 'reference_record.py'))}, run_name='__main__')`,
      [
        { cwd: root, paths: ['sub', 'src'], lstrip: ['sub', 'su'] },
        { cwd: root, paths: ['sub/b.txt', 'build/keep.txt'], lstrip: ['sub/', 'build/'] },
      ]
    ) as { error?: string }[];
    expect(expected.map((e) => e.error)).toEqual(['PrefixError', undefined]);
    await expect(
      recordArtifacts(['sub', 'src'], { basePath: root, lstripPaths: ['sub', 'su'] })
    ).rejects.toThrow(RecordError);
    writeFileSync(join(root, 'sub/keep.txt'), 'dup');
    await expect(
      recordArtifacts(['sub/keep.txt', 'build/keep.txt'], {
        basePath: root,
        lstripPaths: ['sub/', 'build/'],
      })
    ).rejects.toThrow(/share the key/);
  });

  it('normpath agrees with posixpath.normpath (property, batched)', () => {
    const seg = fc.constantFrom('a', 'b', '.', '..', '', 'é', '...', 'x y');
    const paths = fc.sample(
      fc
        .array(seg, { maxLength: 6 })
        .chain((segs) =>
          fc.constantFrom(
            segs.join('/'),
            `/${segs.join('/')}`,
            `//${segs.join('/')}`,
            `///${segs.join('/')}`
          )
        ),
      { seed: 5, numRuns: 500 }
    );
    const expected = python(
      'import json,sys,posixpath; print(json.dumps([posixpath.normpath(p) for p in json.load(sys.stdin)]))',
      paths
    ) as string[];
    paths.forEach((p, i) => expect(normpath(p), JSON.stringify(p)).toBe(expected[i]));
  });

  it('gitwildmatch agrees with pathspec (property, batched)', () => {
    const part = fc.constantFrom(
      'a',
      'b',
      '*',
      '?',
      '**',
      '[ab]',
      '[!a]',
      '.x',
      'é',
      '\\*',
      '[]a]',
      '[^a]',
      'x~'
    );
    const pattern = fc
      .tuple(
        fc.constantFrom('', '/', '!'),
        fc.array(part, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', '/')
      )
      .map(([pre, parts, post]) => pre + parts.join('/') + post);
    const path = fc
      .array(fc.constantFrom('a', 'b', 'ab', '.x', 'é', 'a*', 'x~', ']a', '^'), {
        minLength: 1,
        maxLength: 4,
      })
      .map((p) => p.join('/'));
    const pairs = fc.sample(fc.tuple(pattern, path), { seed: 9, numRuns: 1500 });
    const expected = python(
      `import json,sys
from pathspec import PathSpec
out=[]
for pat,path in json.load(sys.stdin):
    try: out.append(PathSpec.from_lines('gitwildmatch',[pat]).match_file(path))
    except Exception as e: out.append(None)
print(json.dumps(out))`,
      pairs
    ) as (boolean | null)[];
    pairs.forEach(([pat, p], i) => {
      let ours: boolean | null;
      try {
        ours = new ExcludeFilter([pat]).matches(p);
      } catch {
        ours = null;
      }
      expect(ours, `${pat} vs ${p}`).toBe(expected[i]);
    });
  });
});

describe.runIf(run)('gitwildmatch lists agree with pathspec (property, batched)', () => {
  it('several patterns with negation, anchoring, escapes, comments and spaces: last match wins', () => {
    const part = fc.constantFrom(
      'a',
      'b',
      '*',
      '?',
      '**',
      '***',
      '[a-c]',
      '[!a]',
      '.x',
      'é',
      '\\*',
      '\\',
      '[]a]',
      'x~',
      '#a',
      '\\#a',
      'a ',
      'a\\ ',
      '!a',
      '\\!a',
      '[',
      '*a*',
      '[/]',
      '😀',
      '{a,b}',
      '.',
      '..',
      ''
    );
    const pattern = fc
      .tuple(
        fc.constantFrom('', '/', '!', '!/', ' ', '//'),
        fc.array(part, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', '/', '//', ' ', '\\ ')
      )
      .map(([pre, parts, post]) => pre + parts.join('/') + post);
    const path = fc
      .array(
        fc.constantFrom('a', 'b', 'ab', '.x', 'é', 'a*', 'x~', '#a', ']a', 'a ', '!a', '😀', 'c'),
        {
          minLength: 1,
          maxLength: 4,
        }
      )
      .map((p) => p.join('/'))
      .chain((p) => fc.constantFrom(p, `./${p}`, `/${p}`, `//${p}`, `${p}/`));
    const cases = fc.sample(fc.tuple(fc.array(pattern, { minLength: 1, maxLength: 3 }), path), {
      seed: 11,
      numRuns: 4000,
    });
    const expected = python(
      `import json,sys
from pathspec import PathSpec
out=[]
for pats,path in json.load(sys.stdin):
    try: out.append(PathSpec.from_lines('gitwildmatch',pats).match_file(path))
    except Exception as e: out.append(None)
print(json.dumps(out))`,
      cases
    ) as (boolean | null)[];
    cases.forEach(([pats, p], i) => {
      let ours: boolean | null;
      try {
        ours = new ExcludeFilter(pats).matches(p);
      } catch {
        ours = null;
      }
      expect(ours, `${JSON.stringify(pats)} vs ${JSON.stringify(p)}`).toBe(expected[i]);
    });
  });
});

describe('recording safety (stricter than the reference)', () => {
  it('A-3: rc files and IN_TOTO_* variables never change what is recorded', async () => {
    const dir = testdir({
      'evil.sh': 'rm -rf /',
      '.in_totorc': '[settings]\nARTIFACT_EXCLUDE_PATTERNS=evil.sh\n',
    });
    process.env.IN_TOTO_ARTIFACT_EXCLUDE_PATTERNS = 'evil.sh';
    try {
      const r = await recordArtifacts(['.'], { basePath: dir });
      expect(Object.keys(r.artifacts).sort()).toEqual(['.in_totorc', 'evil.sh']);
    } finally {
      delete process.env.IN_TOTO_ARTIFACT_EXCLUDE_PATTERNS;
    }
  });

  it('H-6 / GHSA-v6px: symlinks out of the tree are not followed, loops end, FIFOs are skipped', async () => {
    const outside = testdir({ 'secret.key': 'private' });
    const dir = testdir({ 'ok.txt': 'ok', 'sub/x': 'x' });
    symlinkSync(join(outside, 'secret.key'), join(dir, 'evil'));
    symlinkSync('../../', join(dir, 'sub/up'));
    symlinkSync('..', join(dir, 'sub/loop'));
    symlinkSync('/dev/zero', join(dir, 'zero'));
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    const warnings: string[] = [];
    const r = await recordArtifacts(['.'], { basePath: dir, onWarning: (m) => warnings.push(m) });
    expect(Object.keys(r.artifacts).sort()).toEqual(['ok.txt', 'sub/x']);
    expect(r.artifacts).not.toHaveProperty('evil');
    expect(r.artifacts).not.toHaveProperty('fifo');
    expect(r.artifacts).not.toHaveProperty('zero');
    expect(warnings.join('\n')).toMatch(/evil: symlink to .*outside/);
    expect(warnings.join('\n')).toMatch(/fifo: not a regular file/);
    expect(warnings.join('\n')).toMatch(/loop/);
    const allowed = await recordArtifacts(['evil'], { basePath: dir, allowOutsideSymlinks: true });
    expect(Object.keys(allowed.artifacts)).toEqual(['evil']);
  });

  it('A-10: a\\b and a/b collide → error instead of a silent overwrite', async () => {
    const dir = testdir({ 'a\\b': 'one', 'a/b': 'two' });
    await expect(recordArtifacts(['.'], { basePath: dir })).rejects.toThrow(
      /would both be recorded/
    );
  });

  it('A-10 in either order, and a file given twice is recorded once', async () => {
    const dir = testdir({ 'a\\b': 'one', 'a/b': 'two', 'c/d': 'three' });
    // a/b is recorded (walking a) before a\b turns up as the second top-level path.
    await expect(recordArtifacts(['a', 'a\\b'], { basePath: dir })).rejects.toThrow(
      /"a\/b" and "a\\\\b" would both be recorded as "a\/b"/
    );
    let hashed = 0;
    const r = await recordArtifacts(['c', 'c/d', '.'], {
      basePath: dir,
      excludePatterns: ['a*'],
      onProgress: (done) => (hashed = done),
    });
    expect(Object.keys(r.artifacts)).toEqual(['c/d']);
    expect(hashed).toBe(1); // found three times, hashed once
  });

  it('warns about missing paths and counts excluded entries', async () => {
    const dir = testdir({ 'a.link': 'x', 'b.pyc': 'y', c: 'z' });
    const warnings: string[] = [];
    const r = await recordArtifacts(['.', 'nope'], {
      basePath: dir,
      onWarning: (m) => warnings.push(m),
    });
    expect(Object.keys(r.artifacts)).toEqual(['c']);
    expect(r.excludedCount).toBe(2);
    expect(warnings).toEqual(['nope: does not exist, skipped']);
  });

  it('hashes many files on worker threads identically to one thread', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++)
      files[`d${i % 7}/f${i}`] = 'x'.repeat(i * 131) + '\r\n'.repeat(i % 5);
    files['big'] = 'y'.repeat(5 << 20);
    const dir = testdir(files);
    for (const normalizeLineEndings of [false, true]) {
      const pooled = await recordArtifacts(['.'], {
        basePath: dir,
        concurrency: 2,
        normalizeLineEndings,
        hashAlgorithms: ['sha256', 'sha512'],
      });
      const inline = await recordArtifacts(['.'], {
        basePath: dir,
        concurrency: 0,
        normalizeLineEndings,
        hashAlgorithms: ['sha256', 'sha512'],
      });
      expect(pooled.artifacts).toEqual(inline.artifacts);
      expect(Object.keys(pooled.artifacts)).toHaveLength(301);
    }
  });
});

describe('exclude patterns while walking', () => {
  it('an entry of a directory that was kept is tested by its name alone exactly when that is the same (property)', () => {
    // Name globs without "/" (the defaults), mixed with what must go the long way: negation,
    // classes (which match "/" in the reference's translation), "**", slashes, newlines in names.
    const part = fc.constantFrom(
      'a',
      '*',
      '?',
      '.x',
      '*.pyc',
      '*~',
      'é',
      '\\*',
      '[!a]',
      '[+-0]',
      '**'
    );
    const pattern = fc
      .tuple(fc.constantFrom('', '', '!', '/'), fc.array(part, { minLength: 1, maxLength: 3 }))
      .map(([pre, parts]) => pre + parts.join(''));
    const name = fc.constantFrom(
      'a',
      'b.pyc',
      '.x',
      'x~',
      'é',
      '*',
      'a\nb',
      'q.pyc\n',
      '.git',
      'a/b'[0]
    );
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 1, maxLength: 4 }),
        fc.array(name, { maxLength: 3 }),
        name,
        (patterns, parents, leaf) => {
          const filter = new ExcludeFilter(patterns);
          // Only directories that were themselves kept are walked into.
          for (let i = 1; i <= parents.length; i++)
            fc.pre(!filter.matches(parents.slice(0, i).join('/')));
          const path = [...parents, leaf].join('/');
          expect(filter.matchesEntry(path, leaf)).toBe(filter.matches(path));
        }
      ),
      { numRuns: 3000 }
    );
  });
});

describe('prestarted hashing workers', () => {
  it('a pool takes them and hashes on them from the first file, with the same digests', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`d${i % 3}/f${i}`] = `content ${i}`.repeat(i);
    const dir = testdir(files);
    const inline = await recordArtifacts(['.'], { basePath: dir, concurrency: 0 });
    prestartHashWorkers(1);
    const pooled = await recordArtifacts(['.'], { basePath: dir, concurrency: 1 });
    expect(pooled.artifacts).toEqual(inline.artifacts);
    expect(pooled.sorted.size).toBe(200);
  });

  it('keep nothing alive: a process that starts them and records nothing exits at once', () => {
    const lib = join(dirname(CLI), '../index.js');
    // A worker that kept the process alive would run into the timeout (status null).
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `(await import(${JSON.stringify(lib)})).prestartHashWorkers(2)`,
      ],
      { encoding: 'utf8', timeout: 10_000 }
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("a V8 flag on node's command line does not leave hashing on one thread", async () => {
    // `node --max-old-space-size=… intoto run` passed the flag on to the workers, which refused to
    // start: the recording fell back to one thread, with a warning. 4,200 files: enough for a pool
    // to start workers of its own, without any prestarted.
    const files: Record<string, string> = {};
    for (let i = 0; i < 4200; i++) files[`d${i % 7}/f${i}`] = `${i}`;
    const dir = testdir(files);
    const lib = join(dirname(CLI), '../index.js');
    const inline = await recordArtifacts(['.'], { basePath: dir, concurrency: 0 });
    const script = `
      const { prestartHashWorkers, recordArtifacts } = await import(${JSON.stringify(lib)});
      const warnings = [];
      const onWarning = (m) => warnings.push(m);
      const own = await recordArtifacts(['.'], { concurrency: 1, onWarning });
      prestartHashWorkers(1);
      const prestarted = await recordArtifacts(['.'], { concurrency: 1, onWarning });
      console.log(JSON.stringify({ warnings, own: own.artifacts, prestarted: prestarted.artifacts }));`;
    const r = spawnSync(
      process.execPath,
      ['--max-old-space-size=512', '--input-type=module', '-e', script],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 }
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { warnings: string[]; own: unknown; prestarted: unknown };
    expect(out.warnings).toEqual([]);
    expect(out.own).toEqual(inline.artifacts);
    expect(out.prestarted).toEqual(inline.artifacts);
    // The CLI starts its worker before it loads the library (main.ts): the same there.
    const key = join(testdir(), 'k');
    expect(spawnSync(process.execPath, [CLI, 'keygen', key]).status).toBe(0);
    const run = spawnSync(
      process.execPath,
      ['--max-old-space-size=512', CLI, 'run', '-n', 's', '-k', key, '-m', '.', '-x', '-d', 'out'],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 }
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/worker threads unavailable/);
    expect(run.stdout + run.stderr).toMatch(/4200 materials/);
  });
});

describe('recorded order', () => {
  it('is the order the link lists paths in (code points), files and directories interleaved', async () => {
    // "a.txt" < "a/x" < "a0" < "b/😀" < "b/\uffff"… by code point; a directory's files come
    // neither all before nor all after its subdirectories.
    const dir = testdir({
      a0: '1',
      'a.txt': '2',
      'a/x': '3',
      'a/y/z': '4',
      'a/y0': '5',
      'b/\uffff': '6',
      'b/😀': '7',
      '1': '8',
    });
    for (const paths of [['.'], ['b', 'a0', 'a', '1', 'a.txt']]) {
      const r = await recordArtifacts(paths, { basePath: dir });
      expect(r.sorted.keys).toEqual([
        '1',
        'a.txt',
        'a/x',
        'a/y/z',
        'a/y0',
        'a0',
        'b/\uffff',
        'b/😀',
      ]);
      expect(r.sorted.values.map((h) => h.sha256)).toEqual(
        ['8', '2', '3', '4', '5', '1', '6', '7'].map((c) =>
          createHash('sha256').update(c).digest('hex')
        )
      );
    }
  });
});

describe('hash vectors (cases.json hashes)', () => {
  for (const c of cases.hashes) {
    for (const f of c.files as string[]) {
      it(`${c.id}: ${f}${c.normalize_line_endings ? ' (line endings normalised)' : ''}`, () => {
        const algs = ['sha256', 'sha384', 'sha512'].filter((a) => c[a]);
        const d = hashFileSync(vector(f), algs, c.normalize_line_endings);
        for (const a of algs) expect(d[a], a).toBe(c[a]);
      });
    }
  }
});
