import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  applyRules,
  parseRule,
  packRule,
  parseRuleString,
  checkArtifactPath,
  FormatError,
  type ArtifactRule,
} from '../../src/index.js';
import { requireReference } from '../helpers/cli.js';

type Map = Record<string, Record<string, string>>;
const h = (x: string) => ({ sha256: x.repeat(64).slice(0, 64) });

function apply(
  kind: 'materials' | 'products',
  rules: string[][],
  materials: Map,
  products: Map,
  links: Record<string, { materials: Map; products: Map }> = {}
) {
  return applyRules({
    kind,
    rules: rules.map((r) => parseRule(r)),
    materials,
    products,
    links: new globalThis.Map(Object.entries(links)),
  });
}

describe('rule grammar (rulelib.unpack_rule)', () => {
  const good: [string[], ArtifactRule][] = [
    [['ALLOW', 'x'], { type: 'allow', pattern: 'x' }],
    [['disallow', '*'], { type: 'disallow', pattern: '*' }],
    [['Require', 'f'], { type: 'require', pattern: 'f' }],
    [
      ['MATCH', '*', 'WITH', 'products', 'FROM', 's'],
      {
        type: 'match',
        pattern: '*',
        sourcePrefix: '',
        destinationType: 'products',
        destinationPrefix: '',
        destinationStep: 's',
      },
    ],
    [
      ['MATCH', '*', 'IN', 'a', 'WITH', 'MATERIALS', 'FROM', 's'],
      {
        type: 'match',
        pattern: '*',
        sourcePrefix: 'a',
        destinationType: 'materials',
        destinationPrefix: '',
        destinationStep: 's',
      },
    ],
    [
      ['match', '*', 'with', 'PRODUCTS', 'in', 'b', 'from', 'S'],
      {
        type: 'match',
        pattern: '*',
        sourcePrefix: '',
        destinationType: 'products',
        destinationPrefix: 'b',
        destinationStep: 'S',
      },
    ],
    [
      ['MATCH', 'p', 'IN', 'a', 'WITH', 'PRODUCTS', 'IN', 'b', 'FROM', 's'],
      {
        type: 'match',
        pattern: 'p',
        sourcePrefix: 'a',
        destinationType: 'products',
        destinationPrefix: 'b',
        destinationStep: 's',
      },
    ],
  ];
  for (const [raw, want] of good) {
    it(`accepts ${raw.join(' ')}`, () => {
      expect(parseRule(raw)).toEqual(want);
      expect(parseRule(packRule(want))).toEqual(want);
    });
  }
  const bad = [
    [],
    ['ALLOW'],
    ['ALLOW', 'a', 'b'],
    ['FOO', 'a'],
    ['MATCH', '*', 'WITH', 'PRODUCT', 'FROM', 's'],
    ['MATCH', '*', 'WITH', 'PRODUCTS', 's'],
    ['MATCH', '*', 'IN', 'a', 'WITH', 'PRODUCTS', 'IN', 'b', 'FROM'],
    ['MATCH', '*', 'FROM', 'x', 'WITH', 'PRODUCTS'],
    [1, 2],
    'ALLOW *',
  ];
  for (const raw of bad) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      expect(() => parseRule(raw, 'steps[0].expected_products[1]')).toThrow(FormatError);
    });
  }
  it('parses rule strings with shell quoting', () => {
    expect(parseRuleString('MATCH "my dir/*" WITH PRODUCTS FROM build')).toMatchObject({
      pattern: 'my dir/*',
    });
    expect(parseRuleString("ALLOW 'a b'")).toEqual({ type: 'allow', pattern: 'a b' });
  });
});

