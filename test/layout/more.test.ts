/**
 * More layout tests beside layout.test.ts: inference order for trial runs that record the whole tree,
 * lint precision (shell detection, steps matching from inspections, sample links with inspections,
 * a clean demo layout), and hostile names rendered by headless Chromium.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Layout,
  Link,
  Step,
  createLayout,
  inferLayout,
  layoutGraph,
  lintLayout,
  toHTML,
  verifyLayout,
  type ItemArtifacts,
} from '../../src/index.js';
import { H, linkFile, party, signed, write } from '../helpers/chain.js';
import { CHROMIUM, chromium } from '../helpers/chromium.js';
import { testdir } from '../helpers/vectors.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const owner = party();
const alice = party();
const bob = party();

/** A well-formed layout (the demo's shape): checkout → build → package, and an inspection. */
function demo(): Layout {
  return createLayout({ expires: '1y', now: NOW, readme: 'demo supply chain' })
    .addStep({
      name: 'checkout',
      keys: [alice.pub],
      expectedCommand: 'git clone https://example.com/demo.git src',
      materials: ['DISALLOW *'],
      products: ['CREATE src/*', 'DISALLOW *'],
    })
    .addStep({
      name: 'build',
      keys: [bob.pub],
      expectedCommand: ['make', '-C', 'src'],
      materials: ['MATCH src/* WITH PRODUCTS FROM checkout', 'DISALLOW *'],
      products: ['MATCH src/* WITH PRODUCTS FROM checkout', 'CREATE "build dir/app"', 'DISALLOW *'],
    })
    .addStep({
      name: 'package',
      keys: [alice.pub],
      expectedCommand: 'tar czf app.tar.gz "build dir/app"',
      materials: ['MATCH "build dir/*" WITH PRODUCTS FROM build', 'DISALLOW *'],
      products: ['CREATE app.tar.gz', 'DISALLOW *'],
    })
    .addInspection({
      name: 'untar',
      run: 'tar xzf app.tar.gz',
      materials: ['MATCH app.tar.gz WITH PRODUCTS FROM package', 'DISALLOW *'],
      products: [
        'MATCH "build dir/app" WITH PRODUCTS FROM build',
        'MATCH app.tar.gz WITH PRODUCTS FROM package',
        'DISALLOW *',
      ],
    })
    .build();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- seeded defects edit the raw JSON freely
const json = (l: Layout) => l.toJSON() as Record<string, any>;
const codes = (r: { errors: { code: string }[]; warnings: { code: string }[] }) => [
  ...r.errors.map((f) => `error ${f.code}`),
  ...r.warnings.map((f) => `warning ${f.code}`),
];

describe('lint: a well-formed layout is clean', () => {
  it('without sample links', () => {
    expect(lintLayout(demo().toJSON(), { now: NOW })).toEqual({
      ok: true,
      errors: [],
      warnings: [],
    });
  });

  it('with sample links of the steps (a trial run has no inspection links)', () => {
    const links = new Map<string, ItemArtifacts>([
      ['checkout', { materials: {}, products: { 'src/a.c': H('1'), 'src/Makefile': H('2') } }],
      [
        'build',
        {
          materials: { 'src/a.c': H('1'), 'src/Makefile': H('2') },
          products: { 'src/a.c': H('1'), 'src/Makefile': H('2'), 'build dir/app': H('3') },
        },
      ],
      ['package', { materials: { 'build dir/app': H('3') }, products: { 'app.tar.gz': H('4') } }],
    ]);
    expect(lintLayout(demo().toJSON(), { now: NOW, links })).toEqual({
      ok: true,
      errors: [],
      warnings: [],
    });
  });
});

describe('lint precision', () => {
  it.each([
    [['sh', '-c', 'tar xzf app.tar.gz']],
    [['/bin/bash', 'check.sh']],
    [['env', 'LC_ALL=C', 'sh', '-c', 'x']],
    [['/usr/bin/env', 'bash', 'check.sh']],
  ])('warns about an inspection running a shell: %j', (run) => {
    const l = json(demo());
    l.inspect[0].run = run;
    expect(codes(lintLayout(l, { now: NOW }))).toEqual(['warning shell-inspection']);
  });

  it.each([[['gcc', '-c', 'a.c']], [['grep', '-c', 'x', 'f']], [['tar', 'xzf', 'a.tgz']]])(
    'no shell warning for %j',
    (run) => {
      const l = json(demo());
      l.inspect[0].run = run;
      expect(codes(lintLayout(l, { now: NOW }))).toEqual([]);
    }
  );

  it('a step MATCHing from an inspection is an error (step rules run before inspections)', () => {
    const l = json(demo());
    l.steps[2].expected_materials.unshift(['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'untar']);
    const r = lintLayout(l, { now: NOW });
    expect(r.ok).toBe(false);
    expect(r.errors.map((f) => [f.code, f.where])).toEqual([
      ['match-from-inspection', 'steps[2] package.expected_materials[0]'],
    ]);
  });

  it('an inspection may MATCH from another inspection and from steps', () => {
    const l = json(demo());
    l.inspect.push({
      _type: 'inspection',
      name: 'second',
      run: ['true'],
      expected_materials: [
        ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'untar'],
        ['DISALLOW', '*'],
      ],
      expected_products: [['DISALLOW', '*']],
    });
    expect(lintLayout(l, { now: NOW }).errors).toEqual([]);
  });
});

describe('inferLayout orders steps by data flow', () => {
  // Each step recorded the whole tree (-m . -p ., as intoto mock does): unchanged files flow both ways.
  const src = { 'src/main.c': H('1'), 'src/util.c': H('2') };
  const checkout = new Link({
    name: 'checkout',
    materials: { ...src },
    products: { ...src, VERSION: H('3') },
  });
  const build = new Link({
    name: 'build',
    materials: { ...src, VERSION: H('3') },
    products: { ...src, VERSION: H('3'), 'build/app': H('4') },
  });
  const pkg = new Link({
    name: 'package',
    materials: { ...src, VERSION: H('3'), 'build/app': H('4') },
    products: { ...src, VERSION: H('3'), 'build/app': H('4'), 'app.tgz': H('5') },
  });
  const runs = [
    { link: pkg, key: alice.pub },
    { link: build, key: bob.pub },
    { link: checkout, key: alice.pub },
  ];

  it('whatever the input (file name) order', () => {
    const l = inferLayout(runs, { now: NOW });
    expect(l.steps.map((s) => s.name)).toEqual(['checkout', 'build', 'package']);
    expect(l.steps[2].expectedMaterials.every((r) => r[0] !== 'MATCH' || r[5] === 'build')).toBe(
      true
    );
  });

  it('and the proposal verifies its links and lints clean', async () => {
    const l = inferLayout(runs, { now: NOW });
    const dir = testdir();
    for (const r of runs) {
      const p = r.key === alice.pub ? alice : bob;
      write(dir, linkFile(r.link.name, p), await signed(r.link.toJSON(), [p]));
    }
    const report = await verifyLayout(await signed(l.toJSON(), [owner]), {
      layoutKeys: [owner.pub],
      linkDir: dir,
      now: NOW,
    });
    expect(report.failure).toBeUndefined();
    const links = new Map(runs.map((r) => [r.link.name, r.link as ItemArtifacts]));
    expect(lintLayout(l.toJSON(), { now: NOW, links })).toEqual({
      ok: true,
      errors: [],
      warnings: [],
    });
  });
});

describe.runIf(CHROMIUM !== undefined)(
  'graph HTML with hostile names, rendered by headless Chromium',
  () => {
    it('has no script or image element in the DOM', () => {
      const evil =
        '</text></svg><script>document.title="pwned"</script><img src=x onerror=alert(1)>';
      const K = '1'.repeat(64);
      const l = new Layout({
        expires: '2030-01-01T00:00:00Z',
        steps: [
          new Step({ name: evil, pubkeys: [K] }),
          new Step({
            name: 'next',
            pubkeys: [K],
            expectedMaterials: [['MATCH', '<script>x</script>', 'WITH', 'PRODUCTS', 'FROM', evil]],
          }),
        ],
      });
      const page = join(testdir(), 'hostile.html');
      writeFileSync(page, toHTML(layoutGraph(l), evil));
      const dom = chromium(['--dump-dom', `file://${page}`]);
      expect(dom.status, dom.stderr).toBe(0);
      expect(dom.stdout).not.toMatch(/<script|<img/i);
      expect(dom.stdout).not.toContain('<title>pwned');
      expect(dom.stdout).toContain('&lt;script&gt;');
    });
  }
);
