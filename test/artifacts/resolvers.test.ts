import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { recordArtifacts, resolveOCI, RecordError } from '../../src/index.js';
import { testdir } from '../helpers/vectors.js';
// @ts-expect-error -- a plain JS example module without types
import { tar, writeImage } from '../../examples/demo/oci-image.mjs';

const writeOCI = writeImage as (
  dir: string,
  files: Record<string, string>
) => { manifest: string; layer: string };
const makeTar = tar as (files: Record<string, Buffer>) => Buffer;

describe('dir: resolver', () => {
  for (const [name, files] of [
    ['simple', { 'a.txt': 'a', 'b/c.txt': 'c' }],
    [
      'spaces, unicode, hidden, empty',
      { 'with space.txt': 'x', 'ü/é.txt': 'u', '.hidden': 'h', empty: '', 'Z/a': '1', 'a/Z': '2' },
    ],
  ] as const) {
    it(`equals find | LC_ALL=C sort | xargs sha256sum | sha256sum (${name})`, async () => {
      const base = testdir();
      const tree = join(base, 'tree');
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(join(tree, p, '..'), { recursive: true });
        writeFileSync(join(tree, p), c);
      }
      const shell = spawnSync(
        'sh',
        [
          '-c',
          "find . -type f | cut -c3- | LC_ALL=C sort | tr '\\n' '\\0' | xargs -0 -r sha256sum | sha256sum",
        ],
        { cwd: tree, encoding: 'utf8' }
      );
      const r = await recordArtifacts(['dir:tree'], { basePath: base });
      expect(r.artifacts).toEqual({ 'dir:tree': { sha256: shell.stdout.split(' ')[0] } });
    });
  }
});

describe('git: resolver', () => {
  it('resolves HEAD, a branch and a tag to their commit; --git-tracked-only records tracked files only', async () => {
    const dir = testdir({ 'a.txt': 'a', 'untracked.txt': 'u' });
    const git = simpleGit(dir);
    await git.init();
    await git.addConfig('user.email', 'demo@example.invalid').addConfig('user.name', 'demo');
    await git.add('a.txt');
    await git.commit('first');
    await git.addTag('v1');
    writeFileSync(join(dir, 'a.txt'), 'a2');
    await git.add('a.txt');
    await git.commit('second');
    const head = (await git.revparse(['HEAD'])).trim();
    const v1 = (await git.revparse(['v1^{commit}'])).trim();
    const branch = (await git.branchLocal()).current;
    const r = await recordArtifacts(['git:HEAD', 'git:v1', `git:${branch}`], { basePath: dir });
    expect(r.artifacts).toEqual({
      'git:HEAD': { sha1: head },
      'git:v1': { sha1: v1 },
      [`git:${branch}`]: { sha1: head },
    });
    const tracked = await recordArtifacts(['.'], { basePath: dir, gitTrackedOnly: true });
    expect(Object.keys(tracked.artifacts)).toEqual(['a.txt']);
    await expect(recordArtifacts(['git:nope'], { basePath: dir })).rejects.toThrow(
      /no such revision/
    );
  });

  it('refuses clearly outside a repository', async () => {
    await expect(recordArtifacts(['git:HEAD'], { basePath: testdir() })).rejects.toThrow(
      /not inside a git repository/
    );
  });
});

describe('oci: resolver', () => {
  it('records the manifest digest of an OCI image layout (checked with skopeo) and of a tar of it', async () => {
    const base = testdir();
    const { manifest } = writeOCI(join(base, 'image'), { 'app/app.js': 'console.log(1)\n' });
    const r = await recordArtifacts(['oci:image'], { basePath: base, ociBlobs: true });
    expect(r.artifacts['oci:image']).toEqual({ sha256: manifest.slice(7) });
    expect(Object.keys(r.artifacts).filter((k) => k.startsWith('oci:image@sha256:'))).toHaveLength(
      3
    );
    if (existsSync('/usr/bin/skopeo')) {
      const s = spawnSync('/usr/bin/skopeo', ['inspect', `oci:${join(base, 'image')}`], {
        encoding: 'utf8',
      });
      expect(s.status, s.stderr).toBe(0);
      expect(JSON.parse(s.stdout).Digest).toBe(manifest);
    } else if (process.env.CI) throw new Error('skopeo is missing: .ci/run installs it');
    // The same layout as a tar (the form docker save writes).
    const entries: Record<string, Buffer> = {};
    const walk = (rel: string) => {
      for (const e of readdirSync(join(base, 'image', rel), { withFileTypes: true })) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(p);
        else entries[p] = readFileSync(join(base, 'image', p));
      }
    };
    walk('');
    writeFileSync(join(base, 'image.tar'), makeTar(entries));
    expect(
      (await recordArtifacts(['oci:image.tar'], { basePath: base })).artifacts['oci:image.tar']
    ).toEqual({ sha256: manifest.slice(7) });
  });

  it('a swapped layer is detected even though index.json is unchanged', () => {
    const base = testdir();
    const { layer } = writeOCI(join(base, 'image'), { 'app/app.js': 'good\n' });
    writeFileSync(join(base, 'image', 'blobs', 'sha256', layer.slice(7)), 'evil layer');
    expect(() => resolveOCI('image', base)).toThrow(RecordError);
    expect(() => resolveOCI('image', base)).toThrow(/does not match its digest/);
    expect(() => resolveOCI('missing', base)).toThrow(/no such directory/);
  });
});
