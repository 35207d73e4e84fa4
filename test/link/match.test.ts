/** matchProducts as a library: plain paths, ITE-4 names (dir:, oci: blobs) and custom resolvers. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { Link, matchProducts, recordArtifacts } from '../../src/index.js';
import { testdir } from '../helpers/vectors.js';
// @ts-expect-error -- a plain JS example module without types
import { writeImage } from '../../examples/demo/oci-image.mjs';

const writeOCI = writeImage as (dir: string, files: Record<string, string>) => unknown;

async function linkOf(base: string, paths: string[], ociBlobs = false): Promise<Link> {
  const r = await recordArtifacts(paths, { basePath: base, ociBlobs });
  return new Link({ name: 'up', products: r.artifacts });
}

describe('matchProducts', () => {
  it('git: products sit beside files: their sha1 is the commit, not a file hash to ask for', async () => {
    const base = testdir({ 'src/a.c': 'int a;' });
    const git = simpleGit({ baseDir: base });
    await git.init();
    await git.addConfig('user.name', 'Test');
    await git.addConfig('user.email', 'test@example.org');
    await git.add('.');
    await git.commit('first');
    const link = await linkOf(base, ['git:HEAD', 'src']);
    expect(Object.keys(link.products['git:HEAD'])).toEqual(['sha1']);
    expect(await matchProducts(link, { basePath: base })).toEqual({
      onlyInLink: [],
      onlyOnDisk: [],
      differ: [],
    });
    writeFileSync(join(base, 'src/a.c'), 'int b;');
    await git.add('.');
    await git.commit('second');
    const r = await matchProducts(link, { basePath: base });
    expect(r.differ.map((d) => d.path)).toEqual(['git:HEAD', 'src/a.c']);
  });

  it('dir: products are re-resolved; only they are compared when the link has nothing else', async () => {
    const base = testdir({ 'dist/a': 'a', 'dist/b/c': 'c', 'other.txt': 'o' });
    const link = await linkOf(base, ['dir:dist']);
    const same = await matchProducts(link, { basePath: base });
    expect(same).toEqual({ onlyInLink: [], onlyOnDisk: [], differ: [] });
    writeFileSync(join(base, 'dist/b/c'), 'changed');
    const r = await matchProducts(link, { basePath: base });
    expect(r.differ.map((d) => d.path)).toEqual(['dir:dist']);
    expect(r.onlyOnDisk).toEqual([]);
  });

  it('a missing dir: is only in the link, with the reason as a warning', async () => {
    const base = testdir({ 'x/y': '1' });
    const link = await linkOf(base, ['dir:x', 'x/y']);
    const warnings: string[] = [];
    const gone = testdir({ 'x/y': '1' });
    writeFileSync(join(gone, 'not-x'), '');
    const r = await matchProducts(
      new Link({
        name: 'up',
        products: { ...link.products, 'dir:nope': { sha256: '0'.repeat(64) } },
      }),
      { basePath: gone, onWarning: (m) => warnings.push(m) }
    );
    expect(r.onlyInLink).toEqual(['dir:nope']);
    expect(r.onlyOnDisk).toEqual(['not-x']);
    expect(warnings.join('\n')).toMatch(/dir:nope/);
  });

  it('oci: manifests and blobs are compared; a changed layer shows up', async () => {
    const base = testdir();
    writeOCI(join(base, 'img'), { 'app/run.sh': 'echo hi' });
    const link = await linkOf(base, ['oci:img'], true);
    expect(Object.keys(link.products).length).toBeGreaterThan(2);
    expect(await matchProducts(link, { basePath: base })).toEqual({
      onlyInLink: [],
      onlyOnDisk: [],
      differ: [],
    });
    const other = testdir();
    writeOCI(join(other, 'img'), { 'app/run.sh': 'echo evil' });
    const r = await matchProducts(link, { basePath: other });
    expect(r.differ.map((d) => d.path)).toContain('oci:img');
    expect(r.onlyInLink.length).toBeGreaterThan(0);
  });

  it('a custom resolver handles its scheme; unknown schemes are plain paths', async () => {
    const base = testdir({ 'pkg:thing': 'p' });
    const link = new Link({
      name: 'up',
      products: {
        's3:bucket/key': { sha256: 'a'.repeat(64) },
        'pkg:thing': (await recordArtifacts(['pkg:thing'], { basePath: base })).artifacts[
          'pkg:thing'
        ],
      },
    });
    const seen: [string, readonly string[]][] = [];
    const r = await matchProducts(link, {
      basePath: base,
      resolvers: {
        s3: (name, algorithms) => {
          seen.push([name, algorithms]);
          return Promise.resolve({ sha256: 'a'.repeat(64) });
        },
      },
    });
    expect(r).toEqual({ onlyInLink: [], onlyOnDisk: [], differ: [] });
    expect(seen).toEqual([['s3:bucket/key', ['sha256']]]);
  });
});
