import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { intotoAsync, referenceAsync, requireReference } from '../helpers/cli.js';
import { CLI, testdir, withoutRecordedExcludes } from '../helpers/vectors.js';

const run = requireReference();

function linkOf(
  dir: string,
  prefix: string
): { signed: Record<string, unknown>; signatures: unknown[] } {
  const f = readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith('.link'));
  if (!f) throw new Error(`no ${prefix}*.link in ${dir}: ${readdirSync(dir).join(', ')}`);
  const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
    signed: Record<string, unknown>;
    signatures: unknown[];
  };
  return { ...doc, signed: withoutRecordedExcludes(doc.signed) };
}

function tree(): string {
  const root = testdir();
  const files: Record<string, string> = {
    'a.txt': 'a',
    empty: '',
    'crlf.txt': 'x\r\ny\r\n',
    '.hidden': 'h',
    'sub/b.txt': 'b',
    'sub/deep/c.c': 'c',
    'sp ace/ü é.txt': 'u',
    'x.pyc': 'p',
    'old~': 't',
    'prev.abcd1234.link': 'l',
    '.git/HEAD': 'g',
  };
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
  symlinkSync('a.txt', join(root, 'to-a'));
  symlinkSync('sub', join(root, 'to-sub'));
  symlinkSync('nowhere', join(root, 'dangling'));
  return root;
}

describe.runIf(run)('intoto run records what in-toto-run records', () => {
  let root: string;
  let keys: string;
  beforeAll(async () => {
    root = tree();
    keys = testdir();
    expect(
      (await referenceAsync('in-toto-keygen', ['-t', 'ed25519', join(keys, 'fn')])).status
    ).toBe(0);
  });

  const variants: [string, string[]][] = [
    ['defaults', ['-m', '.']],
    [
      'explicit files and trailing slashes',
      ['-m', 'a.txt', 'sub/', './sp ace', 'to-a', 'x.pyc', 'missing'],
    ],
    [
      'exclude with negation, anchoring, directory, **',
      ['-m', '.', '--exclude', '*.txt', '!a.txt', '/sub/deep', 'sp ace/', '**/.git'],
    ],
    ['lstrip', ['-m', 'sub', 'sp ace', '--lstrip-paths', 'sub/', 'sp']],
    ['base path', ['-m', '.', 'deep', '--base-path', 'sub']],
  ];
  for (const [name, args] of variants) {
    it(`${name}: same materials`, async () => {
      const ours = testdir();
      const theirs = testdir();
      const a = await intotoAsync(
        ['run', '-n', 's', '-k', join(keys, 'fn'), '-x', '-d', ours, ...args],
        {
          cwd: root,
        }
      );
      expect(a.status, a.stderr).toBe(0);
      const b = await referenceAsync(
        'in-toto-run',
        ['-n', 's', '-k', join(keys, 'fn'), '-t', 'ed25519', '-x', '-d', theirs, ...args],
        { cwd: root }
      );
      expect(b.status, b.stderr).toBe(0);
      expect(linkOf(ours, 's.').signed).toEqual(linkOf(theirs, 's.').signed);
    });
  }

  it('a link from intoto run -s verifies with in-toto-sign and matches in-toto-run field for field', async () => {
    const dir = testdir({ 'in.txt': 'in' });
    const a = await intotoAsync(
      [
        'run',
        '-n',
        'ours',
        '-k',
        join(keys, 'fn'),
        '-s',
        '-m',
        'in.txt',
        '--',
        'sh',
        '-c',
        'echo out; echo err >&2',
      ],
      { cwd: dir }
    );
    expect(a.status, a.stderr).toBe(0);
    const b = await referenceAsync(
      'in-toto-run',
      [
        '-n',
        'theirs',
        '-k',
        join(keys, 'fn'),
        '-t',
        'ed25519',
        '-s',
        '-m',
        'in.txt',
        '--',
        'sh',
        '-c',
        'echo out; echo err >&2',
      ],
      { cwd: dir }
    );
    expect(b.status, b.stderr).toBe(0);
    const ours = linkOf(dir, 'ours.').signed;
    const theirs = linkOf(dir, 'theirs.').signed;
    expect({ ...ours, name: 'x' }).toEqual({ ...theirs, name: 'x' });
    const f = readdirSync(dir).find((n) => n.startsWith('ours.'))!;
    const v = await referenceAsync(
      'in-toto-sign',
      ['--verify', '-f', f, '-k', join(keys, 'fn.pub'), '-t', 'ed25519'],
      { cwd: dir }
    );
    expect(v.status, v.stderr).toBe(0);
  });
});

