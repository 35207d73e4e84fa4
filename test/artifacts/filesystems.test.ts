/**
 * When a short read may be taken for the end of a file (filesystems.ts): mountinfo parsing, the
 * decision over the recorded roots, the roots a recording reads under, and what the confirming
 * read guards against (a FIFO whose writer pauses; procfs), on this machine's real mounts.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  currentMounts,
  EOF_EXACT_FS_TYPES,
  parseMountInfo,
  shortReadsEndFiles,
  type Mount,
} from '../../src/artifacts/filesystems.js';
import { recordedRoots } from '../../src/artifacts/record.js';
import { hashFiles, recordArtifacts } from '../../src/index.js';
import { testdir } from '../helpers/vectors.js';

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

describe('parseMountInfo', () => {
  it('reads mount point and type, decodes octal escapes, skips optional fields and bad lines', () => {
    const text = [
      '26 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '21 26 0:20 / /proc rw,relatime - proc proc rw',
      // optional fields (shared:N, master:N) come before the separator
      '40 26 0:40 / /mnt/my\\040share rw shared:5 master:1 - nfs4 srv:/x rw',
      '41 26 0:41 /sub /home/a\\134b\\011c rw - fuse.sshfs me@host: rw',
      'garbage',
      '42 26 0:42 / /no-separator rw ext4 x rw',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/', fsType: 'ext4' },
      { mountPoint: '/proc', fsType: 'proc' },
      { mountPoint: '/mnt/my share', fsType: 'nfs4' },
      { mountPoint: '/home/a\\b\tc', fsType: 'fuse.sshfs' },
    ]);
  });
});

describe('shortReadsEndFiles', () => {
  const m = (mountPoint: string, fsType: string): Mount => ({ mountPoint, fsType });
  const system = [m('/', 'ext4'), m('/proc', 'proc'), m('/sys', 'sysfs'), m('/tmp', 'tmpfs')];

  it('true when each root and everything mounted beneath it is a local or memory filesystem', () => {
    expect(shortReadsEndFiles(['/work/src'], system)).toBe(true);
    expect(shortReadsEndFiles(['/tmp/x', '/work'], system)).toBe(true);
    // /process is not /proc: mount points are compared by whole path components
    expect(shortReadsEndFiles(['/process'], system)).toBe(true);
    expect(shortReadsEndFiles(['/work'], [...system, m('/work/cache', 'overlay')])).toBe(true);
  });

  it('false for a root on, or with beneath it, a filesystem that may read short', () => {
    expect(shortReadsEndFiles(['/proc/self'], system)).toBe(false);
    expect(shortReadsEndFiles(['/'], system)).toBe(false); // /proc and /sys are beneath
    expect(shortReadsEndFiles(['/work'], [...system, m('/work/remote', 'nfs4')])).toBe(false);
    expect(shortReadsEndFiles(['/work'], [...system, m('/work', 'fuse.sshfs')])).toBe(false);
    expect(shortReadsEndFiles(['/work', '/mnt/c'], [...system, m('/mnt/c', '9p')])).toBe(false);
    // a single file bind-mounted from a FUSE filesystem into the tree
    expect(shortReadsEndFiles(['/work'], [...system, m('/work/a.bin', 'fuse')])).toBe(false);
  });

  it('two mounts on one point: both must qualify, the covered one too (kept simple, and safe)', () => {
    const stack = (a: string, b: string): Mount[] => [m('/', 'ext4'), m('/data', a), m('/data', b)];
    expect(shortReadsEndFiles(['/data/x'], stack('tmpfs', 'xfs'))).toBe(true);
    expect(shortReadsEndFiles(['/data/x'], stack('xfs', 'nfs'))).toBe(false);
    expect(shortReadsEndFiles(['/data/x'], stack('nfs', 'xfs'))).toBe(false);
    expect(shortReadsEndFiles(['/data'], stack('nfs', 'xfs'))).toBe(false);
    // older kernels list the initial ramfs under the real root
    expect(shortReadsEndFiles(['/work'], [m('/', 'rootfs'), m('/', 'ext4')])).toBe(true);
    // the root's own filesystem is the longest mount point above it
    expect(shortReadsEndFiles(['/data/x'], [m('/', 'nfs'), m('/data', 'xfs')])).toBe(true);
  });

  it('false when the mounts are unknown (not Linux) or list nothing', () => {
    expect(shortReadsEndFiles(['/work'], undefined)).toBe(false);
    expect(shortReadsEndFiles(['/work'], [])).toBe(false);
  });

  it('this machine: /proc is procfs, never trusted; the list of trusted types has no network or FUSE type', () => {
    const mounts = currentMounts();
    expect(mounts?.some((x) => x.mountPoint === '/proc' && x.fsType === 'proc')).toBe(true);
    expect(shortReadsEndFiles(['/proc'], mounts)).toBe(false);
    for (const t of [
      'nfs',
      'nfs4',
      'cifs',
      'smb3',
      'fuse',
      'fuseblk',
      '9p',
      'virtiofs',
      'proc',
      'sysfs',
    ])
      expect(EOF_EXACT_FS_TYPES.has(t)).toBe(false);
  });
});

describe('recordedRoots: every file a recording reads lies under one of them', () => {
  it('the base directory and each top-level path, resolved, once each; missing paths left out', () => {
    const dir = testdir({ 'src/a': 'a', 'other/b': 'b' });
    mkdirSync(join(dir, 'base'));
    symlinkSync(join(dir, 'other'), join(dir, 'base/link'));
    const base = join(dir, 'base');
    const real = (p: string): string => realpathSync(join(dir, p));
    expect(recordedRoots(base, real('base'), ['.', '../src', 'link', 'missing'], {})).toEqual([
      real('base'),
      real('src'),
      real('other'),
    ]);
  });

  it('a long list of files: their directories, once each (a path ending in /, . or .. is resolved whole)', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`d${i % 3}/f${i}`] = String(i);
    const dir = testdir(files);
    const real = realpathSync(dir);
    const odd = ['d1/..', 'd0/', './d2/f1', `${dir}/d1/f1`, 'top-level-file', 'nowhere/f'];
    const roots = recordedRoots(dir, real, [...Object.keys(files), ...odd], {});
    expect(roots.sort()).toEqual(
      [real, join(real, 'd0'), join(real, 'd1'), join(real, 'd2')].sort()
    );
  });

  it('with allowOutsideSymlinks a link may lead anywhere: the root is /', () => {
    const dir = testdir({ a: 'a' });
    expect(recordedRoots(dir, realpathSync(dir), ['a'], { allowOutsideSymlinks: true })).toEqual([
      '/',
    ]);
  });
});

describe('what the confirming read guards against', () => {
  it('a FIFO whose writer pauses: read to the end it is "changed", never its first part alone', async () => {
    const dir = testdir();
    const fifo = join(dir, 'fifo');
    const made = spawn('mkfifo', [fifo]);
    await new Promise((r) => made.on('exit', r));
    const write = (): void =>
      void spawn('sh', ['-c', `{ printf abc; sleep 0.3; printf def; } > '${fifo}'`], {
        stdio: 'ignore',
      });
    write();
    await expect(hashFiles([fifo])).rejects.toThrow(/fifo changed while it was being hashed/);
    // Taking the short read for the end (as on a local filesystem) would hash "abc".
    write();
    expect((await hashFiles([fifo], { shortReadsEndFiles: true }))[0].sha256).toBe(sha256('abc'));
  });

  it('procfs returns a short first read long before the end: recording there never hashes the part', async () => {
    // /proc/kallsyms: ~4 KiB a read, megabytes in all, st_size 0.
    const fd = openSync('/proc/kallsyms', 'r');
    const buf = Buffer.alloc(1 << 20);
    const first = readSync(fd, buf, 0, buf.length, null);
    const more = readSync(fd, buf, first, buf.length - first, null);
    closeSync(fd);
    expect(first).toBeLessThan(1 << 20);
    expect(more).toBeGreaterThan(0);
    // Read on past the short read: the size (0) then disagrees with the bytes read, an error naming
    // the file; never the digest of the first read.
    await expect(recordArtifacts(['kallsyms'], { basePath: '/proc' })).rejects.toThrow(
      /kallsyms changed while it was being hashed/
    );
  });

  it('on this machine the test directory qualifies, and digests are the same either way', async () => {
    const MiB = 1 << 20;
    const files = {
      empty: '',
      one: 'x',
      'just-under': 'u'.repeat(MiB - 1),
      exact: 'e'.repeat(MiB),
      over: 'o'.repeat(MiB + 1),
    };
    const dir = testdir(files);
    const real = realpathSync(dir);
    expect(shortReadsEndFiles([real], currentMounts())).toBe(true);
    const paths = Object.keys(files).map((f) => join(dir, f));
    const trusted = await hashFiles(paths, { shortReadsEndFiles: true });
    const careful = await hashFiles(paths, { shortReadsEndFiles: false });
    expect(trusted).toEqual(careful);
    expect(trusted.map((d) => d.sha256)).toEqual(Object.values(files).map(sha256));
    const recorded = await recordArtifacts(['.'], { basePath: dir });
    expect(
      Object.values(recorded.artifacts)
        .map((d) => d.sha256)
        .sort()
    ).toEqual(Object.values(files).map(sha256).sort());
  });
});