describe('rule semantics', () => {
  it('MATCH with IN prefixes on both sides; prefix not globbed; ./lib ≠ lib', () => {
    const products = { 'lib/foo': h('1'), 'lib/sub/bar': h('2'), other: h('3') };
    const links = {
      dst: { materials: {}, products: { 'build/lib/foo': h('1'), 'build/lib/sub/bar': h('2') } },
    };
    const r = apply(
      'products',
      [['MATCH', '*', 'IN', 'lib', 'WITH', 'PRODUCTS', 'IN', 'build/lib', 'FROM', 'dst']],
      {},
      products,
      links
    );
    expect(r.remaining).toEqual(['other']);
    const r2 = apply(
      'products',
      [['MATCH', '*', 'IN', './lib', 'WITH', 'PRODUCTS', 'IN', 'build/lib', 'FROM', 'dst']],
      {},
      products,
      links
    );
    expect(r2.remaining.sort()).toEqual(['lib/foo', 'lib/sub/bar', 'other']);
    const r3 = apply(
      'products',
      [['MATCH', '*', 'IN', 'l*', 'WITH', 'PRODUCTS', 'IN', 'build/lib', 'FROM', 'dst']],
      {},
      products,
      links
    );
    expect(r3.remaining).toHaveLength(3);
  });

  it('MATCH to a missing step consumes nothing; unequal hash dicts do not match (GHSA-pgpm weak hashes)', () => {
    const m = { a: { sha256: 'x'.repeat(64), md5: 'm'.repeat(32) } };
    expect(
      apply('materials', [['MATCH', 'a', 'WITH', 'PRODUCTS', 'FROM', 'nope']], m, {}).remaining
    ).toEqual(['a']);
    const r = apply(
      'materials',
      [
        ['MATCH', 'a', 'WITH', 'PRODUCTS', 'FROM', 's'],
        ['DISALLOW', '*'],
      ],
      m,
      {},
      { s: { materials: {}, products: { a: { md5: 'm'.repeat(32) } } } }
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.failure.explanations.a).toMatchObject({ reason: 'hash-mismatch', step: 's' });
  });

  it('CREATE in materials and DELETE in products never consume; MODIFY needs a change; REQUIRE sees the queue', () => {
    const materials = { kept: h('1'), changed: h('2'), gone: h('3') };
    const products = { kept: h('1'), changed: h('9'), made: h('4') };
    expect(apply('materials', [['CREATE', '*']], materials, products).remaining).toHaveLength(3);
    expect(apply('products', [['DELETE', '*']], materials, products).remaining).toHaveLength(3);
    expect(apply('products', [['MODIFY', '*']], materials, products).remaining.sort()).toEqual([
      'kept',
      'made',
    ]);
    expect(apply('products', [['CREATE', '*']], materials, products).remaining.sort()).toEqual([
      'changed',
      'kept',
    ]);
    expect(apply('materials', [['DELETE', '*']], materials, products).remaining.sort()).toEqual([
      'changed',
      'kept',
    ]);
    expect(
      apply(
        'products',
        [
          ['ALLOW', 'made'],
          ['REQUIRE', 'made'],
        ],
        materials,
        products
      ).ok
    ).toBe(false);
    expect(apply('products', [['REQUIRE', 'made']], materials, products).ok).toBe(true);
  });

  it('A-1: * crosses / so DISALLOW * catches sub/evil', () => {
    const r = apply(
      'products',
      [
        ['CREATE', 'app.bin'],
        ['DISALLOW', '*'],
      ],
      {},
      { 'app.bin': h('1'), 'sub/evil': h('2') }
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.artifacts).toEqual(['sub/evil']);
  });

  it('A-1: non-canonical path forms are flagged', () => {
    for (const p of [
      'dir/../secret.key',
      './secret.key',
      'secret.key/',
      'a//secret.key',
      'a\\b',
      '',
      'x/./y',
    ])
      expect(checkArtifactPath(p), p).toBeDefined();
    for (const p of ['secret.key', 'a/b', '/abs/path', 'dir:foo', 'git:HEAD'])
      expect(checkArtifactPath(p), p).toBeUndefined();
  });

  it('is linear: 10× the artifacts cost about 10× the time, not 100× (MATCH/ALLOW/DISALLOW)', () => {
    // A ratio of CPU time (not wall time: the machine running the tests may be busy), best of three
    // runs per size. A quadratic engine shows a ratio near 100; a linear one 10–25 here, more than
    // 10 because 100k artifacts no longer fit the caches (measured with and without coverage).
    const best = (n: number) => {
      const products: Map = {};
      for (let i = 0; i < n; i++) products[`src/dir${i % 100}/file${i}.c`] = h(String(i % 10));
      let ms = Infinity;
      for (let round = 0; round < 3; round++) {
        const start = process.cpuUsage();
        const r = apply(
          'materials',
          [
            ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
            ['ALLOW', 'x'],
            ['DISALLOW', '*'],
          ],
          products,
          {},
          { a: { materials: {}, products } }
        );
        const used = process.cpuUsage(start);
        ms = Math.min(ms, (used.user + used.system) / 1000);
        expect(r.ok).toBe(true);
      }
      return ms;
    };
    const small = best(10_000);
    const large = best(100_000);
    expect(large / Math.max(small, 1)).toBeLessThan(45);
    // About 100 ms of CPU (bench/rules.mjs); generous for coverage instrumentation.
    expect(large).toBeLessThan(3000);
  });
});