describe('intoto run behaviour', () => {
  let key: string;
  beforeAll(async () => {
    const k = testdir();
    expect((await intotoAsync(['keygen', join(k, 'fn')])).status).toBe(0);
    key = join(k, 'fn');
  });

  it("exits with the command's exit code and still writes the link", async () => {
    const dir = testdir();
    const r = await intotoAsync(['run', '-n', 'fail', '-k', key, '--', 'sh', '-c', 'exit 3'], {
      cwd: dir,
    });
    expect(r.status).toBe(3);
    expect(linkOf(dir, 'fail.').signed.byproducts).toEqual({
      'return-value': 3,
      stderr: '',
      stdout: '',
    });
  });

  it('shows output live with and without -s, records it only with -s', async () => {
    const dir = testdir();
    const a = await intotoAsync(
      ['run', '-n', 'plain', '-k', key, '--', 'sh', '-c', 'echo visible; echo oops >&2'],
      { cwd: dir }
    );
    expect(a.stdout).toContain('visible');
    expect(a.stderr).toContain('oops');
    expect(linkOf(dir, 'plain.').signed.byproducts).toEqual({
      'return-value': 0,
      stderr: '',
      stdout: '',
    });
    const b = await intotoAsync(
      [
        'run',
        '-n',
        'rec',
        '-k',
        key,
        '-s',
        '--',
        'sh',
        '-c',
        'printf "a\\r\\nb\\n"; echo oops >&2',
      ],
      { cwd: dir }
    );
    expect(b.stdout).toContain('a\r\nb');
    expect(linkOf(dir, 'rec.').signed.byproducts).toEqual({
      'return-value': 0,
      stderr: 'oops\n',
      stdout: 'a\nb\n',
    });
  });

  it('passes flag-like arguments after -- to the command', async () => {
    const dir = testdir({ f: 'x' });
    const r = await intotoAsync(
      ['run', '-n', 'ls', '-k', key, '-m', 'f', '-s', '--', 'ls', '-la', '-n'],
      {
        cwd: dir,
      }
    );
    expect(r.status, r.stderr).toBe(0);
    expect(linkOf(dir, 'ls.').signed.command).toEqual(['ls', '-la', '-n']);
  });

  it('command not found: exit 127, one line, no link', async () => {
    const dir = testdir();
    const r = await intotoAsync(['run', '-n', 'nf', '-k', key, '--', 'no-such-command-xyz'], {
      cwd: dir,
    });
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/command not found: no-such-command-xyz/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('usage errors exit 2: no command, no key, a missing key file', async () => {
    const dir = testdir();
    expect((await intotoAsync(['run', '-n', 'x', '-k', key], { cwd: dir })).status).toBe(2);
    expect((await intotoAsync(['run', '-n', 'x', '--', 'true'], { cwd: dir })).status).toBe(2);
    const r = await intotoAsync(['run', '-n', 'x', '-k', 'missing-key', '--', 'true'], {
      cwd: dir,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing-key: cannot read key file/);
  });

  it('--run-timeout stops a long command; without it nothing is killed', async () => {
    const dir = testdir();
    const r = await intotoAsync(
      ['run', '-n', 'slow', '-k', key, '--run-timeout', '1', '--', 'sleep', '5'],
      {
        cwd: dir,
      }
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/longer than 1 s/);
    expect(existsSync(join(dir, 'slow'))).toBe(false);
  });

  it('a kill during the run leaves no link and no temporary file behind', async () => {
    const dir = testdir();
    const child = spawn(
      process.execPath,
      [CLI, 'run', '-n', 'killed', '-k', key, '-p', '.', '--', 'sleep', '10'],
      { cwd: dir, stdio: 'ignore' }
    );
    await new Promise((r) => setTimeout(r, 800));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('A-3: .in_totorc and IN_TOTO_* do not hide evil.sh', async () => {
    const dir = testdir({
      'evil.sh': 'rm -rf /',
      '.in_totorc': '[settings]\nARTIFACT_EXCLUDE_PATTERNS=evil.sh\n',
      'ok.txt': 'ok',
    });
    const r = await intotoAsync(
      ['run', '-n', 'a3', '-k', key, '-m', '.', '-p', '.', '--', 'true'],
      {
        cwd: dir,
        env: { IN_TOTO_ARTIFACT_EXCLUDE_PATTERNS: 'evil.sh' },
      }
    );
    expect(r.status, r.stderr).toBe(0);
    const link = linkOf(dir, 'a3.').signed as { materials: object; products: object };
    expect(Object.keys(link.materials)).toContain('evil.sh');
    expect(Object.keys(link.products)).toContain('evil.sh');
  });

  it('says how many entries the default patterns excluded', async () => {
    const dir = testdir({ 'a.pyc': 'x', 'b~': 'y', c: 'z' });
    const r = await intotoAsync(['run', '-n', 'ex', '-k', key, '-m', '.', '-x'], { cwd: dir });
    expect(r.stderr).toMatch(/excluded 2 entries by the default patterns/);
  });

  it('record start/stop round-trips; a tampered unfinished link is refused', async () => {
    const dir = testdir({ 'src.c': 'v1' });
    expect(
      (await intotoAsync(['record', 'start', '-n', 'edit', '-k', key, '-m', 'src.c'], { cwd: dir }))
        .status
    ).toBe(0);
    const unfinished = readdirSync(dir).find((n) => n.endsWith('.link-unfinished'))!;
    expect(unfinished).toMatch(/^\.edit\.[0-9a-f]{8}\.link-unfinished$/);
    writeFileSync(join(dir, 'src.c'), 'v2');
    const stop = await intotoAsync(
      [
        'record',
        'stop',
        '-n',
        'edit',
        '-k',
        key,
        '-p',
        'src.c',
        '-d',
        'out',
        '--command',
        'vi src.c',
      ],
      { cwd: dir }
    );
    expect(stop.status, stop.stderr).toBe(0);
    const link = linkOf(join(dir, 'out'), 'edit.').signed as {
      materials: Record<string, object>;
      products: Record<string, object>;
      command: string[];
    };
    expect(link.materials['src.c']).not.toEqual(link.products['src.c']);
    expect(link.command).toEqual(['vi', 'src.c']);
    expect(existsSync(join(dir, unfinished))).toBe(false);
    // Tampered: materials edited after start.
    expect(
      (
        await intotoAsync(['record', 'start', '-n', 'edit2', '-k', key, '-m', 'src.c'], {
          cwd: dir,
        })
      ).status
    ).toBe(0);
    const u2 = readdirSync(dir).find((n) => n.startsWith('.edit2.'))!;
    writeFileSync(
      join(dir, u2),
      readFileSync(join(dir, u2), 'utf8').replace(/"sha256": "[0-9a-f]{4}/, '"sha256": "0000')
    );
    const bad = await intotoAsync(['record', 'stop', '-n', 'edit2', '-k', key, '-p', 'src.c'], {
      cwd: dir,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/not validly signed/);
  });

  it('mock writes an unsigned <name>.link of . before and after', async () => {
    const dir = testdir({ 'in.txt': 'x' });
    const r = await intotoAsync(['mock', '-n', 'try', '--', 'sh', '-c', 'echo made > out.txt'], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const link = JSON.parse(readFileSync(join(dir, 'try.link'), 'utf8'));
    expect(link.signatures).toEqual([]);
    expect(Object.keys(link.signed.materials)).toEqual(['in.txt']);
    expect(Object.keys(link.signed.products).sort()).toEqual(['in.txt', 'out.txt']);
    expect(link.signed.byproducts.stdout).toBe('');
  });

  it('A-4: match-products exit 0 on the products, 1 when a file was tampered, 2 for an unreadable link', async () => {
    const up = testdir({ 'app.bin': 'binary', 'lib/x.so': 'lib' });
    expect(
      (await intotoAsync(['run', '-n', 'build', '-k', key, '-p', '.', '-x'], { cwd: up })).status
    ).toBe(0);
    const link = join(
      up,
      readdirSync(up).find((n) => n.endsWith('.link'))!
    );
    expect((await intotoAsync(['match-products', '-l', link], { cwd: up })).status).toBe(0);
    writeFileSync(join(up, 'app.bin'), 'trojan');
    writeFileSync(join(up, 'extra'), 'new');
    const r = await intotoAsync(['match-products', '-l', link, '--json'], { cwd: up });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.differ.map((d: { path: string }) => d.path)).toEqual(['app.bin']);
    expect(out.only_on_disk).toEqual(['extra']);
    expect(
      (await intotoAsync(['match-products', '-l', join(up, 'nope.link')], { cwd: up })).status
    ).toBe(2);
  });
});
