/**
 * intoto run/record/mock against the reference tools on the same trees with the same keys: the
 * signed payloads must be equal, and each tool must accept the other's files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intotoAsync, referenceAsync, requireReference } from '../helpers/cli.js';
import { testdir, withoutRecordedExcludes } from '../helpers/vectors.js';

const run = requireReference();

type Signed = Record<string, unknown> & {
  materials: Record<string, Record<string, string>>;
  products: Record<string, Record<string, string>>;
};

function onlyLink(dir: string, prefix: string): { file: string; signed: Signed } {
  const files = readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.link'));
  if (files.length !== 1)
    throw new Error(`want one ${prefix}*.link in ${dir}: ${files.join(', ')}`);
  const file = join(dir, files[0]);
  const { signed } = JSON.parse(readFileSync(file, 'utf8')) as { signed: Signed };
  return { file, signed: withoutRecordedExcludes(signed) };
}

/** Two tools must not see each other's output: each works on its own copy of the tree. */
function twin(root: string): [string, string] {
  const a = testdir();
  const b = testdir();
  cpSync(root, a, { recursive: true, verbatimSymlinks: true });
  cpSync(root, b, { recursive: true, verbatimSymlinks: true });
  return [a, b];
}

function tree(): string {
  const root = testdir({
    'a.txt': 'a',
    empty: '',
    'crlf.txt': 'x\r\ny\r\n',
    '.hidden/h.txt': 'h',
    'sub/b.txt': 'b',
    'sub/deep/c.c': 'c',
    'sub/deep/d.txt': 'd',
    'sp ace/ü é.txt': 'u',
    'sp ace/日本.md': 'j',
    'x.pyc': 'p',
    'sub/y.pyc': 'p',
    'old~': 't',
    'prev.abcd1234.link': 'l',
    'sub/nested.link': 'l',
    '.git/HEAD': 'g',
    'sub/.git/config': 'g',
  });
  symlinkSync('a.txt', join(root, 'to-a'));
  symlinkSync('sub/deep', join(root, 'to-deep'));
  symlinkSync('nowhere', join(root, 'dangling'));
  return root;
}

describe.runIf(run)('same materials as in-toto-run (RSA key, more exclude and path forms)', () => {
  let root: string;
  let key: string;
  beforeAll(async () => {
    root = tree();
    key = join(testdir(), 'rsa');
    expect((await referenceAsync('in-toto-keygen', ['-t', 'rsa', '-b', '2048', key])).status).toBe(
      0
    );
  });

  const variants: [string, string[]][] = [
    ['defaults', ['-m', '.']],
    ['no excludes at all (an empty-matching pattern)', ['-m', '.', '--exclude', 'nothing-here']],
    ['** and sub/**', ['-m', '.', '--exclude', '**/deep/*.txt', 'sp ace/**']],
    ['directory-only pattern and comment', ['-m', '.', '--exclude', 'deep/', '#c', '*.pyc']],
    ['negation after a directory', ['-m', 'sub', '--exclude', '*.txt', '!b.txt']],
    ['dotted and doubled paths', ['-m', './sub/../a.txt', 'sub//deep/', './sp ace/']],
    ['symlinked dir as an input', ['-m', 'to-deep', 'to-a', 'dangling']],
    [
      'lstrip with the first matching prefix',
      ['-m', 'sub', '--lstrip-paths', 'sub/deep/', 'sub/b'],
    ],
    ['base path with a nested input', ['-m', 'deep', 'b.txt', '--base-path', 'sub']],
  ];
  for (const [name, args] of variants) {
    it(name, async () => {
      const [ours, theirs] = twin(root);
      const a = await intotoAsync(['run', '-n', 's', '-k', key, '-x', ...args], { cwd: ours });
      expect(a.status, a.stderr).toBe(0);
      const b = await referenceAsync('in-toto-run', ['-n', 's', '-k', key, '-x', ...args], {
        cwd: theirs,
      });
      expect(b.status, b.stderr).toBe(0);
      const x = onlyLink(ours, 's.');
      const y = onlyLink(theirs, 's.');
      expect(x.signed).toEqual(y.signed);
      expect(x.file.slice(ours.length)).toBe(y.file.slice(theirs.length));
    });
  }

  it('an absolute path is recorded as given by both', async () => {
    const [ours, theirs] = twin(root);
    const a = await intotoAsync(['run', '-n', 'abs', '-k', key, '-x', '-m', join(root, 'sub')], {
      cwd: ours,
    });
    const b = await referenceAsync(
      'in-toto-run',
      ['-n', 'abs', '-k', key, '-x', '-m', join(root, 'sub')],
      {
        cwd: theirs,
      }
    );
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(onlyLink(ours, 'abs.').signed).toEqual(onlyLink(theirs, 'abs.').signed);
  });

  it('the RSA-signed link verifies with in-toto-sign, and -s/echo byproducts are the same', async () => {
    const [ours, theirs] = twin(testdir({ 'in.txt': 'i' }));
    const cmd = ['-s', '-m', 'in.txt', '-p', 'in.txt', '--', 'echo', 'hi'];
    expect((await intotoAsync(['run', '-n', 'e', '-k', key, ...cmd], { cwd: ours })).status).toBe(
      0
    );
    expect(
      (await referenceAsync('in-toto-run', ['-n', 'e', '-k', key, ...cmd], { cwd: theirs })).status
    ).toBe(0);
    const x = onlyLink(ours, 'e.');
    expect(x.signed).toEqual(onlyLink(theirs, 'e.').signed);
    expect(x.signed.byproducts).toEqual({ 'return-value': 0, stderr: '', stdout: 'hi\n' });
    const v = await referenceAsync('in-toto-sign', ['--verify', '-f', x.file, '-k', `${key}.pub`]);
    expect(v.status, v.stderr).toBe(0);
  });

  it('a command killed by a signal is recorded as the negative signal number by both', async () => {
    const [ours, theirs] = twin(testdir());
    const cmd = ['-s', '--', 'sh', '-c', 'echo partial; kill -TERM $$'];
    const a = await intotoAsync(['run', '-n', 'k', '-k', key, ...cmd], { cwd: ours });
    expect(a.status).toBe(128 + 15);
    expect(
      (await referenceAsync('in-toto-run', ['-n', 'k', '-k', key, ...cmd], { cwd: theirs })).status
    ).toBe(0);
    const x = onlyLink(ours, 'k.').signed;
    expect(x).toEqual(onlyLink(theirs, 'k.').signed);
    expect(x.byproducts).toEqual({ 'return-value': -15, stderr: '', stdout: 'partial\n' });
  });
});

