/**
 * The verification pipeline through the library (`verifyLayout`): each stage of REFERENCE.md §5 as we
 * harden it, on real signed metadata, asserting the report (verdict, failure code, step, warnings).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  parseKey,
  parseMetadata,
  verifyLayout,
  type VerificationReport,
  type VerifyOptions,
} from '../../src/index.js';
import { cases, materialise, testdir } from '../helpers/vectors.js';
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

beforeAll(() => {
  owner = party();
  alice = party();
  bob = party();
});

const closed = (rules: string[][]) => [...rules, ['DISALLOW', '*']];

/** Collects inspection output so tests neither print nor lose it. */
function sink(): PassThrough & { text: () => string } {
  const chunks: Buffer[] = [];
  const s = new PassThrough() as PassThrough & { text: () => string };
  s.on('data', (c: Buffer) => chunks.push(c));
  s.text = () => Buffer.concat(chunks).toString('utf8');
  return s;
}

/** Signs the layout and links into a fresh dir and verifies there (links and inspections). */
async function run(
  layout: Record<string, unknown>,
  links: [string, Record<string, unknown>, Party[]][] = [],
  options: Partial<VerifyOptions> = {},
  files: Record<string, string> = {}
): Promise<VerificationReport & { dir: string; out: string }> {
  const dir = testdir(files);
  for (const [file, body, by] of links) write(dir, file, await signed(body, by));
  const env = await signed(layout, [owner]);
  const out = sink();
  const report = await verifyLayout(env, {
    layoutKeys: [owner.pub],
    linkDir: dir,
    cwd: dir,
    inspectionStdout: out,
    inspectionStderr: out,
    ...options,
  });
  return { ...report, dir, out: out.text() };
}

