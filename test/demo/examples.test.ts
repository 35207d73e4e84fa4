/**
 * The CI examples run as written: the `run:` blocks of examples/github-actions.yml, the `script:`
 * lines of examples/gitlab-ci.yml (job by job) and `make release` with examples/Makefile, on a small
 * project in a real git repository, with the layout made by examples/make-layout.sh. Only two things
 * are replaced: `npm install -g intoto` (the built CLI is put on PATH instead) and `docker buildx`
 * (a stand-in that writes a real OCI archive of dist/ with examples/demo/oci-image.mjs — no daemon,
 * no network here).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, testdir } from '../helpers/vectors.js';

const EXAMPLES = join(ROOT, 'examples');

const FAKE_DOCKER = `#!/usr/bin/env node
// docker buildx build --output type=oci,dest=FILE . — writes an OCI archive of dist/.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tar, writeImage } from ${JSON.stringify(join(EXAMPLES, 'demo/oci-image.mjs'))};
const out = process.argv.find((a) => a.startsWith('type=oci,dest='))?.slice(14);
if (!out) { console.error('fake docker: only buildx build --output type=oci,dest=FILE'); process.exit(2); }
const files = {};
for (const f of readdirSync('dist')) files['app/' + f] = readFileSync(join('dist', f));
const layout = mkdtempSync(join(tmpdir(), 'fake-docker-'));
writeImage(layout, files);
const entries = {};
const walk = (rel) => {
  for (const e of readdirSync(join(layout, rel))) {
    const p = rel ? rel + '/' + e : e;
    if (statSync(join(layout, p)).isDirectory()) walk(p);
    else entries[p] = readFileSync(join(layout, p));
  }
};
walk('');
writeFileSync(out, tar(entries));
`;

interface Project {
  dir: string;
  keys: string;
  env: NodeJS.ProcessEnv;
}

/** A small Node project in a git repository, keys, the owner's signed layout, and a PATH. */
async function project(): Promise<Project> {
  const dir = testdir({
    'src/greet.js': 'export const greet = (name) => `hello, ${name}`;\n',
    'test/greet.test.js':
      "import { greet } from '../dist/greet.js';\nif (greet('ci') !== 'hello, ci') process.exit(1);\nconsole.log('1 test passed');\n",
    'package.json': JSON.stringify(
      {
        name: 'app',
        version: '1.0.0',
        private: true,
        type: 'module',
        scripts: { build: 'mkdir -p dist && cp src/*.js dist/', test: 'node test/greet.test.js' },
      },
      null,
      2
    ),
    'package-lock.json': JSON.stringify({
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'app', version: '1.0.0' } },
    }),
    Dockerfile: 'FROM scratch\nCOPY dist/ /app/\n',
  });
  const keys = testdir();
  const bin = testdir({
    intoto: `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
    docker: FAKE_DOCKER,
  });
  chmodSync(join(bin, 'intoto'), 0o755);
  chmodSync(join(bin, 'docker'), 0o755);
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    NO_COLOR: '1',
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const sh = (cmd: string, cwd: string) => {
    const r = spawnSync('sh', ['-c', cmd], { cwd, env, encoding: 'utf8' });
    expect(r.status, `${cmd}\n${r.stdout}\n${r.stderr}`).toBe(0);
  };
  sh('intoto keygen owner && intoto keygen ci', keys);
  sh(`${join(EXAMPLES, 'make-layout.sh')} ${keys}/owner ${keys}/ci.pub root.layout`, dir);
  copyFileSync(join(keys, 'owner.pub'), join(dir, 'owner.pub'));
  const git = simpleGit({ baseDir: dir });
  await git.init();
  await git.addConfig('user.name', 'CI');
  await git.addConfig('user.email', 'ci@example.invalid');
  await git.addConfig('commit.gpgsign', 'false');
  await git.add('.');
  await git.commit('app 1.0.0');
  return { dir, keys, env };
}

/** The `run:` blocks of a GitHub Actions workflow, in order, with their step names. */
function githubRunBlocks(yaml: string): { name: string; script: string }[] {
  const lines = yaml.split('\n');
  const out: { name: string; script: string }[] = [];
  let name = '';
  for (let i = 0; i < lines.length; i++) {
    const n = /^\s*- name: (.*)$/.exec(lines[i]);
    if (n) name = n[1];
    const m = /^(\s*)run: (.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '|') {
      out.push({ name, script: m[2] });
      continue;
    }
    const body: string[] = [];
    const indent = m[1].length;
    while (
      i + 1 < lines.length &&
      (lines[i + 1].trim() === '' || /^\s*/.exec(lines[i + 1])![0].length > indent)
    )
      body.push(lines[++i]);
    const strip = Math.min(...body.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
    out.push({ name, script: body.map((l) => l.slice(strip)).join('\n') });
  }
  return out;
}

/** The commands of a .gitlab-ci.yml, job by job: default before_script, then each job's script. */
function gitlabCommands(yaml: string): { job: string; commands: string[] }[] {
  const jobs: { job: string; commands: string[] }[] = [];
  let before: string[] = [];
  let job: string | undefined;
  let list: string[] | undefined;
  for (const line of yaml.split('\n')) {
    const top = /^([a-z][\w-]*):\s*(.*)$/.exec(line);
    if (top) {
      job = top[1];
      list = undefined;
      continue;
    }
    const key = /^\s{2}(before_script|script):\s*$/.exec(line);
    if (key && job) {
      list = [];
      if (job === 'default' && key[1] === 'before_script') before = list;
      else if (key[1] === 'script') jobs.push({ job, commands: list });
      continue;
    }
    const item = /^\s{4}- (.*)$/.exec(line);
    if (item && list) list.push(item[1]);
    else if (/^\s{2}\S/.test(line)) list = undefined;
  }
  return jobs.map((j) => ({ job: j.job, commands: [...before, ...j.commands] }));
}

const SKIP = /^npm install -g intoto$/;

/** Runs a job's script without blocking the test worker (long synchronous spawns starve its RPC). */
function bash(
  script: string,
  p: Project,
  extraEnv: NodeJS.ProcessEnv = {}
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd: p.dir,
    env: { ...p.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  );
}

async function swapImage(p: Project): Promise<void> {
  // Another image under the same name: what an attacker with write access to the runner would do.
  writeFileSync(join(p.dir, 'dist/greet.js'), 'export const greet = () => "pwned";\n');
  const r = await bash('docker buildx build --output type=oci,dest=image.tar .', p);
  expect(r.status, r.stderr).toBe(0);
}

describe('examples/', () => {
  it('github-actions.yml: every run: block passes in order, and the gate stops a swapped image', async () => {
    const yaml = readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8');
    const blocks = githubRunBlocks(yaml);
    expect(blocks.map((b) => b.name)).toEqual([
      'install',
      'functionary key',
      'checkout — record the commit and the sources git tracks',
      'build',
      'test',
      'package — an OCI image archive; its manifest digest is the product',
      'gate — verify the chain, and that image.tar is the verified image',
      'release — only reached when the gate passed',
    ]);
    const p = await project();
    const runnerTemp = testdir();
    const env = {
      RUNNER_TEMP: runnerTemp,
      INTOTO_CI_KEY: readFileSync(join(p.keys, 'ci'), 'utf8').trimEnd(),
    };
    for (const b of blocks) {
      const script = b.script
        .split('\n')
        .filter((l) => !SKIP.test(l.trim()))
        .join('\n');
      const r = await bash(script, p, env);
      expect(r.status, `step "${b.name}":\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
    const report = JSON.parse(readFileSync(join(p.dir, 'verify-report.json'), 'utf8')) as {
      ok: boolean;
      steps: { name: string; ok: boolean }[];
    };
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => [s.name, s.ok])).toEqual([
      ['checkout', true],
      ['build', true],
      ['test', true],
      ['package', true],
    ]);
    const links = readdirSync(join(p.dir, 'links')).sort();
    expect(links.map((l) => l.split('.')[0])).toEqual(['build', 'checkout', 'package', 'test']);
    const checkout = JSON.parse(
      readFileSync(
        join(
          p.dir,
          'links',
          links.find((l) => l.startsWith('checkout'))!
        ),
        'utf8'
      )
    ) as { signed: { products: Record<string, Record<string, string>> } };
    const head = (await simpleGit({ baseDir: p.dir }).revparse(['HEAD'])).trim();
    expect(checkout.signed.products['git:HEAD']).toEqual({ sha1: head });

    await swapImage(p);
    const gate = await bash(blocks[6].script, p, env);
    expect(gate.status).toBe(1);
    expect(gate.stdout).toMatch(/differs: +oci:image\.tar/);
    expect(gate.stderr).toMatch(/not the products of links\/package\.[0-9a-f]{8}\.link/);
  }, 240_000);

  it('gitlab-ci.yml: every job script passes, stage by stage; a changed source fails verify', async () => {
    const yaml = readFileSync(join(EXAMPLES, 'gitlab-ci.yml'), 'utf8');
    const jobs = gitlabCommands(yaml);
    expect(jobs.map((j) => j.job)).toEqual([
      'checkout',
      'build',
      'test',
      'package',
      'verify',
      'release',
    ]);
    const p = await project();
    const env = { INTOTO_CI_KEY: join(p.keys, 'ci') };
    for (const j of jobs) {
      for (const c of j.commands.filter((c) => !SKIP.test(c))) {
        const r = await bash(c, p, env);
        expect(r.status, `job ${j.job}: ${c}\n${r.stdout}\n${r.stderr}`).toBe(0);
      }
    }
    // Tamper with a source after checkout and build again: verify fails at build's materials.
    writeFileSync(join(p.dir, 'src/greet.js'), 'export const greet = () => "pwned";\n');
    for (const j of jobs.filter((j) => ['build', 'test', 'package'].includes(j.job)))
      for (const c of j.commands.filter((c) => !SKIP.test(c))) await bash(c, p, env);
    const verify = await bash(jobs.find((j) => j.job === 'verify')!.commands[1], p, env);
    expect(verify.status).toBe(1);
    const report = JSON.parse(readFileSync(join(p.dir, 'verify-report.json'), 'utf8')) as {
      ok: boolean;
      failure: { message: string };
    };
    expect(report.ok).toBe(false);
    expect(report.failure.message).toMatch(/build/);
    expect(JSON.stringify(report.failure)).toMatch(/src\/greet\.js/);
  }, 240_000);

  it('Makefile: make release records, verifies and releases', async () => {
    const p = await project();
    const r = spawnSync(
      'make',
      ['-f', join(EXAMPLES, 'Makefile'), 'release', `KEY=${join(p.keys, 'ci')}`],
      { cwd: p.dir, env: p.env, encoding: 'utf8' }
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/releasing the verified image.tar/);
    expect(readdirSync(join(p.dir, 'links')).length).toBe(4);
  }, 240_000);
});
