import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Layout,
  Link,
  Metablock,
  createLayout,
  layoutGraph,
  lintLayout,
  parseKey,
  parseMetadata,
  toDot,
  toHTML,
  toMermaid,
} from '../../src/index.js';
import { intoto, reference, requireReference, type RunResult } from '../helpers/cli.js';
import { CHROMIUM, chromium } from '../helpers/chromium.js';
import { testdir } from '../helpers/vectors.js';
import { party } from '../helpers/chain.js';

const ok = (r: RunResult, what: string) =>
  expect(r.status, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);

/** A 3-step project recorded with intoto run in `dir`: checkout → build → package. */
function trialRun(dir: string): void {
  writeFileSync(join(dir, 'upstream.c'), 'int main(void){return 0;}\n');
  ok(
    intoto(
      [
        'run',
        '-n',
        'checkout',
        '-k',
        'bob',
        '-p',
        'src',
        '--',
        'sh',
        '-c',
        'mkdir -p src && cp upstream.c src/main.c && echo "v1" > src/VERSION',
      ],
      { cwd: dir }
    ),
    'checkout'
  );
  ok(
    intoto(
      [
        'run',
        '-n',
        'build',
        '-k',
        'carl',
        '-m',
        'src',
        '-p',
        'out',
        '--',
        'sh',
        '-c',
        'mkdir -p out && cat src/main.c > out/app && cp src/VERSION out/VERSION',
      ],
      { cwd: dir }
    ),
    'build'
  );
  ok(
    intoto(
      [
        'run',
        '-n',
        'package',
        '-k',
        'carl',
        '-m',
        'out',
        '-p',
        'app.tar',
        '--',
        'tar',
        'cf',
        'app.tar',
        'out',
      ],
      { cwd: dir }
    ),
    'package'
  );
}

