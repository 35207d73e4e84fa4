/**
 * SECURITY.md recipes for the verifier, each a test named by its id, built from real signed metadata.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intoto } from '../helpers/cli.js';
import { testdir } from '../helpers/vectors.js';
import { DSSE_PAYLOAD_TYPE, pae } from '../../src/index.js';
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
  bob = party('ecdsa');
  mallory = party();
});

/** Writes layout + links into a fresh dir and runs `intoto verify`; returns the CLI result. */
async function verify(
  layout: Record<string, unknown>,
  links: [string, string | Awaited<ReturnType<typeof signed>>][],
  args: string[] = []
) {
  const dir = testdir();
  write(dir, 'root.layout', await signed(layout, [owner]));
  write(dir, 'owner.pub', owner.pubText);
  for (const [file, content] of links) write(dir, file, content);
  const r = intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub', ...args], { cwd: dir });
  return { ...r, dir, out: r.stdout + r.stderr };
}

const strict = {
  products: [
    ['CREATE', 'app.bin'],
    ['DISALLOW', '*'],
  ],
};

describe('A. in-toto advisories', () => {
  it('A-1 recipe 1: * crosses / — DISALLOW * catches sub/evil', async () => {
    const r = await verify(layoutBody([{ name: 'build', keys: [alice], ...strict }]), [
      [
        linkFile('build', alice),
        await signed(linkBody('build', {}, { 'app.bin': H('1'), 'sub/evil': H('2') }), [alice]),
      ],
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/DISALLOW \*' matched 1 artifact\(s\): sub\/evil/);
  });

  for (const form of ['dir/../secret.key', './secret.key', 'secret.key/', 'a//secret.key']) {
    it(`A-1 recipe 2: ${form} cannot slip past DISALLOW secret.key`, async () => {
      const layout = layoutBody([
        {
          name: 'build',
          keys: [alice],
          products: [
            ['DISALLOW', 'secret.key'],
            ['ALLOW', '*'],
          ],
        },
      ]);
      const r = await verify(layout, [
        [
          linkFile('build', alice),
          await signed(linkBody('build', {}, { [form]: H('1') }), [alice]),
        ],
      ]);
      expect(r.status).toBe(1);
      expect(r.out).toMatch(/non-canonical artifact path/);
    });
  }

  it('A-1 recipe 3: ./foo and foo across steps never pass through an unmatched MATCH', async () => {
    const layout = layoutBody([
      {
        name: 'a',
        keys: [alice],
        products: [
          ['CREATE', '*'],
          ['DISALLOW', '*'],
        ],
      },
      {
        name: 'b',
        keys: [bob],
        materials: [
          ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
          ['DISALLOW', '*'],
        ],
      },
    ]);
    const r = await verify(layout, [
      [linkFile('a', alice), await signed(linkBody('a', {}, { './foo': H('1') }), [alice])],
      [linkFile('b', bob), await signed(linkBody('b', { foo: H('1') }), [bob])],
    ]);
    expect(r.status).toBe(1);
  });

  it('A-2: [^a-z]* is not negation — Evil.sh is allowed, exactly as python judges it', async () => {
    const layout = layoutBody([
      {
        name: 'build',
        keys: [alice],
        products: [
          ['DISALLOW', '[^a-z]*'],
          ['ALLOW', '*'],
        ],
      },
    ]);
    const r = await verify(layout, [
      [
        linkFile('build', alice),
        await signed(linkBody('build', {}, { 'Evil.sh': H('1') }), [alice]),
      ],
    ]);
    expect(r.status, r.out).toBe(0);
  });

  it('A-8 / H-5: a link whose name is another step’s is not counted', async () => {
    const r = await verify(layoutBody([{ name: 'build', keys: [alice] }]), [
      [linkFile('build', alice), await signed(linkBody('test'), [alice])],
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/its name is "test", not "build"/);
  });

  it('A-9: duplicate keys, escaped duplicates and case twins are rejected before use', async () => {
    const body = JSON.stringify(layoutBody([], [{ name: 'check', run: ['true'] }]));
    const dup = body.replace('"run":["true"]', '"run":["true"],"run":["rm","-rf","/"]');
    const esc = body.replace('"run":["true"]', '"run":["true"],"ru\\u006e":["rm"]');
    const cased = body.replace('"run":["true"]', '"run":["true"],"Run":["rm"]');
    const dupSteps = body.replace('"steps":[]', '"steps":[],"steps":[]');
    for (const text of [dup, esc, cased, dupSteps]) {
      const dir = testdir();
      write(dir, 'owner.pub', owner.pubText);
      // Signed over what a lenient parser would see, then read strictly.
      const env = await signed(JSON.parse(text) as Record<string, unknown>, [owner]);
      const file = env
        .toFileText()
        .replace(JSON.stringify(JSON.parse(text)).slice(1, -1), text.slice(1, -1));
      writeFileSync(
        join(dir, 'root.layout'),
        `{"signatures":${JSON.stringify(env.signatures)},"signed":${text}}`
      );
      expect(file.length).toBeGreaterThan(0);
      const r = intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub', '--allow-empty-layout'], {
        cwd: dir,
      });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/duplicate key|only in case/);
    }
  });

  for (const [what, text] of [
    ['a duplicate "name"', '"name":"build","name":"other"'],
    ['an escaped duplicate "name"', '"name":"build","na\\u006de":"other"'],
    ['a case twin "Name"', '"name":"build","Name":"other"'],
  ] as const) {
    it(`A-9: a DSSE link whose validly signed payload has ${what} is rejected`, async () => {
      const body = JSON.stringify(linkBody('build')).replace('"name":"build"', text);
      const payload = Buffer.from(body, 'utf8');
      const sig = alice.key.signSync(pae(DSSE_PAYLOAD_TYPE, payload));
      const env = {
        payload: payload.toString('base64'),
        payloadType: DSSE_PAYLOAD_TYPE,
        signatures: [{ keyid: alice.pub.keyID, sig: Buffer.from(sig).toString('base64') }],
      };
      const r = await verify(layoutBody([{ name: 'build', keys: [alice] }]), [
        [linkFile('build', alice), JSON.stringify(env)],
      ]);
      expect(r.status, r.out).toBe(1);
      expect(r.out).toMatch(/duplicate key|only in case/);
    });
  }
});

