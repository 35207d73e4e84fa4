/**
 * `intoto verify` as a person and a script see it: the report for people, `--json`, `-q`/`-v`,
 * in-toto-verify's flag names, exit codes 0/1/2, no colour when piped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { intoto } from '../helpers/cli.js';
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
let good: string;
let bad: string;

/** A two-step chain plus one inspection; `tamper` makes b's material differ from a's product. */
async function chain(tamper: boolean): Promise<string> {
  const dir = testdir();
  const layout = layoutBody(
    [
      {
        name: 'a',
        keys: [alice],
        products: [
          ['CREATE', 'src'],
          ['DISALLOW', '*'],
        ],
      },
      {
        name: 'b',
        keys: [bob],
        materials: [
          ['MATCH', 'src', 'WITH', 'PRODUCTS', 'FROM', 'a'],
          ['DISALLOW', '*'],
        ],
        products: [['DISALLOW', '*']],
      },
    ],
    [
      {
        name: 'say',
        run: ['echo', 'inspection-output'],
        materials: [['ALLOW', '*']],
        products: [['ALLOW', '*']],
      },
    ]
  );
  write(dir, 'root.layout', await signed(layout, [owner]));
  write(dir, 'owner.pub', owner.pubText);
  write(dir, 'owner.key', owner.privText);
  write(dir, linkFile('a', alice), await signed(linkBody('a', {}, { src: H('1') }), [alice]));
  write(
    dir,
    linkFile('b', bob),
    await signed(linkBody('b', { src: H(tamper ? '2' : '1') }), [bob])
  );
  return dir;
}

beforeAll(async () => {
  owner = party();
  alice = party();
  bob = party();
  good = await chain(false);
  bad = await chain(true);
});

const base = ['verify', '-l', 'root.layout', '-k', 'owner.pub'];

const ANSI = /\x1b\[/;

describe('intoto verify: output for people', () => {
  it('a passing chain: one line per step and inspection, PASSED, exit 0', () => {
    const r = intoto(base, { cwd: good });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Verifying root\.layout with key [0-9a-f]{8}\n/);
    expect(r.stdout).toMatch(new RegExp(`✓ a +1/1 link, signed by ${alice.pub.keyID.slice(0, 8)}`));
    expect(r.stdout).toMatch(/✓ say +inspection: echo inspection-output \(exit 0\)/);
    expect(r.stdout).toMatch(/inspection-output\n/); // the inspection's own output is shown
    expect(r.stdout).toMatch(/PASSED: the supply chain verified \(2 steps, 1 inspection\)/);
  });

  it('a failing chain: the step, the rule trace, both hashes, FAILED and what to do next, exit 1', () => {
    const r = intoto(base, { cwd: bad });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✓ a /);
    expect(r.stdout).toMatch(/✗ b /);
    expect(r.stdout).toMatch(/· say .*not checked/);
    expect(r.stdout).toMatch(
      /materials rule 1: MATCH src WITH PRODUCTS FROM a → selected 1, consumed 0, 1 left/
    );
    expect(r.stdout).toMatch(/materials rule 2: DISALLOW \* → selected 1, consumed 0, 1 left/);
    expect(r.stderr).toMatch(
      /src: sha256 2{12}… here; differs from src in the products of a .*: sha256 1{12}…/
    );
    expect(r.stderr).toMatch(/FAILED: b materials: 'DISALLOW \*' matched 1 artifact\(s\): src/);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });

  it('a link signed by another key: which file, which key, why', async () => {
    const dir = await chain(false);
    write(dir, linkFile('a', alice), await signed(linkBody('a', {}, { src: H('1') }), [bob]));
    const r = intoto(base, { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      `${linkFile('a', alice)}: rejected — not signed by ${alice.pub.keyID.slice(0, 8)}`
    );
  });

  it('-v adds every link and every rule; -q prints nothing on success and only the failure otherwise', () => {
    const v = intoto([...base, '-v'], { cwd: good });
    expect(v.status).toBe(0);
    expect(v.stdout).toContain(`${linkFile('b', bob)}: counted`);
    expect(v.stdout).toMatch(/products rule 1: CREATE src → selected 1, consumed 1, 0 left/);
    expect(v.stdout).toMatch(/the layout expires 2099-01-01T00:00:00Z/);
    const q = intoto([...base, '-q'], { cwd: good });
    expect(q.status).toBe(0);
    expect(q.stdout).toBe('');
    expect(q.stderr).toBe('inspection-output\n');
    const qf = intoto([...base, '-q'], { cwd: bad });
    expect(qf.status).toBe(1);
    expect(qf.stdout).toBe('');
    expect(qf.stderr).toMatch(/^FAILED: b materials/);
  });

  it('no colour when the output is not a terminal, even without NO_COLOR', () => {
    const r = intoto(base, { cwd: bad, env: { NO_COLOR: '', FORCE_COLOR: undefined } });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });
});

