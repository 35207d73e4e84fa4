/**
 * Every way `verifyLayout` refuses a chain, in-process (so the failure paths are measured by CI's
 * coverage): the report's verdict, failure code, message and hint, on real signed metadata.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  Metablock,
  UsageError,
  checkLayoutDigest,
  verifyLayout,
  type VerificationReport,
  type VerifyOptions,
} from '../../src/index.js';
import { testdir } from '../helpers/vectors.js';
import {
  H,
  layoutBody,
  linkBody,
  linkFile,
  party,
  signed,
  write,
  type Party,
} from '../helpers/chain.js';

let owner: Party;
let alice: Party;
let bob: Party;
let mallory: Party;

beforeAll(() => {
  owner = party();
  alice = party();
  bob = party();
  mallory = party();
});

const quiet = () => new PassThrough().resume();

/** Verifies `layout` (signed by owner unless `layoutSigners`) over the links written to a fresh dir. */
async function verify(
  layout: Record<string, unknown>,
  links: [string, Record<string, unknown> | string, Party[]][] = [],
  options: Partial<VerifyOptions> & { layoutSigners?: Party[] } = {}
): Promise<VerificationReport & { dir: string }> {
  const dir = testdir();
  for (const [file, body, by] of links)
    write(dir, file, typeof body === 'string' ? body : await signed(body, by));
  const env = await signed(layout, options.layoutSigners ?? [owner]);
  const report = await verifyLayout(env, {
    layoutKeys: [owner.pub],
    linkDir: dir,
    cwd: dir,
    inspectionStdout: quiet(),
    inspectionStderr: quiet(),
    ...options,
  });
  return { ...report, dir };
}

const build = () =>
  layoutBody([{ name: 'build', keys: [alice], products: [['ALLOW', '*']] }]) as Record<
    string,
    unknown
  >;

const buildLink = (extra: Record<string, unknown> = {}) =>
  [linkFile('build', alice), linkBody('build', {}, { app: H('a') }, extra), [alice]] as [
    string,
    Record<string, unknown>,
    Party[],
  ];