describe.runIf(requireReference())('differential against the reference verify_item_rules', () => {
  it('random rules, artifacts and links give the same verdict and the same final queue', () => {
    const name = fc.constantFrom('a', 'b', 'a/b', 'a/c', 'lib/x', 'lib/y/z', '.h', 'é', 'b/a');
    const hash = fc.constantFrom<Record<string, string>>(
      { sha256: 'a'.repeat(64) },
      { sha256: 'b'.repeat(64) },
      { sha256: 'a'.repeat(64), sha512: 'c'.repeat(128) }
    );
    const map = fc.dictionary(name, hash, { maxKeys: 6 });
    const pattern = fc.constantFrom(
      '*',
      'a',
      'a*',
      '*b',
      '?',
      'lib/*',
      '[ab]',
      '[!a]*',
      '[^a]',
      'x',
      '*/*'
    );
    const simple = fc
      .tuple(fc.constantFrom('ALLOW', 'DISALLOW', 'CREATE', 'DELETE', 'MODIFY', 'REQUIRE'), pattern)
      .map((r) => [...r]);
    const match = fc
      .tuple(
        pattern,
        fc.constantFrom('', 'lib', 'lib/', 'a'),
        fc.constantFrom('MATERIALS', 'PRODUCTS'),
        fc.constantFrom('', 'lib', 'b/'),
        fc.constantFrom('up', 'missing', 'item')
      )
      .map(([p, sp, t, dp, s]) => [
        'MATCH',
        p,
        ...(sp ? ['IN', sp] : []),
        'WITH',
        t,
        ...(dp ? ['IN', dp] : []),
        'FROM',
        s,
      ]);
    const caseArb = fc.record({
      kind: fc.constantFrom('materials', 'products'),
      rules: fc.array(fc.oneof(simple, match), { maxLength: 4 }),
      m: map,
      p: map,
      um: map,
      up: map,
    });
    const samples = fc.sample(caseArb, { seed: 17, numRuns: 300 });
    const input = samples.map((c) => ({
      item: 'item',
      kind: c.kind,
      rules: c.rules,
      links: { item: { materials: c.m, products: c.p }, up: { materials: c.um, products: c.up } },
    }));
    const r = spawnSync('/usr/bin/python3', [join(__dirname, 'reference_rules.py')], {
      input: JSON.stringify(input),
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const expected = JSON.parse(r.stdout) as { ok: boolean; queue?: string[] }[];
    samples.forEach((c, i) => {
      const ours = apply(c.kind, c.rules, c.m, c.p, {
        item: { materials: c.m, products: c.p },
        up: { materials: c.um, products: c.up },
      });
      expect(ours.ok, JSON.stringify(input[i])).toBe(expected[i].ok);
      if (ours.ok)
        expect(ours.remaining.sort(), JSON.stringify(input[i])).toEqual(expected[i].queue);
    });
  });
});
