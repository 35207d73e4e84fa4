#!/usr/bin/env node
// `npm run demo`: an end-to-end run of intoto in a temporary directory, printing what it does.
// Until the full supply-chain demo lands, this runs the foundation: keygen → sign → verify → tamper.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const keep = process.argv.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'intoto-demo-'));
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function intoto(args, expectStatus = 0) {
  process.stdout.write(`$ intoto ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  process.stdout.write(r.stdout.replace(/^/gm, '  ').replace(/ {2}$/, ''));
  process.stdout.write(r.stderr.replace(/^/gm, '  ').replace(/ {2}$/, ''));
  if (r.status !== expectStatus) {
    console.error(`demo: expected exit ${expectStatus}, got ${r.status}`);
    process.exit(1);
  }
  return r;
}

try {
  console.log(bold('1. The project owner makes a key'));
  intoto(['keygen', 'owner']);
  console.log(bold('2. A layout is signed'));
  writeFileSync(
    join(dir, 'root.layout'),
    JSON.stringify({
      signatures: [],
      signed: {
        _type: 'layout',
        expires: '2099-01-01T00:00:00Z',
        readme: 'demo',
        keys: {},
        steps: [],
        inspect: [],
      },
    })
  );
  intoto(['sign', '-f', 'root.layout', '-k', 'owner']);
  console.log(bold('3. Anyone with the public key checks the signature'));
  intoto(['sign', '--verify', '-f', 'root.layout', '-k', 'owner.pub']);
  console.log(bold('4. A tampered layout is caught'));
  writeFileSync(
    join(dir, 'root.layout'),
    readFileSync(join(dir, 'root.layout'), 'utf8').replace('"demo"', '"evil"')
  );
  intoto(['sign', '--verify', '-f', 'root.layout', '-k', 'owner.pub'], 1);
  console.log(bold('demo passed'));
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