describe('B. go-witness analogues', () => {
  it('B GHSA-rgp5: an empty layout fails unless --allow-empty-layout', async () => {
    expect((await verify(layoutBody([]), [])).status).toBe(1);
    expect((await verify(layoutBody([]), [], ['--allow-empty-layout'])).status).toBe(0);
  });

  it('B GHSA-567m / H-4: a step without rules passes with a warning, fails with --strict', async () => {
    const links: [string, Awaited<ReturnType<typeof signed>>][] = [
      [linkFile('build', alice), await signed(linkBody('build', {}, { x: H('1') }), [alice])],
    ];
    const r = await verify(layoutBody([{ name: 'build', keys: [alice] }]), links);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/implicit ALLOW \*/);
    expect(
      (await verify(layoutBody([{ name: 'build', keys: [alice] }]), links, ['--strict'])).status
    ).toBe(1);
  });

  it('B GHSA-c346: the same link under two file names counts once', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice, bob], threshold: 2 }]);
    const link = await signed(linkBody('build'), [alice]);
    const r = await verify(layout, [
      [linkFile('build', alice), link],
      [linkFile('build', bob), link],
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/not signed by/);
  });

  it('B GHSA-g9jx: a link named "" placed as build.<kid8>.link fails', async () => {
    const r = await verify(layoutBody([{ name: 'build', keys: [alice] }]), [
      [linkFile('build', alice), await signed(linkBody(''), [alice])],
    ]);
    expect(r.status).toBe(1);
  });

  it('B GHSA-pgpm: a MATCH is not satisfied by a weaker shared hash', async () => {
    const layout = layoutBody([
      { name: 'a', keys: [alice], products: [['ALLOW', '*']] },
      {
        name: 'b',
        keys: [bob],
        materials: [
          ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
          ['DISALLOW', '*'],
        ],
      },
    ]);
    const r = await verify(layout, [
      [
        linkFile('a', alice),
        await signed(linkBody('a', {}, { f: { md5: 'a'.repeat(32) } }), [alice]),
      ],
      [
        linkFile('b', bob),
        await signed(linkBody('b', { f: { sha256: 'b'.repeat(64), md5: 'a'.repeat(32) } }), [bob]),
      ],
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/differs from f in the products of a/);
  });

  it('B GHSA-vmvj: a MATCH that selects nothing warns, and fails with --strict', async () => {
    const layout = layoutBody([
      {
        name: 'a',
        keys: [alice],
        products: [
          ['ALLOW', '*'],
          ['DISALLOW', '*'],
        ],
      },
      {
        name: 'b',
        keys: [bob],
        materials: [
          ['MATCH', 'nothing-like-this', 'WITH', 'PRODUCTS', 'FROM', 'a'],
          ['ALLOW', '*'],
          ['DISALLOW', '*'],
        ],
        products: [['DISALLOW', '*']],
      },
    ]);
    const links: [string, Awaited<ReturnType<typeof signed>>][] = [
      [linkFile('a', alice), await signed(linkBody('a', {}, { f: H('1') }), [alice])],
      [linkFile('b', bob), await signed(linkBody('b', { f: H('1') }), [bob])],
    ];
    const r = await verify({ ...layout }, links);
    expect(r.stderr).toMatch(/selected nothing/);
    expect((await verify(layout, links, ['--strict'])).status).toBe(1);
  });

  it('B GHSA-2v4r / D-4: every given owner key must have signed; extra signatures are ignored', async () => {
    const dir = testdir();
    const layout = layoutBody([{ name: 'build', keys: [alice] }]);
    write(dir, linkFile('build', alice), await signed(linkBody('build'), [alice]));
    write(dir, 'owner.pub', owner.pubText);
    write(dir, 'mallory.pub', mallory.pubText);
    write(dir, 'one.layout', await signed(layout, [owner]));
    write(dir, 'two.layout', await signed(layout, [owner, mallory]));
    expect(
      intoto(['verify', '-l', 'one.layout', '-k', 'owner.pub', 'mallory.pub'], { cwd: dir }).status
    ).toBe(1);
    expect(intoto(['verify', '-l', 'two.layout', '-k', 'owner.pub'], { cwd: dir }).status).toBe(0);
    expect(intoto(['verify', '-l', 'two.layout'], { cwd: dir }).status).toBe(2);
  });

  it('B GHSA-r4fv: one link signed twice by the same functionary counts once', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice, bob], threshold: 2 }]);
    const once = (await signed(linkBody('build'), [alice])).toJSON() as { signatures: unknown[] };
    const twice = JSON.stringify({ ...once, signatures: [once.signatures[0], once.signatures[0]] });
    const r = await verify(layout, [[linkFile('build', alice), twice]]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/step build needs 2 link\(s\), found 1/);
  });
});

