// Verification speed: a 3-step layout whose links each carry every artifact of a 20k and a 100k tree
// (MATCH / ALLOW / DISALLOW rules), `intoto verify` against `in-toto-verify`, alternating in one run,
// median of 3 after a warm-up. The links are generated and signed with the library (no files needed).
// Usage: npm run build && node bench/verify.mjs [20k,100k]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, HAVE_REFERENCE, OUT, fmt, race, time } from './common.mjs';

const lib = await import('../dist/index.js');
const sizes = (process.argv[2] ?? '20k,100k').split(',');
const N = { '1k': 1_000, '20k': 20_000, '100k': 100_000 };
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const owner = lib.generateKeyPair({ type: 'ed25519', format: 'securesystemslib' });
const fn = lib.generateKeyPair({ type: 'ed25519', format: 'securesystemslib' });
const ownerKey = lib.parseKey(owner.privateText);
const fnKey = lib.parseKey(fn.privateText);

async function build(n) {
  const dir = join(OUT, `verify-${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const arts = {};
  for (let i = 0; i < n; i++)
    arts[`src/d${i % 100}/sub${i % 7}/file${i}.c`] = {
      sha256: lib.encodeCanonical(i).padStart(64, '0'),
    };
  const id = fnKey.keyID;
  const step = (name, materials, products) => ({
    _type: 'step',
    name,
    threshold: 1,
    pubkeys: [id],
    expected_command: [],
    expected_materials: materials,
    expected_products: products,
  });
  const layout = {
    _type: 'layout',
    expires: '2099-01-01T00:00:00Z',
    readme: 'bench',
    keys: { [id]: fnKey.toPublicDict() },
    steps: [
      step(
        'a',
        [],
        [
          ['CREATE', '*'],
          ['DISALLOW', '*'],
        ]
      ),
      step(
        'b',
        [
          ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
          ['DISALLOW', '*'],
        ],
        [
          ['MATCH', '*', 'WITH', 'MATERIALS', 'FROM', 'b'],
          ['ALLOW', 'out/*'],
          ['DISALLOW', '*'],
        ]
      ),
      step(
        'c',
        [
          ['MATCH', 'src/*', 'WITH', 'PRODUCTS', 'FROM', 'b'],
          ['DISALLOW', '*'],
        ],
        [
          ['CREATE', 'out.tar'],
          ['DISALLOW', '*'],
        ]
      ),
    ],
    inspect: [],
  };
  const write = async (file, body, key) => {
    const env = new lib.Metablock(body);
    await env.sign(key.toSigner());
    writeFileSync(join(dir, file), env.toFileText());
  };
  const link = (name, materials, products) => ({
    _type: 'link',
    name,
    materials,
    products,
    byproducts: {},
    command: [],
    environment: {},
  });
  await write('root.layout', layout, ownerKey);
  await write(`a.${id.slice(0, 8)}.link`, link('a', {}, arts), fnKey);
  await write(`b.${id.slice(0, 8)}.link`, link('b', arts, arts), fnKey);
  await write(
    `c.${id.slice(0, 8)}.link`,
    link('c', arts, { 'out.tar': { sha256: 'f'.repeat(64) } }),
    fnKey
  );
  writeFileSync(join(dir, 'owner.pub'), owner.publicText);
  return dir;
}

const rows = [];
for (const size of sizes) {
  const dir = await build(N[size]);
  const contenders = [
    {
      name: 'intoto',
      run: () =>
        time(process.execPath, [CLI, 'verify', '-l', 'root.layout', '-k', 'owner.pub', '-q'], {
          cwd: dir,
        }),
    },
  ];
  if (HAVE_REFERENCE)
    contenders.push({
      name: 'in-toto-verify',
      run: () =>
        time('/usr/bin/in-toto-verify', ['-l', 'root.layout', '-k', 'owner.pub', '-t', 'ed25519'], {
          cwd: dir,
        }),
    });
  process.stderr.write(`timing verify ${size} (${rounds} rounds)…\n`);
  const t = race(contenders, rounds);
  rows.push({ size, n: N[size], ...t });
  process.stderr.write(`${size}: ${JSON.stringify(t)}\n`);
}
const scale = rows.length >= 2 ? rows[rows.length - 1].intoto / rows[0].intoto : undefined;
const md =
  [
    '## Verification',
    '',
    'A 3-step layout whose links each carry every artifact (MATCH, ALLOW, DISALLOW rules; Metablock links, ed25519),',
    `\`intoto verify\` against \`in-toto-verify\` (python 1.3.1), alternating, median of ${rounds} after a warm-up. Reproduce: \`npm run bench -- verify\`.`,
    '',
    '| artifacts per link | intoto | in-toto-verify | speed-up |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.n} | ${fmt(r.intoto)} | ${r['in-toto-verify'] ? fmt(r['in-toto-verify']) : 'n/a'} | ${r['in-toto-verify'] ? `**${(r['in-toto-verify'] / r.intoto).toFixed(1)}×**` : 'n/a'} |`
    ),
    '',
    scale
      ? `Scaling: ${(rows[rows.length - 1].n / rows[0].n).toFixed(0)}× the artifacts cost **${scale.toFixed(2)}×** the time (target ≤ 5.5×).`
      : '',
    'Targets: ≥ 10× faster than in-toto-verify on 20k, ≥ 20× on 100k.',
  ].join('\n') + '\n';
writeFileSync(join(OUT, 'verify.md'), md);
process.stdout.write(md);
