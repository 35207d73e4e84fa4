// Engine behaviour on crafted queues: the SECURITY.md recipes at engine level (A-1, A-2, B weak
// hashes and vacuous MATCH), MATCH prefixes, the trace, and the explanations of a failure.
import { describe, expect, it } from 'vitest';
import {
  applyRules,
  checkArtifactMap,
  formatMatchMiss,
  parseRule,
  parseRuleString,
  FormatError,
  type RuleResult,
} from '../../src/index.js';

type HashDict = Record<string, string>;
type ArtifactMap = Record<string, HashDict>;
const h = (c: string): HashDict => ({ sha256: c.repeat(64) });

function run(
  kind: 'materials' | 'products',
  rules: string[],
  own: { materials?: ArtifactMap; products?: ArtifactMap },
  links: Record<string, { materials?: ArtifactMap; products?: ArtifactMap }> = {}
): RuleResult {
  return applyRules({
    kind,
    rules: rules.map((r) => parseRuleString(r)),
    materials: own.materials ?? {},
    products: own.products ?? {},
    links: new Map(
      Object.entries(links).map(([k, v]) => [
        k,
        { materials: v.materials ?? {}, products: v.products ?? {} },
      ])
    ),
  });
}

function failure(r: RuleResult) {
  if (r.ok) throw new Error('expected the rules to fail');
  return r.failure;
}

describe('SECURITY.md recipes at engine level', () => {
  it('A-1 recipe 1: CREATE app.bin, DISALLOW * fails on sub/evil (* crosses /)', () => {
    const f = failure(
      run('products', ['CREATE app.bin', 'DISALLOW *'], {
        products: { 'app.bin': h('1'), 'sub/evil': h('2') },
      })
    );
    expect(f).toMatchObject({ index: 1, reason: 'disallow', artifacts: ['sub/evil'] });
  });

  it('A-1 recipe 3: ./foo in one link and foo in the other never pair; the verifier sees ./foo', () => {
    const r = run(
      'materials',
      ['MATCH * WITH PRODUCTS FROM build', 'DISALLOW *'],
      { materials: { './foo': h('1') } },
      { build: { products: { foo: h('1') } } }
    );
    const f = failure(r);
    expect(f.artifacts).toEqual(['./foo']);
    expect(f.explanations['./foo']).toMatchObject({ reason: 'missing', step: 'build' });
    // ... and the path check the verifier runs first rejects the link outright.
    expect(checkArtifactMap({ './foo': h('1'), foo: h('1') })).toEqual([
      { path: './foo', reason: 'has a "." segment' },
    ]);
  });

  it('A-2: DISALLOW [^a-z]* does not catch Evil.sh (^ is literal, as in python)', () => {
    expect(
      run('products', ['DISALLOW [^a-z]*', 'ALLOW *'], { products: { 'Evil.sh': h('1') } }).ok
    ).toBe(true);
    for (const name of ['^evil', 'a.sh', 'z'])
      expect(
        failure(run('products', ['DISALLOW [^a-z]*'], { products: { [name]: h('1') } })).artifacts
      ).toEqual([name]);
    // [!a-z] is the negation.
    expect(
      failure(run('products', ['DISALLOW [!a-z]*'], { products: { 'Evil.sh': h('1') } })).artifacts
    ).toEqual(['Evil.sh']);
  });

  it('B GHSA-pgpm: {sha256, md5} never matches {md5} (no weakest-common-hash match), either way', () => {
    const strong = { sha256: 'a'.repeat(64), md5: 'm'.repeat(32) };
    const weak = { md5: 'm'.repeat(32) };
    for (const [here, there] of [
      [strong, weak],
      [weak, strong],
    ]) {
      const f = failure(
        run(
          'materials',
          ['MATCH app WITH PRODUCTS FROM build', 'DISALLOW *'],
          { materials: { app: here } },
          { build: { products: { app: there } } }
        )
      );
      expect(f.explanations.app).toMatchObject({ reason: 'hash-mismatch', here, there });
    }
  });

  it('B GHSA-vmvj: a MATCH that selects nothing is visible in the trace (selected 0)', () => {
    const r = run(
      'materials',
      ['MATCH lib/* WITH PRODUCTS FROM build', 'ALLOW *'],
      { materials: { 'src/a.c': h('1') } },
      { build: { products: { 'src/a.c': h('1') } } }
    );
    expect(r.ok).toBe(true);
    expect(r.trace[0]).toMatchObject({
      rule: ['MATCH', 'lib/*', 'WITH', 'PRODUCTS', 'FROM', 'build'],
      selected: 0,
      consumed: 0,
    });
  });
});

