// Differential tests against the reference itself (python in-toto 1.3.1 via /usr/bin/python3): the
// rule engine vs `verifylib.verify_item_rules`, the grammar vs `rulelib.unpack_rule`, the matcher vs
// `fnmatch.fnmatchcase`. Each family is one batch in one python process (reference_rules.py).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  applyRules,
  checkArtifactPath,
  fnmatch,
  parseRule,
  type ArtifactRule,
} from '../../src/index.js';
import { requireReference } from '../helpers/cli.js';

type HashDict = Record<string, string>;
type ArtifactMap = Record<string, HashDict>;

const HARNESS = fileURLToPath(new URL('./reference_rules.py', import.meta.url));

function reference<T>(cases: unknown[]): T[] {
  const r = spawnSync('/usr/bin/python3', [HARNESS], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as T[];
  expect(out).toHaveLength(cases.length);
  return out;
}

/** Keywords in random letter case: the grammar is case-insensitive, the values are not. */
const anyCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((up) => [...word].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

// Canonical artifact paths only: the verifier rejects the rest before the engine runs.
const segment = fc.constantFrom(
  'a',
  'b',
  'lib',
  'x.c',
  '.h',
  'é',
  'A',
  '[x]',
  'a b',
  '-',
  '!',
  'sub'
);
const name = fc
  .tuple(fc.nat(5), fc.array(segment, { minLength: 1, maxLength: 3 }))
  .map(([abs, segs]) => (abs === 0 && segs.length > 1 ? '/' : '') + segs.join('/'))
  .filter((p) => checkArtifactPath(p) === undefined);
const hash = fc.constantFrom<HashDict>(
  { sha256: 'a'.repeat(64) },
  { sha256: 'b'.repeat(64) },
  { sha256: 'a'.repeat(64), sha512: 'c'.repeat(128) },
  { md5: 'd'.repeat(32) },
  { sha256: 'a'.repeat(64), md5: 'd'.repeat(32) }
);
const artifactMap = fc.dictionary(name, hash, { maxKeys: 7 });
const patternAtom = fc.constantFrom(
  '*',
  '?',
  'a',
  'b',
  '/',
  'lib',
  '.',
  'é',
  '[ab]',
  '[!a]',
  '[^a]',
  '[a-c]',
  '[]',
  '[!]',
  '[x]',
  ' ',
  'x.c'
);
const pattern = fc.oneof(
  fc.array(patternAtom, { minLength: 0, maxLength: 4 }).map((a) => a.join('')),
  fc.constantFrom('*', 'lib/*', '*/*', 'a', 'x.c', 'lib/x.c', '*.c', '[!a-z]*', '[^a-z]*')
);
const prefix = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  { arbitrary: fc.constantFrom('lib', 'lib/', 'a', '/lib', 'a/b', 'l*', './lib', 'sub'), weight: 1 }
);
/** Patterns that often select something: a name itself, or a name with parts replaced by wildcards. */
const patternFor = (names: string[]) =>
  names.length === 0
    ? pattern
    : fc.oneof(
        pattern,
        fc.constantFrom(...names),
        fc
          .tuple(
            fc.constantFrom(...names),
            fc.nat(),
            fc.constantFrom('*', '?', '[!a]', '[a-z]', '*/*')
          )
          .map(([n, k, w]) => {
            const at = k % n.length;
            return n.slice(0, at) + w + n.slice(at + 1);
          }),
        fc.constantFrom(...names).map((n) => n.split('/')[0] + '/*')
      );
const ruleCase = fc
  .record({
    kind: fc.constantFrom<'materials' | 'products'>('materials', 'products'),
    m: artifactMap,
    p: artifactMap,
    um: artifactMap,
    up: artifactMap,
    shareUp: fc.boolean(),
    carry: fc.array(fc.nat(3), { minLength: 7, maxLength: 7 }),
  })
  .chain((c) => {
    // Products usually share names with materials: kept (same hash), changed (other hash) or gone,
    // so CREATE, DELETE and MODIFY have something to decide.
    Object.keys(c.m).forEach((k, i) => {
      if (c.carry[i] === 0) c.p[k] = c.m[k];
      else if (c.carry[i] === 1) c.p[k] = { sha256: 'e'.repeat(64) };
      else delete c.p[k];
    });
    // The upstream step often carries the item's own artifacts, so MATCH finds its pairs.
    const up = c.shareUp ? { ...c.up, ...c.m, ...c.p } : c.up;
    const names = [...Object.keys(c.m), ...Object.keys(c.p)];
    const pat = patternFor(names);
    const simple = fc
      .tuple(
        fc
          .constantFrom(
            'allow',
            'create',
            'delete',
            'modify',
            'modify',
            'create',
            'delete',
            'disallow',
            'require'
          )
          .chain(anyCase),
        fc.oneof(pat, names.length ? fc.constantFrom(...names) : pat)
      )
      .map(([k, p]) => [k, p]);
    const match = fc
      .tuple(
        anyCase('match'),
        pat,
        prefix,
        fc.constantFrom('materials', 'products').chain(anyCase),
        prefix,
        fc.constantFrom('up', 'up', 'missing', 'item')
      )
      .map(([kw, p, sp, t, dp, s]) => [
        kw,
        p,
        ...(sp ? ['IN', sp] : []),
        'with',
        t,
        ...(dp ? ['in', dp] : []),
        'From',
        s,
      ]);
    // Half the lists end the way layouts usually do: with DISALLOW *.
    return fc
      .tuple(fc.array(fc.oneof(simple, match, match), { maxLength: 5 }), fc.boolean())
      .map(([rules, closed]) => ({
        ...c,
        up,
        rules: closed ? [...rules, ['DISALLOW', '*']] : rules,
      }));
  });

interface RulesAnswer {
  ok: boolean;
  queue: string[];
  sizes: number[];
  failedAt?: number;
  reason?: string;
}

describe.runIf(requireReference())('engine vs verifylib.verify_item_rules', () => {
  it('same verdict, failing rule, queue size after every rule and final queue (600 random cases)', () => {
    const samples = fc.sample(ruleCase, { seed: 20261125, numRuns: 600 });
    const expected = reference<RulesAnswer>(
      samples.map((c) => ({
        item: 'item',
        kind: c.kind,
        rules: c.rules,
        links: { item: { materials: c.m, products: c.p }, up: { materials: c.um, products: c.up } },
      }))
    );
    let failures = 0;
    // How often each rule type consumed something, and each kind of MATCH miss was seen.
    const seen = new Map<string, number>();
    const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    samples.forEach((c, i) => {
      const ours = applyRules({
        kind: c.kind,
        rules: c.rules.map((r) => parseRule(r)),
        materials: c.m,
        products: c.p,
        links: new Map([
          ['item', { materials: c.m, products: c.p }],
          ['up', { materials: c.um, products: c.up }],
        ]),
      });
      const want = expected[i];
      const ctx = JSON.stringify({ case: c, want });
      // The same artifacts as Maps (how the verifier reads links) give the very same result.
      const asMap = (r: Record<string, HashDict>) => new Map(Object.entries(r));
      const viaMaps = applyRules({
        kind: c.kind,
        rules: c.rules.map((r) => parseRule(r)),
        materials: asMap(c.m),
        products: asMap(c.p),
        links: new Map([
          ['item', { materials: asMap(c.m), products: asMap(c.p) }],
          ['up', { materials: asMap(c.um), products: asMap(c.up) }],
        ]),
      });
      expect(viaMaps, ctx).toEqual(ours);
      expect(ours.ok, ctx).toBe(want.ok);
      expect([...ours.remaining].sort(), ctx).toEqual(want.queue);
      // Our trace also has an entry for the failing rule; the reference's does not.
      const applied = ours.ok ? ours.trace : ours.trace.slice(0, -1);
      expect(
        applied.map((t) => t.queueAfter),
        ctx
      ).toEqual(want.sizes);
      if (!ours.ok) {
        failures++;
        expect(ours.failure.index, ctx).toBe(want.failedAt);
        expect(ours.failure.reason, ctx).toBe(want.reason);
      }
      for (const t of ours.trace) if (t.consumed > 0) count(t.rule[0]);
      if (!ours.ok) for (const m of Object.values(ours.failure.explanations)) count(m.reason);
    });
    // The sample must exercise both verdicts and real consumption, or it proves little.
    expect(failures).toBeGreaterThan(40);
    expect(samples.length - failures).toBeGreaterThan(40);
    for (const k of [
      'MATCH',
      'ALLOW',
      'CREATE',
      'DELETE',
      'MODIFY',
      'no-link',
      'missing',
      'hash-mismatch',
    ])
      expect(seen.get(k) ?? 0, `${k}: ${JSON.stringify([...seen])}`).toBeGreaterThanOrEqual(5);
  });
});

describe.runIf(requireReference())('engine vs verify_item_rules on non-canonical paths', () => {
  // The verifier rejects these links before the engine runs, but where the reference gives an
  // answer the engine still gives the same one: prefixes joined like os.path.join (an absolute rest
  // replaces the prefix), `\\` rewritten to `/` in joined paths, consumption after the selection.
  const H = (c: string) => ({ sha256: c.repeat(64) });
  const cases: { rules: string[][]; m: ArtifactMap; up: ArtifactMap; queue: string[] }[] = [
    {
      rules: [['MATCH', '*', 'IN', 'lib', 'WITH', 'PRODUCTS', 'FROM', 'up']],
      m: { 'lib//x': H('1'), '/x': H('1') },
      up: { '/x': H('1') },
      queue: ['lib//x'],
    },
    {
      rules: [['MATCH', '*', 'IN', '/lib', 'WITH', 'PRODUCTS', 'FROM', 'up']],
      m: { '/lib//lib/x': H('2'), '/lib/x': H('1') },
      up: { '/lib/x': H('1'), x: H('3') },
      queue: ['/lib//lib/x'],
    },
    {
      rules: [['MATCH', '*', 'IN', 'lib', 'WITH', 'PRODUCTS', 'FROM', 'up']],
      m: { 'lib/a\\b': H('1'), 'lib/a/b': H('2') },
      up: { 'a\\b': H('2'), 'a/b': H('2') },
      queue: ['lib/a\\b'],
    },
    {
      rules: [['MATCH', '*', 'WITH', 'PRODUCTS', 'IN', 'b\\c', 'FROM', 'up']],
      m: { x: H('1'), 'y\\z': H('1') },
      up: { 'b/c/x': H('1'), 'b/c/y/z': H('1') },
      queue: [],
    },
    {
      rules: [['MATCH', '*', 'WITH', 'PRODUCTS', 'IN', 'out', 'FROM', 'up']],
      m: { 'a/../b': H('1'), './c': H('1') },
      up: { 'out/a/../b': H('1'), 'out/c': H('1') },
      queue: ['./c'],
    },
  ];
  it('same final queue', () => {
    const expected = reference<RulesAnswer>(
      cases.map((c) => ({
        item: 'item',
        kind: 'materials',
        rules: c.rules,
        links: { item: { materials: c.m, products: {} }, up: { materials: {}, products: c.up } },
      }))
    );
    cases.forEach((c, i) => {
      const ours = applyRules({
        kind: 'materials',
        rules: c.rules.map((r) => parseRule(r)),
        materials: c.m,
        products: {},
        links: new Map([['up', { materials: {}, products: c.up }]]),
      });
      expect(expected[i], JSON.stringify(c)).toMatchObject({ ok: true, queue: c.queue });
      expect([...ours.remaining].sort(), JSON.stringify(c)).toEqual(c.queue);
    });
  });

  it('where the reference crashes (KeyError on a joined path that is not recorded), we report a miss', () => {
    const m = { 'lib//x': H('1') };
    const [want] = reference<RulesAnswer>([
      {
        item: 'item',
        kind: 'materials',
        rules: [['MATCH', '*', 'IN', 'lib', 'WITH', 'PRODUCTS', 'FROM', 'up']],
        links: {
          item: { materials: m, products: {} },
          up: { materials: {}, products: { '/x': H('1') } },
        },
      },
    ]);
    expect(want).toMatchObject({ ok: false, reason: 'exception' });
    const ours = applyRules({
      kind: 'materials',
      rules: [parseRule(['MATCH', '*', 'IN', 'lib', 'WITH', 'PRODUCTS', 'FROM', 'up'])],
      materials: m,
      products: {},
      links: new Map([['up', { materials: {}, products: { '/x': H('1') } }]]),
    });
    expect(ours.remaining).toEqual(['lib//x']);
  });
});

type Unpacked =
  | { ok: false }
  | {
      ok: true;
      data: {
        rule_type: string;
        pattern: string;
        source_prefix?: string;
        dest_prefix?: string;
        dest_type?: string;
        dest_name?: string;
      };
    };

/** Our parse result in the reference's vocabulary. */
function asReference(r: ArtifactRule): Record<string, string> {
  if (r.type !== 'match') return { rule_type: r.type, pattern: r.pattern };
  return {
    rule_type: 'match',
    pattern: r.pattern,
    source_prefix: r.sourcePrefix,
    dest_prefix: r.destinationPrefix,
    dest_type: r.destinationType,
    dest_name: r.destinationStep,
  };
}

describe.runIf(requireReference())('parseRule vs rulelib.unpack_rule', () => {
  it('accepts and rejects the same lists, with the same fields (random token lists)', () => {
    const token = fc.oneof(
      fc
        .constantFrom(
          'match',
          'in',
          'with',
          'from',
          'materials',
          'products',
          'material',
          'product',
          'allow',
          'disallow',
          'create',
          'delete',
          'modify',
          'require'
        )
        .chain(anyCase),
      fc.constantFrom('*', 'foo', 'x/y', '', 'IN ', ' in', 'wíth', 'ALLOW *')
    );
    // Shapes near the valid ones (so acceptance is common), then mutated; and arbitrary lists.
    const value = fc.constantFrom('*', 'foo', 'x/y', '', 'In', 'FROM', 'ALLOW *');
    const destType = fc
      .constantFrom('materials', 'products', 'material', 'product', 'foo')
      .chain(anyCase);
    const simple = fc
      .tuple(
        fc
          .constantFrom(
            'allow',
            'disallow',
            'create',
            'delete',
            'modify',
            'require',
            'match',
            'allows'
          )
          .chain(anyCase),
        fc.array(value, { minLength: 0, maxLength: 2 })
      )
      .map(([k, rest]) => [k, ...rest]);
    const match = fc
      .tuple(
        value,
        fc.option(value, { nil: undefined }),
        destType,
        fc.option(value, { nil: undefined }),
        value,
        fc.tuple(anyCase('match'), anyCase('in'), anyCase('with'), anyCase('in'), anyCase('from'))
      )
      .map(([pat, sp, t, dp, step, [m, in1, w, in2, f]]) => [
        m,
        pat,
        ...(sp === undefined ? [] : [in1, sp]),
        w,
        t,
        ...(dp === undefined ? [] : [in2, dp]),
        f,
        step,
      ]);
    const mutated = fc
      .tuple(match, fc.nat(), token, fc.constantFrom('replace', 'drop', 'insert'))
      .map(([r, k, t, how]) => {
        const at = k % r.length;
        const out = [...r];
        if (how === 'replace') out[at] = t;
        else if (how === 'drop') out.splice(at, 1);
        else out.splice(at, 0, t);
        return out;
      });
    const lists = fc.oneof(fc.array(token, { maxLength: 11 }), simple, match, mutated);
    const samples = fc.sample(lists, { seed: 7, numRuns: 3000 });
    const extra: unknown[] = [[], ['ALLOW', 1], [1, 2], 'ALLOW *', null, { a: 1 }, [['ALLOW']]];
    const inputs: unknown[] = [...samples, ...extra];
    const expected = reference<Unpacked>(inputs.map((rule) => ({ op: 'unpack', rule })));
    let accepted = 0;
    inputs.forEach((rule, i) => {
      const want = expected[i];
      let ours: ArtifactRule | undefined;
      try {
        ours = parseRule(rule, 'rules[0]');
      } catch (e) {
        expect((e as Error).name, JSON.stringify(rule)).toBe('FormatError');
      }
      expect(ours !== undefined, JSON.stringify(rule)).toBe(want.ok);
      if (ours && want.ok) {
        accepted++;
        expect(asReference(ours), JSON.stringify(rule)).toEqual(want.data);
      }
    });
    expect(accepted).toBeGreaterThan(300);
  });
});

describe.runIf(requireReference())(
  'fnmatch vs fnmatch.fnmatchcase (live, beyond the table)',
  () => {
    it('agrees on random patterns and names', () => {
      // Each pattern atom comes with strings it may or may not match, so names are near the pattern.
      const ATOMS: [string, string[]][] = [
        ['a', ['a', 'A', 'b']],
        ['é', ['é', 'e']],
        ['😀', ['😀', '😁']],
        ['/', ['/', '\\']],
        ['.', ['.', 'a']],
        ['\\', ['\\', '/', '']],
        ['\n', ['\n', '']],
        ['*', ['', 'a', 'a/b', '.x', '\n', '😀/']],
        ['**', ['', 'ab/c']],
        ['?', ['a', '/', 'é', '😀', '', 'ab']],
        ['[a-c]', ['a', 'b', 'c', 'd', '-']],
        ['[!a]', ['a', 'b', '!', '/']],
        ['[^a]', ['^', 'a', 'b']],
        ['[]a]', [']', 'a', 'b']],
        ['[!]a]', [']', 'a', 'b']],
        ['[a-]', ['a', '-', 'b']],
        ['[-a]', ['a', '-', 'b']],
        ['[z-a]', ['z', 'a', '-', 'm']],
        ['[bz-a]', ['b', 'z', 'a']],
        ['[]-]', [']', '-', 'a']],
        ['[a--]', ['a', '-', ',', 'b']],
        ['[!]', ['[!]', '!', '']],
        ['[]', ['[]', '[', '']],
        ['[\\]', ['\\', ']']],
        ['[', ['[', '']],
        [']', [']']],
        ['[é-😀]', ['é', 'z', '😀', 'ÿ']],
        ['[*?]', ['*', '?', 'a']],
        ['[.]', ['.', 'a']],
        ['[!/]', ['/', 'a']],
      ];
      const pair = fc
        .array(
          fc
            .tuple(fc.constantFrom(...ATOMS), fc.nat())
            .map(([[p, ns], k]) => [p, ns[k % ns.length]]),
          { maxLength: 6 }
        )
        .map(
          (parts) =>
            [parts.map((x) => x[0]).join(''), parts.map((x) => x[1]).join('')] as [string, string]
        );
      // Plus arbitrary code points (fast-check's 'binary' unit samples slowly, hence this).
      const codePoint = fc
        .integer({ min: 0, max: 0x10ffff })
        .filter((c) => c < 0xd800 || c > 0xdfff)
        .map((c) => String.fromCodePoint(c));
      const anyText = fc.array(fc.oneof(codePoint, fc.constantFrom('*', '?', '[', ']', '!', '-')), {
        maxLength: 6,
      });
      const pairs = fc
        .sample(pair, { seed: 99, numRuns: 4000 })
        .concat(
          fc
            .sample(fc.tuple(anyText, anyText), { seed: 100, numRuns: 1000 })
            .map(([p, n]) => [p.join(''), n.join('')] as [string, string])
        );
      const [{ results }] = reference<{ results: boolean[] }>([{ op: 'fnmatch', pairs }]);
      const wrong = pairs.filter(([p, n], i) => fnmatch(n, p) !== results[i]);
      expect(wrong.slice(0, 10)).toEqual([]);
      // The sample must contain matches, not just misses.
      expect(results.filter(Boolean).length).toBeGreaterThan(300);
    });
  }
);