describe('the layout itself', () => {
  it('a layout signed by another key: "no signature by key", with what to check', async () => {
    const r = await verify(build(), [buildLink()], { layoutSigners: [mallory] });
    expect(r.ok).toBe(false);
    expect(r.failure?.code).toBe('SIGNATURE_VERIFICATION_ERROR');
    expect(r.failure?.message).toMatch(/no signature by key [0-9a-f]{8}/);
    expect(r.failure?.hint).toMatch(/-k names the project owner key/);
  });

  it('a layout changed after signing: "the signature … is invalid"', async () => {
    const env = await signed(build(), [owner]);
    const doc = JSON.parse(env.toFileText());
    doc.signed.readme = 'changed';
    const tampered = new Metablock(doc.signed, doc.signatures);
    const r = await verifyLayout(tampered, { layoutKeys: [owner.pub], linkDir: testdir() });
    expect(r.failure?.message).toMatch(/the signature by key [0-9a-f]{8} is invalid/);
    expect(r.failure?.hint).toMatch(/changed after signing/);
  });

  it('a signed link given as the layout is refused as "not a layout"', async () => {
    const env = await signed(linkBody('build'), [owner]);
    const r = await verifyLayout(env, { layoutKeys: [owner.pub], layoutPath: 'x.layout' });
    expect(r.failure?.code).toBe('EVIDENCE_ERROR');
    expect(r.failure?.message).toBe('x.layout is not a layout (its _type is "link")');
  });

  it('a malformed layout body fails with the JSON path', async () => {
    const r = await verify({ ...build(), steps: 'none' });
    expect(r.failure?.code).toBe('EVIDENCE_ERROR');
    expect(r.failure?.message).toMatch(/signed\.steps/);
  });

  it('keys: unusable key material, a keyid field that disagrees, a forged keyid', async () => {
    const id = alice.pub.keyID;
    const dict = alice.pub.toPublicDict();
    const bad = await verify({
      ...build(),
      keys: { [id]: { ...dict, keyval: { public: 'not a key' } } },
    });
    expect(bad.failure?.message).toMatch(/layout key [0-9a-f]{8} is not a usable public key/);

    const other = await verify({ ...build(), keys: { [id]: { ...dict, keyid: 'ab'.repeat(32) } } });
    expect(other.failure?.message).toMatch(/says its keyid is "abababab/);

    const forged = 'cd'.repeat(32);
    const f = await verify({
      ...layoutBody([]),
      keys: { [forged]: { ...dict, keyid: forged } },
      steps: [
        {
          _type: 'step',
          name: 'build',
          threshold: 1,
          pubkeys: [forged],
          expected_command: [],
          expected_materials: [],
          expected_products: [],
        },
      ],
    });
    expect(f.failure?.message).toMatch(/layout key cdcdcdcd does not match its key material/);
    expect(f.failure?.hint).toMatch(/forged keyid/);
  });

  it('a malformed rule, an empty inspection run and an empty layout fail before any link is read', async () => {
    const rule = await verify(
      layoutBody([{ name: 'build', keys: [alice], products: [['MATCH', 'x', 'WITH']] }])
    );
    expect(rule.failure?.code).toBe('EVIDENCE_ERROR');
    expect(rule.failure?.message).toMatch(/build\.expected_products\[0\]/);

    const empty = await verify(layoutBody([], [{ name: 'check', run: [] }]));
    expect(empty.failure?.message).toBe('inspection check has an empty run: nothing to execute');

    const nothing = await verify(layoutBody([]));
    expect(nothing.failure?.message).toMatch(/no steps and no inspections: it verifies nothing/);
    expect(nothing.failure?.hint).toMatch(/--allow-empty-layout/);
    expect((await verify(layoutBody([]), [], { allowEmptyLayout: true })).ok).toBe(true);
  });

  it('parameters: a malformed placeholder and a lone } fail naming the text', async () => {
    const withRule = (r: string[]) => layoutBody([{ name: 'build', keys: [alice], products: [r] }]);
    const a = await verify(withRule(['ALLOW', '{bad name}']), [], { params: {} });
    expect(a.failure?.message).toMatch(/cannot substitute "\{bad name\}"/);
    const b = await verify(withRule(['ALLOW', 'x}']), [], { params: {} });
    expect(b.failure?.message).toMatch(/a lone "}" in "x}"/);
  });

  it('A-7: checkLayoutDigest pins the file bytes; a malformed pin is the caller’s mistake', () => {
    const bytes = Buffer.from('layout bytes');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const sha512 = createHash('sha512').update(bytes).digest('hex');
    expect(() => checkLayoutDigest(bytes, `sha256:${sha256}`)).not.toThrow();
    expect(() => checkLayoutDigest(bytes, `sha512:${sha512.toUpperCase()}`)).not.toThrow();
    expect(() => checkLayoutDigest(bytes, `sha256:${'0'.repeat(64)}`, 'root.layout')).toThrow(
      `root.layout is not the pinned layout: its sha256 is ${sha256}, expected ${'0'.repeat(64)}`
    );
    expect(() => checkLayoutDigest(bytes, 'sha256:abc')).toThrow(UsageError);
    expect(() => checkLayoutDigest(bytes, `md5:${sha256}`)).toThrow(UsageError);
  });

  it('A-7 in the pipeline: the pin is checked first, and not for sublayouts', async () => {
    const r = await verify(build(), [buildLink()], {
      layoutDigest: { bytes: Buffer.from('other'), expected: `sha256:${'1'.repeat(64)}` },
    });
    expect(r.failure?.code).toBe('LAYOUT_DIGEST_MISMATCH');
    expect(r.steps.length).toBe(0);
  });
});

describe('links', () => {
  it('a link signed by the wrong key, a changed link, a malformed link, a link of another step', async () => {
    const layout = build();
    const file = linkFile('build', alice);
    const cases: [string, Record<string, unknown> | string, Party[], RegExp][] = [
      [file, linkBody('build', {}, { app: H('a') }), [mallory], /not signed by [0-9a-f]{8}/],
      [file, linkBody('build', {}, { app: 'x' }), [alice], /malformed link: .*products/],
      [file, linkBody('test', {}, {}), [alice], /its name is "test", not "build"/],
      [
        file,
        linkBody('build', {}, { 'a/../app': H('a') }),
        [alice],
        /non-canonical artifact path "a\/\.\.\/app"/,
      ],
    ];
    for (const [f, body, by, reason] of cases) {
      const r = await verify(layout, [[f, body, by]]);
      expect(r.failure?.code).toBe('THRESHOLD_VERIFICATION_ERROR');
      expect(r.failure?.message).toMatch(reason);
      expect(r.steps[0].links?.[0].status).toBe('rejected');
    }
    // Changed after signing: the signature no longer holds.
    const dir = testdir();
    const env = await signed(linkBody('build', {}, { app: H('a') }), [alice]);
    const doc = JSON.parse(env.toFileText());
    doc.signed.products.app = H('b');
    writeFileSync(join(dir, file), JSON.stringify(doc));
    const r = await verifyLayout(await signed(layout, [owner]), {
      layoutKeys: [owner.pub],
      linkDir: dir,
    });
    expect(r.failure?.message).toMatch(
      /invalid signature by [0-9a-f]{8} \(changed after signing, or forged\)/
    );
  });

  it('a link that is not metadata, and one over the size limit', async () => {
    const notJSON = await verify(build(), [[linkFile('build', alice), '{"signed": ', []]]);
    expect(notJSON.failure?.code).toBe('EVIDENCE_ERROR');
    expect(notJSON.failure?.message).toMatch(/build\.[0-9a-f]{8}\.link is not valid metadata/);
    const big = await verify(build(), [buildLink()], { limits: { maxMetadataBytes: 100 } });
    expect(big.failure?.code).toBe('LIMIT_ERROR');
    expect(big.failure?.message).toMatch(/bytes exceeds the limit of 100/);
  });

  it('more artifacts than limits.maxArtifactsPerLink rejects the link', async () => {
    const r = await verify(build(), [buildLink()], { limits: { maxArtifactsPerLink: 0 } });
    expect(r.failure?.message).toMatch(/1 artifacts exceed the limit of 0/);
  });

  it('a missing link names the files expected, and a stray one signed under another keyid', async () => {
    const r = await verify(build(), [
      [linkFile('build', mallory), linkBody('build', {}, {}), [mallory]],
    ]);
    expect(r.failure?.code).toBe('LINK_NOT_FOUND');
    expect(r.failure?.message).toContain(
      `(${linkFile('build', mallory)} is there, but signed under a keyid the layout does not authorise for build)`
    );
    expect(r.failure?.hint).toContain(`expected ${linkFile('build', alice)}`);
  });

  it('D-1: one key listed under both of its keyids counts once toward a threshold of 2', async () => {
    const legacy = alice.pub.keyID;
    const dict = alice.pub.toPublicDict();
    const newID = alice.pub.keyIDs.new;
    const layout = {
      ...layoutBody([{ name: 'build', keys: [alice], products: [['ALLOW', '*']] }]),
      keys: {
        [legacy]: dict,
        [newID]: { keytype: dict.keytype, scheme: dict.scheme, keyval: dict.keyval, keyid: newID },
      },
    };
    (layout.steps[0] as { pubkeys: string[]; threshold: number }).pubkeys = [legacy, newID];
    // The layout validation already sees that both ids are one key: threshold 2 can never be met.
    (layout.steps[0] as { threshold: number }).threshold = 2;
    const r = await verify(layout, [
      [`build.${legacy.slice(0, 8)}.link`, linkBody('build', {}, { app: H('a') }), [alice]],
    ]);
    expect(r.failure?.message).toMatch(/threshold 2 can never be met: only 1 distinct key/);
  });

  it('a directory or an unreadable file where a link should be is evidence, not a crash', async () => {
    const dir = testdir();
    mkdirSync(join(dir, linkFile('build', alice)));
    const r = await verifyLayout(await signed(build(), [owner]), {
      layoutKeys: [owner.pub],
      linkDir: dir,
    });
    expect(r.failure?.code).toBe('EVIDENCE_ERROR');
    expect(r.failure?.message).toMatch(
      /build\.[0-9a-f]{8}\.link cannot be read: it is a directory, not a file/
    );
    expect(r.failure?.step).toBe('build');
  });

  it('a device or a FIFO where a link should be is refused at once, never read (no hang)', async () => {
    const layout = await signed(build(), [owner]);
    for (const [kind, make] of [
      ['a device', (p: string) => symlinkSync('/dev/zero', p)],
      ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ] as const) {
      const dir = testdir();
      make(join(dir, linkFile('build', alice)));
      const r = await verifyLayout(layout, { layoutKeys: [owner.pub], linkDir: dir });
      expect(r.failure?.code, kind).toBe('EVIDENCE_ERROR');
      expect(r.failure?.message).toMatch(new RegExp(`cannot be read: it is ${kind}, not a file`));
    }
  });

  it('a link directory that does not exist: link not found, naming the file expected', async () => {
    const dir = join(testdir(), 'absent');
    const r = await verifyLayout(await signed(build(), [owner]), {
      layoutKeys: [owner.pub],
      linkDir: dir,
    });
    expect(r.failure?.code).toBe('LINK_NOT_FOUND');
    expect(r.failure?.message).toBe(
      `step build needs 1 link(s), found 0 in ${dir} (the directory does not exist)`
    );
    expect(r.steps[0].links).toEqual([
      { file: join(dir, linkFile('build', alice)), keyid: alice.pub.keyID, status: 'missing' },
    ]);
  });

  it('D-1: the same key signing two files under its two keyids is not counted twice', async () => {
    // Threshold 2 over three keyids (alice twice, bob) can be met, but not by alice alone.
    const newID = alice.pub.keyIDs.new;
    const layout = layoutBody([
      { name: 'build', keys: [alice, bob], threshold: 2, products: [['ALLOW', '*']] },
    ]);
    layout.keys[newID] = alice.pub.withKeyIDFormat('new').toPublicDict();
    (layout.steps[0] as { pubkeys: string[] }).pubkeys.push(newID);
    const body = linkBody('build', {}, { app: H('a') });
    const r = await verify(layout, [
      [linkFile('build', alice), body, [alice]],
      [`build.${newID.slice(0, 8)}.link`, body, [alice]],
    ]);
    expect(r.failure?.code).toBe('THRESHOLD_VERIFICATION_ERROR');
    expect(r.steps[0].links?.map((l) => l.status)).toEqual(['counted', 'missing', 'rejected']);
    expect(r.steps[0].links?.[2].reason).toBe(
      'same key as another counted link (one key listed under two keyids counts once)'
    );
    const withBob = await verify(layout, [
      [linkFile('build', alice), body, [alice]],
      [linkFile('build', bob), body, [bob]],
    ]);
    expect(withBob.ok, JSON.stringify(withBob.failure)).toBe(true);
  });

  it('A-8 / A-3: links checked for their run id and recorded excludes', async () => {
    const env = (e: Record<string, unknown>) => buildLink({ environment: e });
    const cases: [Record<string, unknown>, Partial<VerifyOptions>, RegExp | null][] = [
      [{ run_id: '7' }, { requireRunId: '7' }, null],
      [{}, { requireRunId: '7' }, /records no run id \(--require-run-id 7\)/],
      [{ run_id: '6' }, { requireRunId: '7' }, /was recorded in run "6", not "7" \(replayed/],
      [{ excludes: [] }, { denyExcludes: true }, null],
      [{}, { denyExcludes: true }, /does not record its exclude patterns/],
      [{ excludes: '*' }, { denyExcludes: true }, /does not record its exclude patterns/],
      [
        { excludes: ['*.pyc'] },
        { denyExcludes: true },
        /exclude patterns "\*\.pyc": files matching/,
      ],
      [{ excludes: ['*.pyc'] }, {}, null],
    ];
    for (const [e, options, failure] of cases) {
      const r = await verify(build(), [env(e)], options);
      if (failure === null) expect(r.ok, JSON.stringify(r.failure)).toBe(true);
      else expect(r.failure?.message).toMatch(failure);
    }
  });
});

describe('rules, sublayouts, inspections, limits', () => {
  const twoSteps = (packageMaterials: string[][]) =>
    layoutBody([
      { name: 'build', keys: [alice], products: [['ALLOW', '*']] },
      { name: 'package', keys: [bob], materials: packageMaterials },
    ]);

  it('a MATCH whose artifact is missing from the other step says so', async () => {
    const r = await verify(
      twoSteps([
        ['MATCH', 'app', 'WITH', 'PRODUCTS', 'FROM', 'build'],
        ['DISALLOW', '*'],
      ]),
      [
        [linkFile('build', alice), linkBody('build', {}, {}), [alice]],
        [linkFile('package', bob), linkBody('package', { app: H('a') }, {}), [bob]],
      ]
    );
    expect(r.failure?.code).toBe('RULE_VERIFICATION_ERROR');
    expect(r.failure?.artifacts?.[0].explanation).toMatch(/not among the products of build/);
    expect(r.failure?.hint).toMatch(/an artifact changed between steps/);
  });

  it('a MATCH from a step that has no link (a typo in FROM) says so', async () => {
    const r = await verify(
      twoSteps([
        ['MATCH', 'app', 'WITH', 'PRODUCTS', 'FROM', 'buidl'],
        ['DISALLOW', '*'],
      ]),
      [
        [linkFile('build', alice), linkBody('build', {}, { app: H('a') }), [alice]],
        [linkFile('package', bob), linkBody('package', { app: H('a') }, {}), [bob]],
      ]
    );
    expect(r.failure?.artifacts?.[0]).toMatchObject({
      path: 'app',
      here: H('a'),
      explanation: 'MATCH app WITH PRODUCTS FROM buidl found no link for buidl',
    });
  });

  it('REQUIRE that finds nothing names the artifact and what to check', async () => {
    const r = await verify(
      layoutBody([{ name: 'build', keys: [alice], products: [['REQUIRE', 'app.tar']] }]),
      [buildLink()]
    );
    expect(r.failure?.message).toBe("build products: 'REQUIRE app.tar' did not find app.tar");
    expect(r.failure?.hint).toMatch(/missing or was consumed by an earlier rule/);
  });

  it('a DISALLOW hit lists at most five artifacts, then …', async () => {
    const products = Object.fromEntries([...'abcdefg'].map((c, i) => [c, H(String(i))]));
    const r = await verify(
      layoutBody([{ name: 'build', keys: [alice], products: [['DISALLOW', '*']] }]),
      [[linkFile('build', alice), linkBody('build', {}, products), [alice]]]
    );
    expect(r.failure?.message).toBe(
      "build products: 'DISALLOW *' matched 7 artifact(s): a, b, c, d, e, …"
    );
    expect(r.failure?.hint).toMatch(/appeared that no rule allows/);
  });

  it('strict: a MATCH that selected nothing fails', async () => {
    // Every list closed, so --strict has only the MATCH to complain about.
    const closed = [['DISALLOW', '*']];
    const layout = layoutBody([
      { name: 'build', keys: [alice], materials: closed, products: [['ALLOW', 'app'], ...closed] },
      {
        name: 'package',
        keys: [bob],
        materials: [
          ['MATCH', 'nothing/*', 'WITH', 'PRODUCTS', 'FROM', 'build'],
          ['ALLOW', '*'],
          ...closed,
        ],
        products: closed,
      },
    ]);
    const links: [string, Record<string, unknown>, Party[]][] = [
      [linkFile('build', alice), linkBody('build', {}, { app: H('a') }), [alice]],
      [linkFile('package', bob), linkBody('package', { app: H('a') }, {}), [bob]],
    ];
    const warned = await verify(layout, links);
    expect(warned.ok).toBe(true);
    expect(warned.warnings.join('\n')).toMatch(
      /'MATCH nothing\/\* WITH PRODUCTS FROM build' selected nothing/
    );
    const strict = await verify(layout, links, { strict: true });
    expect(strict.failure?.message).toMatch(/selected nothing in its materials \(--strict\)/);
  });

  it('a total-time limit that has passed fails with the limit named', async () => {
    // The clock jumps a minute at every reading, so the deadline has passed after the first step
    // however fast the machine (a tiny limit alone would depend on the clock's millisecond ticks).
    let t = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => (t += 60_000));
    try {
      const r = await verify(build(), [buildLink()], { limits: { verifyTimeoutSeconds: 30 } });
      expect(r.failure?.code).toBe('LIMIT_ERROR');
      expect(r.failure?.message).toBe(
        'verification took longer than 30 s (limits.verifyTimeoutSeconds)'
      );
      expect(r.failure?.step).toBe('build');
    } finally {
      clock.mockRestore();
    }
    const unlimited = await verify(build(), [buildLink()], { limits: { verifyTimeoutSeconds: 0 } });
    expect(unlimited.ok, JSON.stringify(unlimited.failure)).toBe(true);
  });

  it('sublayouts: verified with the functionary key from <step>.<kid8>/; a failure inside is named', async () => {
    const sub = layoutBody([{ name: 'compile', keys: [bob], products: [['ALLOW', '*']] }]);
    const layout = layoutBody([{ name: 'build', keys: [alice], products: [['ALLOW', '*']] }]);
    const subdir = `build.${alice.pub.keyID.slice(0, 8)}`;
    const good = await verify(layout, [
      [linkFile('build', alice), sub, [alice]],
      [`${subdir}/${linkFile('compile', bob)}`, linkBody('compile', {}, { app: H('a') }), [bob]],
    ]);
    expect(good.ok, JSON.stringify(good.failure)).toBe(true);
    expect(good.steps[0].sublayout?.steps[0].name).toBe('compile');

    const bad = await verify(layout, [[linkFile('build', alice), sub, [alice]]]);
    expect(bad.failure?.message).toMatch(/^sublayout of step build: step compile needs 1 link/);
    expect(bad.steps[0].sublayout?.ok).toBe(false);

    const withInspection = layoutBody(
      [{ name: 'compile', keys: [bob] }],
      [{ name: 'pwn', run: ['touch', 'pwned'] }]
    );
    const h1 = await verify(layout, [
      [linkFile('build', alice), withInspection, [alice]],
      [`${subdir}/${linkFile('compile', bob)}`, linkBody('compile'), [bob]],
    ]);
    expect(h1.failure?.message).toMatch(
      /the sublayout has 1 inspection\(s\), which would run commands/
    );
    expect(h1.failure?.hint).toMatch(/--allow-sublayout-inspections/);
  });

  it('a sublayout stands for its step: the outer rules see its first materials and last products', async () => {
    const sub = layoutBody([
      { name: 'fetch', keys: [bob], products: [['ALLOW', '*']] },
      { name: 'compile', keys: [bob], products: [['ALLOW', '*']] },
    ]);
    const outer = layoutBody([
      {
        name: 'build',
        keys: [alice],
        materials: [
          ['ALLOW', 'src.c'],
          ['DISALLOW', '*'],
        ],
        products: [
          ['ALLOW', 'app'],
          ['DISALLOW', '*'],
        ],
      },
    ]);
    const subdir = `build.${alice.pub.keyID.slice(0, 8)}`;
    const chain = (
      compiled: Record<string, unknown>
    ): [string, Record<string, unknown>, Party[]][] => [
      [linkFile('build', alice), sub, [alice]],
      [
        `${subdir}/${linkFile('fetch', bob)}`,
        linkBody('fetch', { 'src.c': H('1') }, { x: H('2') }),
        [bob],
      ],
      [
        `${subdir}/${linkFile('compile', bob)}`,
        linkBody('compile', { x: H('2') }, compiled),
        [bob],
      ],
    ];
    // fetch's product x is neither the first materials nor the last products: the outer rules pass.
    const good = await verify(outer, chain({ app: H('3') }));
    expect(good.ok, JSON.stringify(good.failure)).toBe(true);
    expect(good.steps[0]).toMatchObject({ ok: true, signers: [alice.pub.keyID] });
    expect(good.steps[0].sublayout?.steps.map((s) => s.name)).toEqual(['fetch', 'compile']);
    // A product the outer step does not allow, recorded inside the sublayout, fails outside it.
    const extra = await verify(outer, chain({ app: H('3'), 'evil.sh': H('4') }));
    expect(extra.failure).toMatchObject({
      code: 'RULE_VERIFICATION_ERROR',
      step: 'build',
      kind: 'products',
      artifacts: [{ path: 'evil.sh', here: H('4') }],
    });
    expect(extra.steps[0].sublayout?.ok).toBe(true);
  });

  it('a sublayout: its warnings are prefixed in the outer report, params are not applied inside, and its inspections run when allowed', async () => {
    const sub = layoutBody(
      // Substituted with the outer params, CREATE {X} would become CREATE other: DISALLOW fires.
      [
        {
          name: 'compile',
          keys: [bob],
          products: [
            ['CREATE', '{X}'],
            ['DISALLOW', '*'],
          ],
        },
      ],
      [{ name: 'mark', run: ['touch', 'marked'], products: [['ALLOW', '*']] }]
    );
    const layout = layoutBody([{ name: 'build', keys: [alice], products: [['ALLOW', '*']] }]);
    const subdir = `build.${alice.pub.keyID.slice(0, 8)}`;
    const r = await verify(
      layout,
      [
        [linkFile('build', alice), sub, [alice]],
        [
          `${subdir}/${linkFile('compile', bob)}`,
          linkBody('compile', {}, { '{X}': H('a') }),
          [bob],
        ],
      ],
      { params: { X: 'other' }, allowSublayoutInspections: true }
    );
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    expect(existsSync(join(r.dir, 'marked'))).toBe(true);
    expect(r.steps[0].sublayout?.inspections[0]).toMatchObject({ name: 'mark', ok: true });
    expect(r.warnings.filter((w) => w.startsWith('sublayout build: '))).toEqual([
      'sublayout build: 3 rule list(s) do not end in DISALLOW, so anything their rules do not consume is allowed (implicit ALLOW *): compile materials, mark materials, mark products',
    ]);
  });

  it('a failing inspection stops there: the ones after it do not run', async () => {
    const r = await verify(
      layoutBody(
        [],
        [
          { name: 'first', run: ['false'] },
          { name: 'second', run: ['touch', 'ran'] },
        ]
      )
    );
    expect(r.failure?.message).toBe('inspection first: false exited 1');
    expect(r.inspections.map((i) => [i.name, i.ok, i.return_value])).toEqual([
      ['first', false, 1],
      ['second', false, undefined],
    ]);
    expect(existsSync(join(r.dir, 'ran'))).toBe(false);
  });

  it('an inspection whose program does not exist fails naming it', async () => {
    const r = await verify(layoutBody([], [{ name: 'check', run: ['no-such-program-xyz'] }]));
    expect(r.failure?.code).toBe('INSPECTION_ERROR');
    expect(r.failure?.message).toMatch(/^inspection check: .*no-such-program-xyz/);
    expect(r.inspections[0].failure).toBe(r.failure);
  });

  it('an inspection that cannot be started at all (a NUL byte in its run) fails, not crashes', async () => {
    const r = await verify(layoutBody([], [{ name: 'nul', run: ['echo', 'a\u0000b'] }]));
    expect(r.failure?.code).toBe('INSPECTION_ERROR');
    expect(r.failure?.message).toMatch(/^inspection nul cannot be run: .*null bytes/);
    expect(r.inspections[0].failure).toBe(r.failure);
  });

  it('--deny-excludes makes inspections record without patterns (a *.pyc file is seen)', async () => {
    const layout = layoutBody(
      [],
      [
        {
          name: 'look',
          run: ['true'],
          materials: [
            ['DISALLOW', '*.pyc'],
            ['ALLOW', '*'],
          ],
        },
      ]
    );
    const dir = testdir({ 'x.pyc': 'p' });
    const env = await signed(layout, [owner]);
    const base = { layoutKeys: [owner.pub], linkDir: dir, cwd: dir, inspectionStdout: quiet() };
    expect((await verifyLayout(env, base)).ok).toBe(true);
    const denied = await verifyLayout(env, { ...base, denyExcludes: true });
    expect(denied.failure?.message).toMatch(
      /look materials: 'DISALLOW \*\.pyc' matched 1 artifact/
    );
  });
});