describe('D. thresholds, keyids, DSSE', () => {
  it('D-1: one key listed under two keyids (legacy and new) counts once', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice], threshold: 1 }]);
    const newID = alice.pub.keyIDs.new;
    layout.keys[newID] = alice.pub.withKeyIDFormat('new').toPublicDict();
    (layout.steps[0] as { pubkeys: string[]; threshold: number }).pubkeys.push(newID);
    (layout.steps[0] as { threshold: number }).threshold = 2;
    const link = await signed(linkBody('build'), [alice]);
    const r = await verify(layout, [
      [linkFile('build', alice), link],
      [`build.${newID.slice(0, 8)}.link`, link],
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/can never be met|counts once/);
  });

  it('D-1: a key listed under a forged keyid is rejected', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice] }]);
    const forged = 'f'.repeat(64);
    layout.keys[forged] = {
      ...alice.pub.toPublicDict(),
      keyid: forged,
    };
    const r = await verify(layout, []);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/does not match its key material/);
  });

  it('D-2: threshold 0, -1, 1.5, "2", true, and more than the keys are rejected', async () => {
    for (const t of [0, -1, 1.5, '2', true, 3]) {
      const layout = layoutBody([{ name: 'build', keys: [alice, bob] }]);
      // 1.5 cannot be signed as canonical JSON: sign 7 and put 1.5 in the text, as an attacker would.
      (layout.steps[0] as Record<string, unknown>).threshold = t === 1.5 ? 7 : t;
      const dir = testdir();
      write(dir, 'owner.pub', owner.pubText);
      write(
        dir,
        'root.layout',
        (await signed(layout, [owner])).toFileText().replace('"threshold": 7', '"threshold": 1.5')
      );
      const r = intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub'], { cwd: dir });
      expect(r.status, String(t)).toBe(1);
      expect(r.stdout + r.stderr, String(t)).toMatch(/threshold|integers only/);
    }
  });

  it('D-3: DSSE signatures over the wrong bytes fail (base64 text, no type, application/json, hex lengths)', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice] }]);
    const good = await signed(linkBody('build'), [alice], true);
    const json = good.toJSON() as { payload: string; payloadType: string };
    const payload = Buffer.from(json.payload, 'base64');
    const type = 'application/vnd.in-toto+json';
    const wrongs = [
      Buffer.from(json.payload),
      payload,
      Buffer.concat([
        Buffer.from(`DSSEv1 ${type.length.toString(16)} ${type} ${payload.length.toString(16)} `),
        payload,
      ]),
    ];
    for (const bytes of wrongs) {
      const sig = alice.key.signSync(bytes);
      const env = {
        payload: json.payload,
        payloadType: type,
        signatures: [{ keyid: alice.pub.keyID, sig: Buffer.from(sig).toString('base64') }],
      };
      const r = await verify(layout, [[linkFile('build', alice), JSON.stringify(env)]]);
      expect(r.status).toBe(1);
    }
    const r = await verify(layout, [
      [
        linkFile('build', alice),
        JSON.stringify({ ...good.toJSON(), payloadType: 'application/json' }),
      ],
    ]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/payloadType/);
    expect((await verify(layout, [[linkFile('build', alice), good]])).status).toBe(0);
  });

  it('D-2: a DSSE link with two signatures under one keyid is rejected, not counted twice', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice] }]);
    const one = await signed(linkBody('build'), [alice], true);
    const json = one.toJSON() as { signatures: unknown[] };
    const dup = JSON.stringify({ ...json, signatures: [json.signatures[0], json.signatures[0]] });
    const r = await verify(layout, [[linkFile('build', alice), dup]]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/duplicate keyid/);
  });

  it('D-5: a link signed by another key under the functionary’s 8-char prefix is not counted', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice] }]);
    const env = await signed(linkBody('build'), [mallory]);
    const forgedID = alice.pub.keyID.slice(0, 8) + mallory.pub.keyID.slice(8);
    const text = env.toFileText().replace(mallory.pub.keyID, forgedID);
    const r = await verify(layout, [[linkFile('build', alice), text]]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/not signed by/);
  });
});