describe.runIf(run)('record start/stop and mock against in-toto-record and in-toto-mock', () => {
  let key: string;
  beforeAll(async () => {
    key = join(testdir(), 'ed');
    expect((await referenceAsync('in-toto-keygen', ['-t', 'ed25519', key])).status).toBe(0);
  });
  const k = () => ['-k', key, '-t', 'ed25519'];

  it('start/stop give the same link as in-toto-record', async () => {
    const [ours, theirs] = twin(testdir({ 'src/main.c': 'v1', 'README.md': 'r', 'x.pyc': 'p' }));
    for (const [dir, tool] of [
      [ours, 'ours'],
      [theirs, 'theirs'],
    ] as const) {
      const start = ['start', '-n', 'edit', ...k(), '-m', '.', '--exclude', '*.pyc'];
      const stop = ['stop', '-n', 'edit', ...k(), '-p', 'src', '-d', 'out'];
      mkdirSync(join(dir, 'out'));
      const s1 =
        tool === 'ours'
          ? await intotoAsync(['record', ...start], { cwd: dir })
          : await referenceAsync('in-toto-record', start, { cwd: dir });
      expect(s1.status, s1.stderr).toBe(0);
      writeFileSync(join(dir, 'src/main.c'), 'v2');
      const s2 =
        tool === 'ours'
          ? await intotoAsync(['record', ...stop], { cwd: dir })
          : await referenceAsync('in-toto-record', stop, { cwd: dir });
      expect(s2.status, s2.stderr).toBe(0);
      expect(readdirSync(dir).filter((n) => n.endsWith('-unfinished'))).toEqual([]);
    }
    const x = onlyLink(join(ours, 'out'), 'edit.');
    expect(x.signed).toEqual(onlyLink(join(theirs, 'out'), 'edit.').signed);
    expect(Object.keys(x.signed.materials).sort()).toEqual(['README.md', 'src/main.c']);
    expect(x.signed.materials['src/main.c']).not.toEqual(x.signed.products['src/main.c']);
    const v = await referenceAsync('in-toto-sign', [
      '--verify',
      '-f',
      x.file,
      ...k().map((a) => (a === key ? `${key}.pub` : a)),
    ]);
    expect(v.status, v.stderr).toBe(0);
  });

  it('each tool finishes what the other started', async () => {
    const dir = testdir({ 'f.txt': '1' });
    expect(
      (await intotoAsync(['record', 'start', '-n', 'a', ...k(), '-m', 'f.txt'], { cwd: dir }))
        .status
    ).toBe(0);
    const r1 = await referenceAsync('in-toto-record', ['stop', '-n', 'a', ...k(), '-p', 'f.txt'], {
      cwd: dir,
    });
    expect(r1.status, r1.stderr).toBe(0);
    expect(
      (
        await referenceAsync('in-toto-record', ['start', '-n', 'b', ...k(), '-m', 'f.txt'], {
          cwd: dir,
        })
      ).status
    ).toBe(0);
    const r2 = await intotoAsync(['record', 'stop', '-n', 'b', ...k(), '-p', 'f.txt'], {
      cwd: dir,
    });
    expect(r2.status, r2.stderr).toBe(0);
    for (const name of ['a.', 'b.']) {
      const l = onlyLink(dir, name);
      expect(l.signed.materials).toEqual(l.signed.products);
      expect(
        (
          await referenceAsync('in-toto-sign', [
            '--verify',
            '-f',
            l.file,
            '-k',
            `${key}.pub`,
            '-t',
            'ed25519',
          ])
        ).status
      ).toBe(0);
    }
  });

  it('stop refuses an unfinished link signed by another key (exit 1, nothing written)', async () => {
    const other = join(testdir(), 'other');
    expect((await referenceAsync('in-toto-keygen', ['-t', 'ed25519', other])).status).toBe(0);
    const dir = testdir({ 'f.txt': '1' });
    expect(
      (await intotoAsync(['record', 'start', '-n', 's', ...k(), '-m', 'f.txt'], { cwd: dir }))
        .status
    ).toBe(0);
    const [unfinished] = readdirSync(dir).filter((n) => n.endsWith('-unfinished'));
    // Re-sign the unfinished link with another key, keeping the file name of ours.
    const body = JSON.parse(readFileSync(join(dir, unfinished), 'utf8')) as { signed: unknown };
    writeFileSync(join(dir, 'body.link'), JSON.stringify({ signed: body.signed, signatures: [] }));
    const s = await referenceAsync(
      'in-toto-sign',
      ['-f', 'body.link', '-k', other, '-t', 'ed25519', '-o', unfinished],
      { cwd: dir }
    );
    expect(s.status, s.stderr).toBe(0);
    const r = await intotoAsync(['record', 'stop', '-n', 's', ...k(), '-p', 'f.txt'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not validly signed/);
    expect(readdirSync(dir).filter((n) => n.startsWith('s.'))).toEqual([]);
  });

  it('stop --command is split like a shell; --byproducts-from records a file as stdout', async () => {
    const dir = testdir({ 'f.txt': '1', 'log.txt': 'built\r\nok\n' });
    expect((await intotoAsync(['record', 'start', '-n', 'c', ...k()], { cwd: dir })).status).toBe(
      0
    );
    const r = await intotoAsync(
      [
        'record',
        'stop',
        '-n',
        'c',
        ...k(),
        '--command',
        `make "a b" 'c d' e\\ f`,
        '--byproducts-from',
        'log.txt',
      ],
      { cwd: dir }
    );
    expect(r.status, r.stderr).toBe(0);
    const l = onlyLink(dir, 'c.').signed;
    expect(l.command).toEqual(['make', 'a b', 'c d', 'e f']);
    expect(l.byproducts).toEqual({ stdout: 'built\nok\n', stderr: '', 'return-value': 0 });
  });

  it('mock writes what in-toto-mock writes', async () => {
    const [ours, theirs] = twin(testdir({ 'in.txt': 'x', 'skip.pyc': 'p' }));
    const cmd = ['-n', 'try', '--', 'sh', '-c', 'echo made > out.txt; echo to-err >&2'];
    const a = await intotoAsync(['mock', ...cmd], { cwd: ours });
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toContain('to-err');
    const b = await referenceAsync('in-toto-mock', cmd, { cwd: theirs });
    expect(b.status, b.stderr).toBe(0);
    expect(readFileSync(join(ours, 'try.link'), 'utf8')).toBe(
      readFileSync(join(theirs, 'try.link'), 'utf8')
    );
  });
});