describe('MATCH details', () => {
  const build = { products: { 'build/lib/foo': h('1'), 'build/lib/sub/bar': h('2') } };
  const products = { 'lib/foo': h('1'), 'lib/sub/bar': h('2'), 'lib/other': h('3') };

  it('a trailing / on a prefix changes nothing (os.path.join adds one only if missing)', () => {
    for (const rule of [
      'MATCH * IN lib WITH PRODUCTS IN build/lib FROM dst',
      'MATCH * IN lib/ WITH PRODUCTS IN build/lib/ FROM dst',
    ]) {
      const r = run('products', [rule], { products }, { dst: build });
      expect(r.remaining, rule).toEqual(['lib/other']);
      expect(r.trace[0]).toMatchObject({ selected: 3, consumed: 2, queueAfter: 1 });
    }
  });

  it('a literal pattern under a prefix is one lookup, and the pattern is relative to the prefix', () => {
    const r = run(
      'products',
      ['MATCH sub/bar IN lib WITH PRODUCTS IN build/lib FROM dst'],
      { products },
      { dst: build }
    );
    expect(r.trace[0]).toMatchObject({ selected: 1, consumed: 1, sample: ['lib/sub/bar'] });
    // The full path is not what the pattern sees.
    const r2 = run(
      'products',
      ['MATCH lib/sub/bar IN lib WITH PRODUCTS IN build/lib FROM dst'],
      { products },
      { dst: build }
    );
    expect(r2.trace[0]).toMatchObject({ selected: 0, consumed: 0 });
  });

  it('a prefix is not a pattern, and the pattern sees no prefix', () => {
    const r = run(
      'products',
      ['MATCH * IN l?b WITH PRODUCTS IN build/lib FROM dst'],
      { products },
      { dst: build }
    );
    expect(r.trace[0].selected).toBe(0);
    const star = { 'l?b/x': h('1') };
    const r2 = run(
      'products',
      ['MATCH * IN l?b WITH PRODUCTS FROM dst'],
      { products: star },
      { dst: { products: { x: h('1') } } }
    );
    expect(r2.trace[0]).toMatchObject({ selected: 1, consumed: 1 });
  });

  it('an absolute destination prefix and absolute paths are kept as given', () => {
    const r = run(
      'materials',
      ['MATCH * IN /src WITH PRODUCTS IN /opt/app FROM install'],
      { materials: { '/src/bin/tool': h('1'), '/etc/passwd': h('2') } },
      { install: { products: { '/opt/app/bin/tool': h('1') } } }
    );
    expect(r.remaining).toEqual(['/etc/passwd']);
  });

  it('a missing step consumes nothing and explains it; a later ALLOW still can', () => {
    const r = run('materials', ['MATCH * WITH PRODUCTS FROM nowhere', 'ALLOW keep', 'DISALLOW *'], {
      materials: { keep: h('1'), drop: h('2') },
    });
    const f = failure(r);
    expect(r.trace[0]).toMatchObject({ selected: 2, consumed: 0 });
    expect(f.artifacts).toEqual(['drop']);
    expect(formatMatchMiss('drop', f.explanations.drop)).toBe(
      'drop: step nowhere has no link (MATCH * WITH PRODUCTS FROM nowhere)'
    );
  });

  it('{sha256} vs {sha256, sha512} with the same sha256 are different dicts', () => {
    const f = failure(
      run(
        'products',
        ['MATCH foo.py WITH PRODUCTS FROM update-version', 'DISALLOW *'],
        { products: { 'foo.py': { sha256: 'ab12'.repeat(16) } } },
        {
          'update-version': {
            products: { 'foo.py': { sha256: 'ab12'.repeat(16), sha512: 'c'.repeat(128) } },
          },
        }
      )
    );
    expect(formatMatchMiss('foo.py', f.explanations['foo.py'])).toBe(
      'foo.py: sha256 ab12ab12… in this link, sha256 ab12ab12…, sha512 cccccccc… in products of update-version (MATCH foo.py WITH PRODUCTS FROM update-version)'
    );
  });

  it('explains a changed file and a file the other step never had', () => {
    const f = failure(
      run(
        'materials',
        ['MATCH * IN src WITH PRODUCTS IN out FROM build', 'DISALLOW *'],
        { materials: { 'src/foo.py': { sha256: 'ab12'.repeat(16) }, 'src/new.py': h('9') } },
        { build: { products: { 'out/foo.py': { sha256: 'cd34'.repeat(16) } } } }
      )
    );
    expect(f.artifacts).toEqual(['src/foo.py', 'src/new.py']);
    expect(formatMatchMiss('src/foo.py', f.explanations['src/foo.py'])).toBe(
      'src/foo.py: sha256 ab12ab12… in this link, sha256 cd34cd34… in products of build as out/foo.py (MATCH * IN src WITH PRODUCTS IN out FROM build)'
    );
    expect(formatMatchMiss('src/new.py', f.explanations['src/new.py'])).toBe(
      "src/new.py: not among build's products as out/new.py (MATCH * IN src WITH PRODUCTS IN out FROM build)"
    );
  });

  it('a later MATCH that succeeds leaves no stale explanation in the failure', () => {
    const f = failure(
      run(
        'materials',
        ['MATCH * WITH PRODUCTS FROM a', 'MATCH * WITH PRODUCTS FROM b', 'DISALLOW *'],
        { materials: { x: h('1'), y: h('2') } },
        { a: { products: { x: h('0'), y: h('0') } }, b: { products: { x: h('1') } } }
      )
    );
    expect(f.artifacts).toEqual(['y']);
    expect(Object.keys(f.explanations)).toEqual(['y']);
    expect(f.explanations.y.step).toBe('b');
  });
});

