/**
 * Chains made by the reference verify with `intoto verify`, chains recorded with `intoto run` verify
 * with `in-toto-verify`, a chain mixing both tools step by step verifies with both, and each
 * tampering fails in both with a message naming the cause.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKey } from '../../src/index.js';
import {
  intotoAsync as intoto,
  referenceAsync as reference,
  requireReference,
  type RunResult,
} from '../helpers/cli.js';
import { testdir } from '../helpers/vectors.js';

const run = requireReference();

type Tool = 'ours' | 'reference';

function ok(r: RunResult, what: string): void {
  expect(r.status, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0);
}

async function makeKeys(dir: string, tool: Tool): Promise<void> {
  for (const [name, type] of [
    ['alice', 'rsa'],
    ['bob', 'ed25519'],
    ['carl', 'rsa'],
    ['mallory', 'rsa'],
  ] as const) {
    if (tool === 'ours')
      ok(
        await intoto(
          [
            'keygen',
            '--format',
            'securesystemslib',
            '-t',
            type,
            ...(type === 'rsa' ? ['-b', '2048'] : []),
            name,
          ],
          { cwd: dir }
        ),
        `keygen ${name}`
      );
    else
      ok(
        await reference(
          'in-toto-keygen',
          ['-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), name],
          {
            cwd: dir,
          }
        ),
        `in-toto-keygen ${name}`
      );
  }
}

function layoutJSON(dir: string, expires = '2099-01-01T00:00:00Z'): string {
  const pub = (n: string) => parseKey(readFileSync(join(dir, `${n}.pub`)));
  const bob = pub('bob');
  const carl = pub('carl');
  return JSON.stringify({
    signatures: [],
    signed: {
      _type: 'layout',
      expires,
      readme: 'interop chain',
      keys: { [bob.keyID]: bob.toPublicDict(), [carl.keyID]: carl.toPublicDict() },
      steps: [
        {
          _type: 'step',
          name: 'write',
          threshold: 1,
          pubkeys: [bob.keyID],
          expected_command: [],
          expected_materials: [],
          expected_products: [
            ['CREATE', 'src.txt'],
            ['DISALLOW', '*'],
          ],
        },
        {
          _type: 'step',
          name: 'build',
          threshold: 1,
          pubkeys: [carl.keyID],
          expected_command: ['cp', 'src.txt', 'out.txt'],
          expected_materials: [
            ['MATCH', 'src.txt', 'WITH', 'PRODUCTS', 'FROM', 'write'],
            ['DISALLOW', '*'],
          ],
          expected_products: [
            ['CREATE', 'out.txt'],
            ['DISALLOW', '*'],
          ],
        },
      ],
      inspect: [
        {
          _type: 'inspection',
          name: 'check',
          run: ['cat', 'out.txt'],
          expected_materials: [
            ['MATCH', 'out.txt', 'WITH', 'PRODUCTS', 'FROM', 'build'],
            ['DISALLOW', 'out.txt'],
          ],
          expected_products: [],
        },
      ],
    },
  });
}

async function recordStep(
  dir: string,
  tool: Tool,
  step: 'write' | 'build',
  extra: string[] = []
): Promise<void> {
  const [key, type] = step === 'write' ? ['bob', 'ed25519'] : ['carl', 'rsa'];
  const args =
    step === 'write'
      ? [
          '-n',
          'write',
          '-k',
          key,
          '-p',
          'src.txt',
          ...extra,
          '--',
          'sh',
          '-c',
          'echo hello > src.txt',
        ]
      : [
          '-n',
          'build',
          '-k',
          key,
          '-m',
          'src.txt',
          '-p',
          'out.txt',
          ...extra,
          '--',
          'cp',
          'src.txt',
          'out.txt',
        ];
  if (tool === 'ours') ok(await intoto(['run', ...args], { cwd: dir }), `intoto run ${step}`);
  else
    ok(
      await reference('in-toto-run', [...args.slice(0, 4), '-t', type, ...args.slice(4)], {
        cwd: dir,
      }),
      `in-toto-run ${step}`
    );
}

async function signLayout(
  dir: string,
  tool: Tool,
  file = 'root.layout',
  text = layoutJSON(dir)
): Promise<void> {
  writeFileSync(join(dir, file), text);
  if (tool === 'ours')
    ok(await intoto(['sign', '-f', file, '-k', 'alice'], { cwd: dir }), 'intoto sign');
  else
    ok(await reference('in-toto-sign', ['-f', file, '-k', 'alice'], { cwd: dir }), 'in-toto-sign');
}

async function chain(keys: Tool, write: Tool, build: Tool, layout: Tool): Promise<string> {
  const dir = testdir();
  await makeKeys(dir, keys);
  await recordStep(dir, write, 'write');
  await recordStep(dir, build, 'build');
  await signLayout(dir, layout);
  return dir;
}

async function verifyBoth(dir: string, layout = 'root.layout') {
  return {
    ours: await intoto(['verify', '-l', layout, '-k', 'alice.pub'], { cwd: dir }),
    theirs: await reference('in-toto-verify', ['-l', layout, '-k', 'alice.pub'], { cwd: dir }),
  };
}

describe.runIf(run)('verification interop with in-toto-verify (python 1.3.1)', () => {
  let ours: string;
  beforeAll(async () => {
    ours = await chain('ours', 'ours', 'ours', 'ours');
  });

  it('a chain recorded and signed entirely with intoto verifies with in-toto-verify and intoto verify', async () => {
    const { ours: a, theirs: b } = await verifyBoth(ours);
    ok(a, 'intoto verify');
    ok(b, 'in-toto-verify');
  });

  it('a chain made entirely by the reference verifies with intoto verify', async () => {
    const dir = await chain('reference', 'reference', 'reference', 'reference');
    const { ours: a, theirs: b } = await verifyBoth(dir);
    ok(b, 'in-toto-verify');
    ok(a, 'intoto verify');
  });

  it('a chain mixing both tools step by step verifies with both', async () => {
    for (const [w, b, l] of [
      ['reference', 'ours', 'reference'],
      ['ours', 'reference', 'ours'],
    ] as const) {
      const dir = await chain('reference', w, b, l);
      const r = await verifyBoth(dir);
      ok(r.ours, `intoto verify (${w}/${b}/${l})`);
      ok(r.theirs, `in-toto-verify (${w}/${b}/${l})`);
    }
  });

  const tamperings: [string, (dir: string) => void | Promise<void>, RegExp][] = [
    ['changed product', (d) => writeFileSync(join(d, 'out.txt'), 'tampered\n'), /out\.txt/],
    [
      'missing link',
      (d) =>
        rmSync(
          join(
            d,
            readdirSync(d).find((f) => f.startsWith('build.'))!
          )
        ),
      /needs 1 link\(s\), found 0/,
    ],
    [
      'link signed by a foreign key',
      async (d) => {
        const f = readdirSync(d).find((n) => n.startsWith('build.'))!;
        ok(await intoto(['sign', '-f', f, '-k', 'mallory', '-o', f], { cwd: d }), 're-sign');
      },
      /not signed by/,
    ],
    [
      'edited link',
      (d) => {
        const f = join(
          d,
          readdirSync(d).find((n) => n.startsWith('build.'))!
        );
        writeFileSync(f, readFileSync(f, 'utf8').replace(/"sha256": "[0-9a-f]/, '"sha256": "0'));
      },
      /invalid signature/,
    ],
    [
      'edited layout',
      (d) =>
        writeFileSync(
          join(d, 'root.layout'),
          readFileSync(join(d, 'root.layout'), 'utf8').replace('interop chain', 'evil chain')
        ),
      /signature by key .* is invalid/,
    ],
    [
      'expired layout',
      async (d) =>
        await signLayout(d, 'ours', 'root.layout', layoutJSON(d, '2020-01-01T00:00:00Z')),
      /expired/,
    ],
    [
      'unexpected extra product',
      async (d) =>
        await recordStep(d, 'ours', 'build', [
          '-p',
          'evil.sh',
          '--',
          'sh',
          '-c',
          'echo evil > evil.sh; cp src.txt out.txt',
        ]),
      /evil\.sh/,
    ],
  ];
  for (const [name, tamper, message] of tamperings) {
    it(`tampering: ${name} fails in both, with a message naming the cause`, async () => {
      const dir = testdir();
      cpSync(ours, dir, { recursive: true });
      await tamper(dir);
      const { ours: a, theirs: b } = await verifyBoth(dir);
      expect(b.status, `in-toto-verify ${name}: ${b.stderr}`).toBe(1);
      expect(a.status, `intoto verify ${name}`).toBe(1);
      expect(a.stdout + a.stderr).toMatch(message);
    });
  }
});