describe('authoring with intoto layout', () => {
  let dir: string;
  const I = (args: string[]) => intoto(args, { cwd: dir });
  beforeAll(() => {
    dir = testdir();
    for (const [n, t] of [
      ['owner', 'rsa'],
      ['bob', 'ed25519'],
      ['carl', 'rsa'],
    ])
      ok(
        I([
          'keygen',
          '--format',
          'securesystemslib',
          '-t',
          t,
          ...(t === 'rsa' ? ['-b', '2048'] : []),
          n,
        ]),
        n
      );
    ok(I(['layout', 'init', '--expires', '6m', '--readme', 'a demo chain']), 'init');
    ok(
      I([
        'layout',
        'add-step',
        'checkout',
        '--key',
        'bob.pub',
        '--product',
        'CREATE src/*',
        '--product',
        'DISALLOW *',
      ]),
      'add checkout'
    );
    ok(
      I([
        'layout',
        'add-step',
        'build',
        '--key',
        'carl.pub',
        '--expected-command',
        'sh -c "mkdir -p out && cat src/main.c > out/app && cp src/VERSION out/VERSION"',
        '--material',
        'MATCH src/* WITH PRODUCTS FROM checkout',
        '--material',
        'DISALLOW *',
        '--product',
        'CREATE out/*',
        '--product',
        'DISALLOW *',
      ]),
      'add build'
    );
    ok(
      I([
        'layout',
        'add-step',
        'package',
        '--key',
        'carl.pub',
        '--material',
        'MATCH out/* WITH PRODUCTS FROM build',
        '--material',
        'DISALLOW *',
        '--product',
        'CREATE app.tar',
        '--product',
        'DISALLOW *',
      ]),
      'add package'
    );
    ok(
      I([
        'layout',
        'add-inspection',
        'untar',
        '--run',
        'tar xf app.tar',
        '--material',
        'MATCH app.tar WITH PRODUCTS FROM package',
        '--material',
        'DISALLOW app.tar',
        '--product',
        'MATCH out/* WITH PRODUCTS FROM build',
        '--product',
        'DISALLOW out/*',
      ]),
      'add untar'
    );
    ok(I(['layout', 'sign', '-k', 'owner']), 'sign');
    trialRun(dir);
  });

  it('a layout made only with these commands verifies with intoto verify and in-toto-verify, and loads with the reference model', () => {
    ok(I(['verify', '-l', 'root.layout', '-k', 'owner.pub']), 'intoto verify');
    expect(I(['layout', 'lint']).stdout).toMatch(/0 error\(s\), 0 warning\(s\)/);
    if (requireReference()) {
      ok(
        reference('in-toto-verify', ['-l', 'root.layout', '-k', 'owner.pub'], { cwd: dir }),
        'in-toto-verify'
      );
      const load = spawnSync(
        '/usr/bin/python3',
        [
          '-c',
          'from in_toto.models.metadata import Metablock; m = Metablock.load("root.layout"); m.signed.validate(); print(len(m.signed.steps))',
        ],
        { cwd: dir, encoding: 'utf8' }
      );
      expect(load.stdout.trim(), load.stderr).toBe('3');
    }
  });

  it('edits drop the signatures and say so; show summarises', () => {
    const copy = join(dir, 'copy.layout');
    writeFileSync(copy, readFileSync(join(dir, 'root.layout')));
    const r = I(['layout', 'set-readme', 'changed', '-l', 'copy.layout']);
    expect(r.stderr).toMatch(/signatures were dropped/);
    expect(JSON.parse(readFileSync(copy, 'utf8')).signatures).toEqual([]);
    const show = I(['layout', 'show', '-l', 'copy.layout']);
    expect(show.stdout).toMatch(/step build: 1 of [0-9a-f]{8} \(rsa\)/);
    expect(show.stdout).toMatch(/not signed/);
    expect(I(['layout', 'remove-step', 'nope', '-l', 'copy.layout']).status).toBe(2);
    expect(I(['layout', 'show', '-l', 'missing.layout']).stderr).toMatch(/intoto layout init/);
  });

  it('an expiry already past is set, with a warning; a later one without', () => {
    const copy = join(dir, 'expiry.layout');
    writeFileSync(copy, readFileSync(join(dir, 'root.layout')));
    const past = I(['layout', 'set-expires', '2020-01-01', '-l', 'expiry.layout']);
    expect(past.status).toBe(0);
    expect(past.stderr).toMatch(
      /the layout expires at 2020-01-01T00:00:00Z, which is already past: every verification will fail/
    );
    expect(JSON.parse(readFileSync(copy, 'utf8')).signed.expires).toBe('2020-01-01T00:00:00Z');
    const later = I(['layout', 'set-expires', '1y', '-l', 'expiry.layout']);
    expect(later.status).toBe(0);
    expect(later.stderr).not.toMatch(/already past/);
    const init = I(['layout', 'init', '-l', 'old.layout', '--expires', '2021-06-01']);
    expect(init.status).toBe(0);
    expect(init.stderr).toMatch(/already past/);
  });

  it('graph: mermaid and dot snapshots; html rendered in headless chromium shows every step', () => {
    const env = parseMetadata(readFileSync(join(dir, 'root.layout')));
    const g = layoutGraph(Layout.fromJSON(env.payload), {
      steps: [
        { name: 'checkout', ok: true },
        { name: 'build', ok: false, failure: { code: 'RULE_VERIFICATION_ERROR' } },
      ],
    });
    expect(toMermaid(g)).toMatchInlineSnapshot(`
      "flowchart LR
        n0["checkout"]
        n1["build"]
        n2["package"]
        n3{{"inspection: untar"}}
        n0 -->|"src/* (products → materials)"| n1
        n1 -->|"out/* (products → materials)"| n2
        n2 -->|"app.tar (products → materials)"| n3
        n1 -->|"out/* (products → products)"| n3
        classDef pass fill:#d4f7d4,stroke:#2a7a2a
        class n0 pass
        classDef fail fill:#f9d0d0,stroke:#a32020
        class n1 fail
      "
    `);
    expect(toDot(g)).toMatchInlineSnapshot(`
      "digraph supply_chain {
        rankdir=LR;
        node [style=filled, fontname="Helvetica"];
        n0 [label="checkout", shape=box, fillcolor="#d4f7d4"];
        n1 [label="build", shape=box, fillcolor="#f9d0d0"];
        n2 [label="package", shape=box, fillcolor="#eeeeee"];
        n3 [label="inspection: untar", shape=hexagon, fillcolor="#eeeeee"];
        n0 -> n1 [label="src/* (products → materials)"];
        n1 -> n2 [label="out/* (products → materials)"];
        n2 -> n3 [label="app.tar (products → materials)"];
        n1 -> n3 [label="out/* (products → products)"];
      }
      "
    `);
    ok(I(['verify', '-l', 'root.layout', '-k', 'owner.pub', '--json']), 'verify --json');
    writeFileSync(
      join(dir, 'report.json'),
      I(['verify', '-l', 'root.layout', '-k', 'owner.pub', '--json']).stdout
    );
    ok(
      I([
        'layout',
        'graph',
        '--format',
        'html',
        '-o',
        'chain.html',
        '--verify-report',
        'report.json',
      ]),
      'graph html'
    );
    if (!CHROMIUM) {
      if (process.env.CI) throw new Error('chromium is missing: .ci/run installs it');
      return;
    }
    const url = `file://${join(dir, 'chain.html')}`;
    const png = join(dir, 'chain.png');
    chromium([`--screenshot=${png}`, '--window-size=1200,600', url]);
    expect(existsSync(png)).toBe(true);
    expect(statSync(png).size).toBeGreaterThan(5000);
    const dom = chromium(['--dump-dom', url]).stdout;
    for (const name of ['checkout', 'build', 'package', 'untar']) expect(dom).toContain(name);
    expect(dom).toContain('✓ checkout');
  });

  it('graph escapes hostile names (no markup injection)', () => {
    const layout = createLayout().build();
    layout.steps.push(
      ...Layout.fromJSON({
        _type: 'layout',
        expires: '2099-01-01T00:00:00Z',
        steps: [{ name: '<img src=x onerror=alert(1)>' }],
        inspect: [],
      }).steps
    );
    const page = toHTML(layoutGraph(layout));
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('lint finds each seeded defect', () => {
  const a = party();
  const b = party();
  const base = () =>
    new Layout({
      expires: '2099-01-01T00:00:00Z',
      keys: {
        [a.pub.keyID]: a.pub.toPublicDict() as never,
        [b.pub.keyID]: b.pub.toPublicDict() as never,
      },
      steps: [],
    }).toJSON() as Record<string, unknown> & {
      steps: Record<string, unknown>[];
      inspect: Record<string, unknown>[];
    };
  const step = (name: string, extra: Record<string, unknown> = {}) => ({
    _type: 'step',
    name,
    pubkeys: [a.pub.keyID],
    threshold: 1,
    expected_command: [],
    expected_materials: [['DISALLOW', '*']],
    expected_products: [['DISALLOW', '*']],
    ...extra,
  });
  const cases: [string, string, 'errors' | 'warnings', (l: ReturnType<typeof base>) => void][] = [
    [
      'MATCH FROM an unknown step',
      'unknown-step',
      'errors',
      (l) =>
        l.steps.push(
          step('s', {
            expected_materials: [
              ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'nowhere'],
              ['DISALLOW', '*'],
            ],
          })
        ),
    ],
    [
      'threshold below 1',
      'bad-threshold',
      'errors',
      (l) => l.steps.push(step('s', { threshold: 0 })),
    ],
    [
      'threshold above the keys',
      'threshold-unreachable',
      'errors',
      (l) => l.steps.push(step('s', { threshold: 2 })),
    ],
    [
      'pubkey not in keys',
      'unknown-pubkey',
      'errors',
      (l) => l.steps.push(step('s', { pubkeys: ['ab'.repeat(32)] })),
    ],
    ['duplicate names', 'duplicate-name', 'errors', (l) => l.steps.push(step('s'), step('s'))],
    ['unsafe names', 'unsafe-name', 'errors', (l) => l.steps.push(step('../s'))],
    ['expired', 'expired', 'errors', (l) => (l.expires = '2020-01-01T00:00:00Z')],
    [
      'expiring within 30 days',
      'expiring',
      'warnings',
      (l) => (l.expires = new Date(Date.now() + 5 * 86400_000).toISOString().slice(0, 19) + 'Z'),
    ],
    [
      'no final DISALLOW',
      'no-final-disallow',
      'warnings',
      (l) => l.steps.push(step('s', { expected_products: [['CREATE', 'x']] })),
    ],
    [
      'empty run',
      'empty-run',
      'errors',
      (l) =>
        l.inspect.push({
          _type: 'inspection',
          name: 'i',
          run: [],
          expected_materials: [],
          expected_products: [],
        }),
    ],
    [
      'inspection runs a shell',
      'shell-inspection',
      'warnings',
      (l) =>
        l.inspect.push({
          _type: 'inspection',
          name: 'i',
          run: ['sh', '-c', 'true'],
          expected_materials: [['DISALLOW', '*']],
          expected_products: [],
        }),
    ],
    ['unreachable step', 'unreachable', 'warnings', (l) => l.steps.push(step('s1'), step('s2'))],
    [
      'malformed rule',
      'bad-rule',
      'errors',
      (l) => l.steps.push(step('s', { expected_products: [['CREATE']] })),
    ],
  ];
  for (const [name, code, level, seed] of cases) {
    it(`${name} → ${level.slice(0, -1)} ${code}`, () => {
      const l = base();
      seed(l);
      const r = lintLayout(l as never);
      expect(r[level].map((f) => f.code)).toContain(code);
    });
  }
  it('sample links: patterns that select nothing and uncovered artifacts', () => {
    const l = base();
    l.steps.push(
      step('s', {
        expected_products: [
          ['CREATE', 'nothing*'],
          ['ALLOW', 'x'],
        ],
      })
    );
    const r = lintLayout(l as never, {
      links: new Map([
        ['s', { materials: {}, products: { x: { sha256: 'a' }, y: { sha256: 'b' } } }],
      ]),
    });
    expect(r.warnings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['selects-nothing', 'uncovered'])
    );
  });
});

describe('intoto layout infer', () => {
  it('proposes a layout that lints clean and verifies the trial links; a removed product then fails', () => {
    const dir = testdir();
    const I = (args: string[]) => intoto(args, { cwd: dir });
    for (const [n, t] of [
      ['owner', 'ed25519'],
      ['bob', 'ed25519'],
      ['carl', 'ecdsa'],
    ])
      ok(I(['keygen', '-t', t, n]), n);
    trialRun(dir);
    ok(
      I([
        'layout',
        'infer',
        '--links',
        '.',
        '-o',
        'inferred.layout',
        '--functionary-key',
        'bob.pub',
        'carl.pub',
      ]),
      'infer'
    );
    const lint = I(['layout', 'lint', '-l', 'inferred.layout', '--links', '.']);
    expect(lint.stdout).toMatch(/0 error\(s\), 0 warning\(s\)/);
    const layout = Layout.fromJSON(
      parseMetadata(readFileSync(join(dir, 'inferred.layout'))).payload
    );
    expect(layout.steps.map((s) => s.name)).toEqual(['checkout', 'build', 'package']);
    expect(layout.steps[1].expectedMaterials[0]).toEqual([
      'MATCH',
      'src/*',
      'WITH',
      'PRODUCTS',
      'FROM',
      'checkout',
    ]);
    ok(I(['layout', 'sign', '-l', 'inferred.layout', '-k', 'owner']), 'sign');
    ok(I(['verify', '-l', 'inferred.layout', '-k', 'owner.pub', '--strict']), 'verify inferred');
    // Remove a product from the build link and re-sign it with carl's key: verification now fails.
    const file = readdirSync(dir).find((f) => f.startsWith('build.'))!;
    const env = parseMetadata(readFileSync(join(dir, file)));
    const link = Link.fromJSON(env.payload);
    delete link.products['out/VERSION'];
    const mb = new Metablock(link.toJSON());
    const carl = parseKey(readFileSync(join(dir, 'carl')));
    return mb.sign(carl.toSigner()).then(() => {
      writeFileSync(join(dir, file), mb.toFileText());
      const r = I(['verify', '-l', 'inferred.layout', '-k', 'owner.pub']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/out\/VERSION/);
    });
  });
});