describe('other rules', () => {
  it('REQUIRE after the artifact was consumed fails, at the REQUIRE, with the path', () => {
    const f = failure(run('products', ['ALLOW *', 'REQUIRE app'], { products: { app: h('1') } }));
    expect(f).toMatchObject({ index: 1, reason: 'require', artifacts: ['app'] });
    // REQUIRE is literal: a pattern never matches.
    expect(run('products', ['REQUIRE a*'], { products: { app: h('1') } }).ok).toBe(false);
    expect(run('products', ['REQUIRE a*'], { products: { 'a*': h('1') } }).ok).toBe(true);
  });

  it('MODIFY consumes only files present on both sides with different hash dicts', () => {
    const materials = { same: h('1'), changed: h('2'), algs: h('3'), gone: h('4') };
    const products = {
      same: h('1'),
      changed: h('5'),
      algs: { ...h('3'), md5: 'm'.repeat(32) },
      made: h('6'),
    };
    const r = run('products', ['MODIFY *'], { materials, products });
    expect(r.remaining.sort()).toEqual(['made', 'same']);
    expect(r.trace[0]).toMatchObject({ selected: 4, consumed: 2 });
  });

  it('regex metacharacters in patterns are literal', () => {
    const products = {
      'a.c': h('1'),
      abc: h('2'),
      '(x)+': h('3'),
      xx: h('4'),
      'a|b': h('5'),
      '$^{1}': h('6'),
    };
    const r = run('products', ['ALLOW a.c', 'ALLOW (x)+', 'ALLOW a|b', 'ALLOW $^{1}'], {
      products,
    });
    expect(r.remaining.sort()).toEqual(['abc', 'xx']);
    const r2 = run('products', ['ALLOW *.c', 'ALLOW (*)+'], { products });
    expect(r2.remaining.sort()).toEqual(['$^{1}', 'abc', 'a|b', 'xx']);
  });

  it('the trace counts, and samples at most three consumed paths', () => {
    const products = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [n, h('1')]));
    const r = run('products', ['ALLOW [ab]', 'ALLOW *', 'DISALLOW *'], { products });
    expect(r.ok).toBe(true);
    expect(
      r.trace.map((t) => [t.index, t.selected, t.consumed, t.queueAfter, t.sample?.length ?? 0])
    ).toEqual([
      [0, 2, 2, 3, 2],
      [1, 3, 3, 0, 3],
      [2, 0, 0, 0, 0],
    ]);
    expect(r.remaining).toEqual([]);
  });

  it('never throws on hostile names (prototype keys, NUL, long names)', () => {
    const products: ArtifactMap = JSON.parse(
      '{"__proto__": {"sha256": "1"}, "constructor": {"sha256": "2"}, "a\\u0000b": {"sha256": "3"}}'
    );
    products['x'.repeat(10_000)] = h('4');
    const r = applyRules({
      kind: 'products',
      rules: [
        'MATCH * WITH MATERIALS FROM __proto__',
        'MODIFY *',
        'CREATE __proto__',
        'DISALLOW *',
      ].map((s) => parseRuleString(s)),
      materials: JSON.parse('{"__proto__": {"sha256": "9"}}'),
      products,
      links: new Map(),
    });
    expect(failure(r).artifacts).toEqual(['a\u0000b', 'constructor', 'x'.repeat(10_000)]);
    expect(r.trace[1].consumed).toBe(1); // __proto__ modified
  });
});

