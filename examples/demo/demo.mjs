#!/usr/bin/env node
// `npm run demo`: a complete container-release supply chain, recorded and verified with intoto, in a
// temporary directory, without network. The owner authors the layout with `intoto layout`; a
// developer checks out a real git repository; a builder builds, tests and packages an OCI image; the
// release gate runs `intoto verify`. Then three attacks, each caught for the right reason.
// Usage: npm run demo [-- --keep]
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const keep = process.argv.includes('--keep');
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const started = Date.now();
const root = mkdtempSync(join(tmpdir(), 'intoto-demo-'));
const keys = join(root, 'keys');
const repo = join(root, 'project');
const links = join(root, 'links');
mkdirSync(keys);

function intoto(args, { cwd = repo, expect = 0, quiet = false } = {}) {
  const shown = args.map((a) => (/[\s*"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  if (!quiet) process.stdout.write(dim(`  $ intoto ${shown.replaceAll(root, '$DEMO')}\n`));
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (!quiet) {
    const out = `${r.stdout}${r.stderr}`.replaceAll(root, '$DEMO').trimEnd();
    if (out) process.stdout.write(`${out.replace(/^/gm, '    ')}\n`);
  }
  if (r.status !== expect) {
    console.error(`demo: "intoto ${shown}" exited ${r.status}, expected ${expect}`);
    process.exit(1);
  }
  return r;
}

/** The build step's command line (recorded once honestly and once in the first attack). */
const buildStep = (linkDir) => [
  'run',
  '-n',
  'build',
  '-k',
  join(keys, 'builder'),
  '-m',
  'src',
  'build.mjs',
  '-p',
  'dist',
  '-d',
  linkDir,
  '--',
  'node',
  'build.mjs',
];

function section(title) {
  process.stdout.write(`\n${bold(title)}\n`);
}

try {
  section('1. Keys: the project owner, a developer, a builder (and an attacker)');
  for (const name of ['owner', 'dev', 'builder', 'mallory'])
    intoto(['keygen', join(keys, name)], { cwd: root });

  section('2. The owner writes the layout with intoto layout');
  const L = (args) => intoto(['layout', ...args, '-l', join(root, 'root.layout')], { cwd: keys });
  L(['init', '--expires', '3m', '--readme', 'demo: release of a container image']);
  L([
    'add-step',
    'checkout',
    '--key',
    'dev.pub',
    '--expected-command',
    'git rev-parse HEAD',
    '--material',
    'ALLOW git:HEAD',
    '--material',
    'DISALLOW *',
    '--product',
    'CREATE src/*',
    '--product',
    'CREATE test/*',
    '--product',
    'CREATE build.mjs',
    '--product',
    'DISALLOW *',
  ]);
  L([
    'add-step',
    'build',
    '--key',
    'builder.pub',
    '--expected-command',
    'node build.mjs',
    '--material',
    'MATCH src/* WITH PRODUCTS FROM checkout',
    '--material',
    'MATCH build.mjs WITH PRODUCTS FROM checkout',
    '--material',
    'DISALLOW *',
    '--product',
    'CREATE dist/*',
    '--product',
    'DISALLOW *',
  ]);
  L([
    'add-step',
    'test',
    '--key',
    'builder.pub',
    '--material',
    'MATCH dist/* WITH PRODUCTS FROM build',
    '--material',
    'MATCH test/* WITH PRODUCTS FROM checkout',
    '--material',
    'DISALLOW *',
    '--product',
    'DISALLOW *',
  ]);
  L([
    'add-step',
    'package',
    '--key',
    'builder.pub',
    '--material',
    'MATCH dist/* WITH PRODUCTS FROM build',
    '--material',
    'DISALLOW *',
    '--product',
    'CREATE oci:image',
    '--product',
    'CREATE image/*',
    '--product',
    'DISALLOW *',
  ]);
  L([
    'add-inspection',
    'release',
    '--run',
    `node ${join(here, 'inspect-image.mjs')} image`,
    '--material',
    'MATCH image/* WITH PRODUCTS FROM package',
    '--material',
    'DISALLOW image/*',
  ]);
  L(['lint']);
  L(['sign', '-k', 'owner']);

  section('3. checkout: a real git repository; its commit is a material');
  mkdirSync(join(repo, 'src'), { recursive: true });
  mkdirSync(join(repo, 'test'));
  writeFileSync(
    join(repo, 'src', 'greet.js'),
    'export const greet = (name) => `Hello, ${name}!`;\n'
  );
  writeFileSync(
    join(repo, 'src', 'app.js'),
    "import { greet } from './greet.js';\nconsole.log(greet(process.argv[2] ?? 'in-toto'));\n"
  );
  writeFileSync(
    join(repo, 'test', 'greet.test.mjs'),
    "import assert from 'node:assert/strict';\nimport { greet } from '../dist/greet.js';\nassert.equal(greet('x'), 'Hello, x!');\nconsole.log('1 passed, 0 failed');\n"
  );
  writeFileSync(
    join(repo, 'build.mjs'),
    "import { cpSync, mkdirSync } from 'node:fs';\nmkdirSync('dist', { recursive: true });\nfor (const f of ['app.js', 'greet.js']) cpSync(`src/${f}`, `dist/${f}`);\nconsole.log('built dist/');\n"
  );
  const git = simpleGit(repo);
  await git.init();
  await git.addConfig('user.email', 'dev@example.invalid');
  await git.addConfig('user.name', 'dev');
  await git.add('.');
  await git.commit('release 1.0');
  intoto([
    'run',
    '-n',
    'checkout',
    '-k',
    join(keys, 'dev'),
    '-m',
    'git:HEAD',
    '-p',
    'src',
    'test',
    'build.mjs',
    '-d',
    links,
    '--',
    'git',
    'rev-parse',
    'HEAD',
  ]);

  section('4. build');
  intoto(buildStep(links));
  section('5. test (output recorded as byproducts)');
  intoto([
    'run',
    '-n',
    'test',
    '-k',
    join(keys, 'builder'),
    '-s',
    '-m',
    'dist',
    'test',
    '-d',
    links,
    '--',
    'node',
    'test/greet.test.mjs',
  ]);
  section('6. package: an OCI image layout; its manifest digest is a product');
  intoto([
    'run',
    '-n',
    'package',
    '-k',
    join(keys, 'builder'),
    '-m',
    'dist',
    '-p',
    'oci:image',
    'image',
    '-d',
    links,
    '--',
    'node',
    join(here, 'oci-image.mjs'),
    'image',
    'dist/app.js',
    'dist/greet.js',
  ]);

  section('7. The release gate: intoto verify');
  const gate = [
    'verify',
    '-l',
    join(root, 'root.layout'),
    '-k',
    join(keys, 'owner.pub'),
    '--link-dir',
    links,
  ];
  intoto(gate);
  writeFileSync(join(root, 'report.json'), intoto([...gate, '--json'], { quiet: true }).stdout);

  section('8. Attacks, each caught');
  const attack = (title, prepare, reason) => {
    process.stdout.write(`\n${bold(`  ✗ ${title}`)}\n`);
    const copy = join(root, `attack-${reason.source.replace(/\W+/g, '')}`);
    cpSync(repo, join(copy, 'project'), { recursive: true });
    cpSync(links, join(copy, 'links'), { recursive: true });
    prepare(join(copy, 'project'), join(copy, 'links'));
    const r = intoto(
      [
        'verify',
        '-l',
        join(root, 'root.layout'),
        '-k',
        join(keys, 'owner.pub'),
        '--link-dir',
        join(copy, 'links'),
      ],
      { cwd: join(copy, 'project'), expect: 1 }
    );
    if (!reason.test(`${r.stdout}${r.stderr}`)) {
      console.error(`demo: the attack "${title}" failed for the wrong reason`);
      process.exit(1);
    }
  };
  attack(
    'a source file changed after checkout, then built',
    (p, l) => {
      writeFileSync(
        join(p, 'src', 'greet.js'),
        "export const greet = (name) => `Hello, ${name}!`; fetch('https://evil.invalid');\n"
      );
      intoto(buildStep(l), { cwd: p, quiet: true });
    },
    /src\/greet\.js.*differs from src\/greet\.js in the products of checkout/s
  );
  attack(
    'a layer of the image swapped after packaging',
    (p) => {
      const index = JSON.parse(readFileSync(join(p, 'image', 'index.json'), 'utf8'));
      const manifest = JSON.parse(
        readFileSync(
          join(p, 'image', 'blobs', 'sha256', index.manifests[0].digest.slice(7)),
          'utf8'
        )
      );
      writeFileSync(
        join(p, 'image', 'blobs', 'sha256', manifest.layers[0].digest.slice(7)),
        'a different layer'
      );
    },
    /inspection release|image check failed/
  );
  attack(
    'the build link re-signed by a key the layout does not trust',
    (_p, l) => {
      const f = readdirSync(l).find((n) => n.startsWith('build.'));
      intoto(['sign', '-f', join(l, f), '-k', join(keys, 'mallory'), '-o', join(l, f)], {
        quiet: true,
      });
    },
    /step build needs 1 link\(s\) validly signed/
  );

  section('9. The picture');
  const html = join(root, 'chain.html');
  intoto(
    [
      'layout',
      'graph',
      '-l',
      join(root, 'root.layout'),
      '--format',
      'html',
      '-o',
      html,
      '--verify-report',
      join(root, 'report.json'),
    ],
    { cwd: root }
  );
  const kept = keep ? html : join(tmpdir(), 'intoto-demo-chain.html');
  if (!keep) copyFileSync(html, kept);
  process.stdout.write(`  the verified chain as a picture: ${kept}\n`);
  process.stdout.write(
    `\n${bold(`demo passed in ${((Date.now() - started) / 1000).toFixed(1)} s`)}: the honest chain verified, and all three attacks were caught.\n`
  );
} finally {
  if (keep) process.stdout.write(`kept ${root}\n`);
  else rmSync(root, { recursive: true, force: true });
}