describe('intoto verify --json', () => {
  it('prints exactly the report on stdout (inspection output goes to stderr)', () => {
    const r = intoto([...base, '--json'], { cwd: good });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual([
      'inspections',
      'layout',
      'ok',
      'steps',
      'warnings',
    ]);
    expect(report).toMatchObject({
      ok: true,
      layout: { path: 'root.layout', keyids: [owner.pub.keyID], expires: '2099-01-01T00:00:00Z' },
      steps: [
        {
          name: 'a',
          type: 'step',
          ok: true,
          threshold: 1,
          links: [{ file: linkFile('a', alice), keyid: alice.pub.keyID, status: 'counted' }],
          signers: [alice.pub.keyID],
          products: {
            rules: 2,
            trace: [
              { rule: ['CREATE', 'src'], index: 0, selected: 1, consumed: 1, queueAfter: 0 },
              {},
            ],
          },
        },
        { name: 'b', ok: true },
      ],
      inspections: [
        {
          name: 'say',
          type: 'inspection',
          ok: true,
          return_value: 0,
          command: ['echo', 'inspection-output'],
        },
      ],
      warnings: [
        expect.stringMatching(
          /^3 rule list\(s\) do not end in DISALLOW.*: a materials, say materials, say products$/
        ),
      ],
    });
    expect(r.stderr).toBe('inspection-output\n');
  });

  it('a failure is in the report, on the failing step too, with exit 1', () => {
    const r = intoto([...base, '--json'], { cwd: bad });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      failure: Record<string, unknown>;
      steps: { name: string; ok: boolean; failure?: unknown }[];
      inspections: unknown[];
    };
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({
      code: 'RULE_VERIFICATION_ERROR',
      step: 'b',
      kind: 'materials',
      rule: ['DISALLOW', '*'],
      artifacts: [{ path: 'src', here: H('2'), there: H('1') }],
    });
    expect(report.steps[1].failure).toEqual(report.failure);
    expect(report.steps[0].failure).toBeUndefined();
    expect(report.inspections).toEqual([
      { name: 'say', type: 'inspection', ok: false, command: ['echo', 'inspection-output'] },
    ]);
  });

  it('a corrupt layout is a JSON report with exit 1, never a stack trace', () => {
    const dir = testdir({ 'root.layout': '{"signed": ', 'owner.pub': owner.pubText });
    const r = intoto([...base, '--json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, failure: { code: 'EVIDENCE_ERROR' } });
  });
});

describe('intoto verify: flags and exit codes', () => {
  it('accepts in-toto-verify’s flag names: --layout, --layout-keys, --verification-keys, -t/--key-types', () => {
    for (const args of [
      ['verify', '--layout', 'root.layout', '--layout-keys', 'owner.pub'],
      ['verify', '--layout', 'root.layout', '--verification-keys', 'owner.pub'],
      ['verify', '-l', 'root.layout', '-k', 'owner.pub', '-t', 'ed25519'],
      [
        'verify',
        '-l',
        'root.layout',
        '-k',
        'owner.pub',
        '--key-types',
        'ed25519',
        '--link-dir',
        '.',
      ],
    ])
      expect(intoto(args, { cwd: good }).status, args.join(' ')).toBe(0);
  });

  it('--param NAME=VALUE substitutes; a bad parameter is a usage error', () => {
    for (const [args, status] of [
      [['--param', 'X=1'], 0],
      [['--param', 'X'], 2],
      [['--param', '=1'], 2],
      [['--param', 'a.b=1'], 2],
    ] as const) {
      const r = intoto([...base, ...args], { cwd: good });
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(status);
      if (status === 2) expect(r.stderr).toMatch(/^error: .*\n/);
    }
  });

  it('a mistyped flag is named as unknown, not reported as a missing required option', () => {
    for (const args of [
      ['verify', '--layuot', 'root.layout', '-k', 'owner.pub'],
      ['run', '--step-nme', 'x', '--', 'true'],
      ['record', 'start', '--bogus'],
    ]) {
      const r = intoto(args, { cwd: good });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^error: unknown option '--/);
    }
    // A required option still missing (and nothing unknown) is named as before.
    const r = intoto(['verify', '-k', 'owner.pub'], { cwd: good });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: required option '-l, --layout <path>' not specified/);
  });

  it('a layout that does not exist is named, with why and what to do next', () => {
    const r = intoto(['verify', '-l', 'nope.layout', '-k', 'owner.pub'], { cwd: good });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nope\.layout: cannot read the layout \(no such file\)/);
    expect(r.stderr).toMatch(/hint: check the path of the layout/);
  });

  for (const [what, args, files] of [
    ['an unknown flag', [...base, '--frobnicate'], {}],
    ['no key', ['verify', '-l', 'root.layout'], {}],
    ['a layout that does not exist', ['verify', '-l', 'nope.layout', '-k', 'owner.pub'], {}],
    ['a key file that does not exist', ['verify', '-l', 'root.layout', '-k', 'nope.pub'], {}],
    ['a key file that is not a key', ['verify', '-l', 'root.layout', '-k', 'root.layout'], {}],
    ['-v with -q', [...base, '-v', '-q'], {}],
    ['GPG keys', [...base, '-g', 'ABCDEF'], {}],
    ['a zero inspection timeout', [...base, '--inspection-timeout', '0'], {}],
  ] as const) {
    it(`exit 2 for ${what}, in one line without a stack trace`, () => {
      const r = intoto([...args], { cwd: good, ...files });
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
});