describe('rule grammar: every malformed form is a FormatError naming the path and the grammar', () => {
  const bad: unknown[] = [
    [],
    ['ALLOW'],
    ['ALLOW', 'a', 'b'],
    ['REQUIRE', 'a', 'b'],
    ['ALLOWED', 'a'],
    ['MATCH', '*'],
    ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM'],
    ['MATCH', '*', 'WITH', 'PRODUCT', 'FROM', 's'],
    ['MATCH', '*', 'WITH', 'MATERIAL', 'FROM', 's'],
    ['MATCH', '*', 'WITH', 'ARTIFACTS', 'FROM', 's'],
    ['MATCH', '*', 'IN', 'a', 'WITH', 'PRODUCTS', 'FROM'],
    ['MATCH', '*', 'IN', 'a', 'WITH', 'PRODUCTS', 'IN', 'b', 'FROM'],
    ['MATCH', '*', 'IN', 'a', 'WITH', 'PRODUCTS', 'IN', 'b', 'FROM', 's', 'x'],
    ['MATCH', '*', 'ON', 'a', 'WITH', 'PRODUCTS', 'FROM', 's'],
    ['MATCH', '*', 'WITH', 'PRODUCTS', 'IN', 'b', 'TO', 's'],
    ['MATCH', '*', 'FROM', 's', 'WITH', 'PRODUCTS'],
    ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 's', 'IN', 'a'],
    ['MATCH', '*', 'IN', 'a', 'IN', 'b', 'WITH', 'PRODUCTS', 'FROM', 's'],
    ['ALLOW', 1],
    [null, 'a'],
    'ALLOW *',
    null,
    { 0: 'ALLOW', 1: '*' },
  ];
  for (const rule of bad)
    it(`rejects ${JSON.stringify(rule)}`, () => {
      let err: unknown;
      try {
        parseRule(rule, 'signed.steps[0].expected_products[2]');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      const fe = err as FormatError;
      expect(fe.message).toContain('signed.steps[0].expected_products[2]');
      expect(fe.path).toBe('signed.steps[0].expected_products[2]');
      expect(fe.hint).toMatch(/MATCH <pattern> \[IN <source-prefix>\] WITH MATERIALS\|PRODUCTS/);
    });

  it('keeps the case of values while keywords are case-insensitive', () => {
    expect(
      parseRule(['mAtCh', 'Foo', 'iN', 'Src', 'wItH', 'pRoDuCtS', 'In', 'Dst', 'fRoM', 'Build'])
    ).toEqual({
      type: 'match',
      pattern: 'Foo',
      sourcePrefix: 'Src',
      destinationType: 'products',
      destinationPrefix: 'Dst',
      destinationStep: 'Build',
    });
    // A keyword-looking value stays a value.
    expect(parseRule(['ALLOW', 'MATCH'])).toEqual({ type: 'allow', pattern: 'MATCH' });
    expect(
      parseRule(['MATCH', 'IN', 'IN', 'WITH', 'WITH', 'MATERIALS', 'FROM', 'FROM'])
    ).toMatchObject({
      pattern: 'IN',
      sourcePrefix: 'WITH',
      destinationType: 'materials',
      destinationStep: 'FROM',
    });
  });

  it('parses rule strings like shlex.split (quotes, escapes) and rejects an open quote', () => {
    expect(parseRuleString(`MATCH 'my dir/*' IN "a b" WITH PRODUCTS FROM st\\ ep`)).toEqual({
      type: 'match',
      pattern: 'my dir/*',
      sourcePrefix: 'a b',
      destinationType: 'products',
      destinationPrefix: '',
      destinationStep: 'st ep',
    });
    expect(parseRuleString(`ALLOW "a\\"b"`)).toEqual({ type: 'allow', pattern: 'a"b' });
    expect(parseRuleString(`ALLOW 'a\\b'`)).toEqual({ type: 'allow', pattern: 'a\\b' });
    expect(parseRuleString(`ALLOW ""`)).toEqual({ type: 'allow', pattern: '' });
    expect(() => parseRuleString(`ALLOW "a`)).toThrow(FormatError);
  });
});