describe('H. design hazards', () => {
  it('H-1: a sublayout’s inspection does not run without --allow-sublayout-inspections', async () => {
    const dir = testdir();
    const marker = join(dir, 'pwned');
    const sub = layoutBody(
      [{ name: 'inner', keys: [bob] }],
      [{ name: 'evil', run: ['touch', marker] }]
    );
    const layout = layoutBody([{ name: 'outer', keys: [alice] }]);
    write(dir, 'root.layout', await signed(layout, [owner]));
    write(dir, 'owner.pub', owner.pubText);
    write(dir, linkFile('outer', alice), await signed(sub, [alice]));
    write(
      dir,
      join(`outer.${alice.pub.keyID.slice(0, 8)}`, linkFile('inner', bob)),
      await signed(linkBody('inner'), [bob])
    );
    const r = intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/run commands chosen by a functionary/);
    expect(existsSync(marker)).toBe(false);
    const ok = intoto(
      ['verify', '-l', 'root.layout', '-k', 'owner.pub', '--allow-sublayout-inspections'],
      { cwd: dir }
    );
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  for (const name of ['../../../tmp/x', 'a/b', 'a\\b', '..', '.hidden', 'x\u0000y', 'C:evil', '']) {
    it(`H-2: step name ${JSON.stringify(name)} is rejected before anything is read or run`, async () => {
      const layout = layoutBody([{ name: 'ok', keys: [alice] }]);
      (layout.steps[0] as { name: string }).name = name;
      const r = await verify(layout, []);
      expect(r.status).toBe(1);
      expect(r.out).toMatch(/name/);
    });
  }

  it('H-1: an inspection is argv, never a shell, and is stopped at --inspection-timeout', async () => {
    const dir = testdir();
    write(dir, 'owner.pub', owner.pubText);
    write(
      dir,
      'root.layout',
      await signed(
        layoutBody(
          [],
          [{ name: 'quote', run: ['echo', '$(touch pwned)', ';', 'touch', 'pwned2'] }]
        ),
        [owner]
      )
    );
    const r = intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('$(touch pwned) ; touch pwned2\n');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
    write(
      dir,
      'slow.layout',
      await signed(layoutBody([], [{ name: 'slow', run: ['sleep', '60'] }]), [owner])
    );
    const t = Date.now();
    const slow = intoto(
      ['verify', '-l', 'slow.layout', '-k', 'owner.pub', '--inspection-timeout', '1'],
      { cwd: dir }
    );
    expect(Date.now() - t).toBeLessThan(20_000);
    expect(slow.status).toBe(1);
    expect(slow.stderr).toMatch(/FAILED: inspection slow: .*(timed out|time|1 s)/i);
  });

  it('H-4: CREATE app without a final DISALLOW lets a backdoor through (per spec) with a warning; --strict fails', async () => {
    const layout = layoutBody([{ name: 'build', keys: [alice], products: [['CREATE', 'app']] }]);
    const links: [string, Awaited<ReturnType<typeof signed>>][] = [
      [
        linkFile('build', alice),
        await signed(linkBody('build', {}, { app: H('1'), backdoor: H('2') }), [alice]),
      ],
    ];
    const r = await verify(layout, links);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*implicit ALLOW \*.*build products/);
    const s = await verify(layout, links, ['--strict']);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/FAILED: .*do not end in DISALLOW.*build products.*--strict/);
  });

  for (const type of ['Link', 'step', 'inspection', '']) {
    it(`H-5: a signed file with _type ${JSON.stringify(type)} under a link name is not counted`, async () => {
      const r = await verify(layoutBody([{ name: 'build', keys: [alice] }]), [
        [
          linkFile('build', alice),
          await signed(linkBody('build', {}, {}, { _type: type }), [alice]),
        ],
      ]);
      expect(r.status).toBe(1);
      expect(r.out).toMatch(/_type/);
    });
  }

  it('H-1 (spec): an inspection with an empty run is a clear error', async () => {
    const r = await verify(layoutBody([], [{ name: 'check', run: [] }]), []);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/empty run/);
  });

  it('B GHSA-3vpg / H-1: inspections run with PATH, HOME and LANG only — not the verifier’s secrets', async () => {
    const dir = testdir();
    write(dir, 'owner.pub', owner.pubText);
    write(
      dir,
      'root.layout',
      await signed(layoutBody([], [{ name: 'env', run: ['sh', '-c', 'env > seen.txt'] }]), [owner])
    );
    const r = intoto(['verify', '-l', 'root.layout', '-k', 'owner.pub'], {
      cwd: dir,
      env: { SECRET_TOKEN: 's3cr3t' },
    });
    expect(r.status, r.stderr).toBe(0);
    const seen = readFileSync(join(dir, 'seen.txt'), 'utf8');
    expect(seen).not.toMatch(/s3cr3t/);
    expect(seen).toMatch(/PATH=/);
    expect(existsSync(join(dir, 'env.link'))).toBe(true);
  });
});