describe('verifyLayout stages (REFERENCE §5, hardened)', () => {
  it('1. no layout key at all fails (SECURITY D-4): at least one key must verify', async () => {
    const r = await run(layoutBody([]), [], { layoutKeys: [], allowEmptyLayout: true });
    expect(r.ok).toBe(false);
    expect(r.failure?.code).toBe('SIGNATURE_VERIFICATION_ERROR');
  });

  it('2. expiry: PY-11 passes one second before its expires and fails at it (expires <= now)', async () => {
    const c = (cases.verify as { id: string; files: never[] }[]).find((x) => x.id === 'PY-11')!;
    const dir = materialise(c.files);
    const env = parseMetadata(readFileSync(join(dir, 'fixed-datetime-expiry.layout')), {
      source: 'fixed-datetime-expiry.layout',
    });
    const key = parseKey(readFileSync(join(dir, 'alice.pub')));
    const at = (now: string) =>
      verifyLayout(env, {
        layoutKeys: [key],
        linkDir: dir,
        cwd: dir,
        now: new Date(now),
        inspectionStdout: sink(),
        inspectionStderr: sink(),
      });
    const before = await at('2025-01-02T03:04:05Z');
    expect(before.ok, JSON.stringify(before.failure)).toBe(true);
    const equal = await at('2025-01-02T03:04:06Z');
    expect(equal.ok).toBe(false);
    expect(equal.failure?.code).toBe('LAYOUT_EXPIRED');
    expect(equal.failure?.message).toMatch(/expired at 2025-01-02T03:04:06Z/);
  });

  it('3. parameters: {NAME} in rules, expected command and inspection run; {{ }} stay literal', async () => {
    const layout = layoutBody(
      [
        {
          name: 'build',
          keys: [alice],
          command: ['make', '{TARGET}'],
          products: closed([['CREATE', '{TARGET}.bin']]),
        },
      ],
      [
        {
          name: 'check',
          run: ['echo', '{TARGET}', '{{literal}}'],
          materials: closed([['MATCH', '{TARGET}.bin', 'WITH', 'PRODUCTS', 'FROM', 'build']]),
          products: [['ALLOW', '*']],
        },
      ]
    );
    const link = linkBody('build', {}, { 'app.bin': H('1') }, { command: ['make', 'app'] });
    const r = await run(layout, [[linkFile('build', alice), link, [alice]]], {
      params: { TARGET: 'app' },
    });
    expect(r.out).toBe('app {literal}\n');
    expect(r.warnings.join('\n')).not.toMatch(/expects/);
    expect(r.steps[0].ok).toBe(true);
  });

  it('3. an unknown parameter fails naming it, before any link is read', async () => {
    const layout = layoutBody([
      { name: 'build', keys: [alice], products: closed([['CREATE', '{X}']]) },
    ]);
    const r = await run(layout, [], { params: {} });
    expect(r.ok).toBe(false);
    expect(r.failure?.message).toMatch(/\{X\}, which was not given/);
    expect(r.failure?.hint).toMatch(/--param X=VALUE/);
    expect(r.steps).toEqual([]);
  });

  it('3. without params the layout is used as signed (substitution only when asked)', async () => {
    const layout = layoutBody([
      { name: 'build', keys: [alice], products: closed([['CREATE', '{X}']]) },
    ]);
    const r = await run(layout, [
      [linkFile('build', alice), linkBody('build', {}, { '{X}': H('1') }), [alice]],
    ]);
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
  });

  it('4. a pubkey missing from keys and a threshold above the distinct keys fail before links are read', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice] }]);
    (layout.steps[0] as { pubkeys: string[] }).pubkeys.push('ab'.repeat(32));
    const r = await run(layout);
    expect(r.failure?.message).toMatch(/pubkey abababab is not in the layout's keys/);
    expect(r.steps).toEqual([]);
  });

  it('5. a link file that is not JSON is a verification failure naming the file', async () => {
    const dir = testdir();
    write(dir, linkFile('build', alice), '{"signatures": [');
    const r = await verifyLayout(
      await signed(layoutBody([{ name: 'build', keys: [alice] }]), [owner]),
      {
        layoutKeys: [owner.pub],
        linkDir: dir,
      }
    );
    expect(r.ok).toBe(false);
    expect(r.failure?.code).toBe('EVIDENCE_ERROR');
    expect(r.failure?.message).toContain(join(dir, linkFile('build', alice)));
    expect(r.failure?.step).toBe('build');
  });

  it('5. a link larger than limits.maxMetadataBytes is refused with the limit named', async () => {
    const big = linkBody(
      'build',
      {},
      { 'a.bin': H('1') },
      { environment: { pad: 'x'.repeat(5000) } }
    );
    const r = await run(
      layoutBody([{ name: 'build', keys: [alice] }]),
      [[linkFile('build', alice), big, [alice]]],
      {
        limits: { maxMetadataBytes: 4096 },
      }
    );
    expect(r.ok).toBe(false);
    expect(r.failure?.message).toMatch(/exceeds the limit of 4096/);
  });

  it('5. more pubkeys than limits.maxLinksPerStep is refused', async () => {
    const r = await run(layoutBody([{ name: 'build', keys: [alice, bob] }]), [], {
      limits: { maxLinksPerStep: 1 },
    });
    expect(r.failure?.message).toMatch(/maxLinksPerStep = 1/);
  });

  it('5. threshold 2: links that disagree on products fail, links that agree pass', async () => {
    const layout = layoutBody([
      { name: 'build', keys: [alice, bob], threshold: 2, products: closed([['CREATE', '*']]) },
    ]);
    const a = linkBody('build', {}, { 'app.bin': H('1') });
    const differs = await run(layout, [
      [linkFile('build', alice), a, [alice]],
      [linkFile('build', bob), linkBody('build', {}, { 'app.bin': H('2') }), [bob]],
    ]);
    expect(differs.failure?.code).toBe('THRESHOLD_VERIFICATION_ERROR');
    expect(differs.failure?.message).toMatch(/disagree on materials or products/);
    const agrees = await run(layout, [
      [linkFile('build', alice), a, [alice]],
      [linkFile('build', bob), a, [bob]],
    ]);
    expect(agrees.ok, JSON.stringify(agrees.failure)).toBe(true);
    expect(agrees.steps[0].signers).toEqual([alice.pub.keyID, bob.pub.keyID]);
  });

  it('5. the report keeps the links found when the threshold fails, and names the unauthorised file', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice, bob], threshold: 2 }]);
    const r = await run(layout, [
      [linkFile('build', alice), linkBody('build'), [alice]],
      [`build.${owner.pub.keyID.slice(0, 8)}.link`, linkBody('build'), [owner]],
    ]);
    expect(r.failure?.code).toBe('LINK_NOT_FOUND');
    expect(r.failure?.message).toMatch(
      /build\.[0-9a-f]{8}\.link is there, but signed under a keyid the layout does not authorise/
    );
    expect(r.steps[0].failure).toBe(r.failure);
    expect(r.steps[0].links?.map((l) => l.status)).toEqual(['counted', 'missing']);
  });

  it('7. command alignment: a mismatch is a warning, a failure with strict', async () => {
    const layout = layoutBody([
      { name: 'build', keys: [alice], command: ['make'], products: closed([]) },
    ]);
    const links: [string, Record<string, unknown>, Party[]][] = [
      [linkFile('build', alice), linkBody('build', {}, {}, { command: ['make', 'evil'] }), [alice]],
    ];
    const lax = await run(layout, links);
    expect(lax.ok).toBe(true);
    expect(lax.warnings.join('\n')).toMatch(/ran \["make","evil"\], the layout expects \["make"\]/);
    const strict = await run(layout, links, { strict: true });
    expect(strict.ok).toBe(false);
    expect(strict.failure?.message).toMatch(/--strict/);
  });

  it('8. a rule failure names the step, the list, the rule and both hashes of a MATCH miss', async () => {
    const layout = layoutBody([
      { name: 'a', keys: [alice], products: closed([['CREATE', '*']]) },
      {
        name: 'b',
        keys: [bob],
        materials: closed([['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a']]),
      },
    ]);
    const r = await run(layout, [
      [linkFile('a', alice), linkBody('a', {}, { src: H('1') }), [alice]],
      [linkFile('b', bob), linkBody('b', { src: H('2') }), [bob]],
    ]);
    expect(r.failure).toMatchObject({
      code: 'RULE_VERIFICATION_ERROR',
      step: 'b',
      kind: 'materials',
      rule: ['DISALLOW', '*'],
      artifacts: [{ path: 'src', here: H('2'), there: H('1') }],
    });
    expect(r.steps[1].failure).toBe(r.failure);
    expect(r.steps[0].ok).toBe(true);
    expect(r.steps[1].materials?.trace.map((t) => [t.selected, t.consumed])).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('8. inspections: argv without a shell, output shown, unsigned <name>.link in cwd', async () => {
    const r = await run(
      layoutBody(
        [],
        [{ name: 'say', run: ['echo', '$(touch pwned)', '`id`'], products: [['ALLOW', '*']] }]
      )
    );
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    expect(r.out).toBe('$(touch pwned) `id`\n');
    expect(existsSync(join(r.dir, 'pwned'))).toBe(false);
    const link = JSON.parse(readFileSync(join(r.dir, 'say.link'), 'utf8')) as {
      signatures: unknown[];
      signed: { name: string; command: string[]; byproducts: Record<string, unknown> };
    };
    expect(link.signatures).toEqual([]);
    expect(link.signed.name).toBe('say');
    expect(link.signed.byproducts['return-value']).toBe(0);
    expect(r.inspections[0]).toMatchObject({ name: 'say', ok: true, return_value: 0 });
  });

  it('8. a non-zero inspection fails with its exit status in the report', async () => {
    const r = await run(
      layoutBody([], [{ name: 'no', run: ['sh', '-c', 'echo bad >&2; exit 3'] }])
    );
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ code: 'INSPECTION_ERROR', step: 'no' });
    expect(r.inspections[0].return_value).toBe(3);
    expect(r.out).toBe('bad\n');
  });

  it('8. an inspection that outlives inspectionTimeout is stopped and fails', async () => {
    const t = Date.now();
    const r = await run(layoutBody([], [{ name: 'slow', run: ['sleep', '30'] }]), [], {
      inspectionTimeout: 1,
    });
    expect(Date.now() - t).toBeLessThan(15_000);
    expect(r.ok).toBe(false);
    expect(r.failure?.code).toBe('INSPECTION_ERROR');
    expect(r.failure?.message).toMatch(/slow/);
  });

  it('8. inspection rules see step links and every inspection (a later one too)', async () => {
    const layout = layoutBody(
      [{ name: 'build', keys: [alice], products: closed([['CREATE', 'out']]) }],
      [
        {
          name: 'first',
          run: ['true'],
          materials: [
            ['MATCH', 'out', 'WITH', 'PRODUCTS', 'FROM', 'second'],
            ['DISALLOW', 'out'],
          ],
        },
        { name: 'second', run: ['true'] },
      ]
    );
    const links: [string, Record<string, unknown>, Party[]][] = [
      [linkFile('build', alice), linkBody('build', {}, { out: H('1') }), [alice]],
    ];
    const r = await run(layout, links, {}, { out: 'x' });
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    expect(r.inspections[0].materials?.trace[0]).toMatchObject({ selected: 1, consumed: 1 });
    // Against the step instead, the hashes differ (H('1') is not sha256("x")): DISALLOW out fires.
    layout.inspect[0].expected_materials[0][5] = 'build';
    const miss = await run(layout, links, {}, { out: 'x' });
    expect(miss.failure).toMatchObject({ step: 'first', rule: ['DISALLOW', 'out'] });
  });

  it('9. lint warnings are one line per layout and fail with strict', async () => {
    const layout = layoutBody(
      [{ name: 'build', keys: [alice] }],
      [{ name: 'check', run: ['true'] }]
    );
    const links: [string, Record<string, unknown>, Party[]][] = [
      [linkFile('build', alice), linkBody('build'), [alice]],
    ];
    const r = await run(layout, links);
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      '4 rule list(s) do not end in DISALLOW, so anything their rules do not consume is allowed (implicit ALLOW *): build materials, build products, check materials, check products',
    ]);
    const s = await run(layout, links, { strict: true });
    expect(s.ok).toBe(false);
    expect(s.inspections).toEqual([]);
  });

  it('onWarning receives each warning as it happens', async () => {
    const seen: string[] = [];
    const r = await run(
      layoutBody([{ name: 'build', keys: [alice] }]),
      [[linkFile('build', alice), linkBody('build'), [alice]]],
      {
        onWarning: (m) => seen.push(m),
      }
    );
    expect(seen).toEqual(r.warnings);
    expect(seen.length).toBe(1);
  });

  it('B GHSA-v6px: an inspection does not hash through a symlink leaving its directory', async () => {
    const dir = testdir();
    symlinkSync('/etc/passwd', join(dir, 'evil'));
    symlinkSync('../..', join(dir, 'up'));
    const env = await signed(layoutBody([], [{ name: 'look', run: ['true'] }]), [owner]);
    const r = await verifyLayout(env, {
      layoutKeys: [owner.pub],
      linkDir: dir,
      cwd: dir,
      inspectionStdout: sink(),
    });
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    const link = JSON.parse(readFileSync(join(dir, 'look.link'), 'utf8')) as {
      signed: { products: object };
    };
    expect(Object.keys(link.signed.products)).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/outside the recorded directory, not followed/);
  });
});
