/**
 * The command runner as a library (also used by the verifier for inspections): real processes,
 * sinks instead of the terminal, timeouts that stop grandchildren, secrets in recorded output.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import {
  CommandNotFoundError,
  CommandTimeoutError,
  normalizeNewlines,
  runCommand,
  scanSecrets,
} from '../../src/index.js';
import { testdir } from '../helpers/vectors.js';

/** A Writable that keeps what it is given. */
function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString('utf8') });
}

describe('runCommand', () => {
  it('tees output to the sinks and captures it normalised only with recordStreams', async () => {
    const out = sink();
    const err = sink();
    const argv = ['sh', '-c', 'printf "a\\r\\nb\\rc\\n"; printf "e\\r\\n" >&2'];
    const r = await runCommand(argv, { stdout: out, stderr: err, recordStreams: true });
    expect(r).toEqual({ returnValue: 0, stdout: 'a\nb\nc\n', stderr: 'e\n' });
    // Live output is passed on byte for byte; only the recorded copy is normalised.
    expect(out.text()).toBe('a\r\nb\rc\n');
    expect(err.text()).toBe('e\r\n');
    const quiet = sink();
    const r2 = await runCommand(['sh', '-c', 'echo hi'], { stdout: quiet });
    expect(r2.stdout).toBe('');
    expect(quiet.text()).toBe('hi\n');
  });

  it('passThrough false discards output, still captures it', async () => {
    const out = sink();
    const r = await runCommand(['echo', 'x'], {
      stdout: out,
      passThrough: false,
      recordStreams: true,
    });
    expect(r.stdout).toBe('x\n');
    expect(out.text()).toBe('');
  });

  it('runs in cwd with the given environment, argv without a shell', async () => {
    const dir = testdir();
    const out = sink();
    const r = await runCommand(['sh', '-c', 'pwd; echo "$ONLY"', '$HOME'], {
      cwd: dir,
      env: { PATH: process.env.PATH, ONLY: 'me' },
      recordStreams: true,
      stdout: out,
    });
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringContaining('intoto-test-'),
      'me',
    ]);
    const literal = await runCommand(['echo', '$HOME', '*'], { recordStreams: true, stdout: out });
    expect(literal.stdout).toBe('$HOME *\n');
  });

  it('exit codes and signals as Python reports them', async () => {
    expect((await runCommand(['sh', '-c', 'exit 3'])).returnValue).toBe(3);
    expect((await runCommand(['sh', '-c', 'kill -TERM $$'])).returnValue).toBe(-15);
    expect((await runCommand(['sh', '-c', 'kill -KILL $$'])).returnValue).toBe(-9);
  });

  it('a missing or non-executable command is a CommandNotFoundError', async () => {
    await expect(runCommand(['no-such-command-xyz'])).rejects.toBeInstanceOf(CommandNotFoundError);
    const dir = testdir({ 'script.sh': 'echo hi' });
    await expect(runCommand([`${dir}/script.sh`])).rejects.toThrow(/not executable/);
    await expect(runCommand([])).rejects.toBeInstanceOf(CommandNotFoundError);
  });

  it('a timeout stops the whole process group, grandchildren holding the pipes included', async () => {
    const start = Date.now();
    const out = sink();
    const p = runCommand(['sh', '-c', 'echo started; sleep 20; echo never'], {
      timeoutSeconds: 0.5,
      recordStreams: true,
      stdout: out,
    });
    await expect(p).rejects.toBeInstanceOf(CommandTimeoutError);
    // Far below the 20 s sleep even on a loaded machine: the grandchild was stopped too.
    expect(Date.now() - start).toBeLessThan(12_000);
    expect(out.text()).toBe('started\n');
  });

  it('a background child keeping the pipes open does not hold the step', async () => {
    const start = Date.now();
    const r = await runCommand(['sh', '-c', 'echo a; sleep 30 & echo b'], {
      recordStreams: true,
      stdout: sink(),
    });
    expect(r.stdout).toBe('a\nb\n');
    expect(Date.now() - start).toBeLessThan(15_000);
  });

  it('large output is captured whole', async () => {
    const r = await runCommand(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x'], {
      recordStreams: true,
      stdout: sink(),
    });
    expect(r.stdout.length).toBe(3_000_000);
  });

  it('normalizeNewlines is universal newlines', () => {
    expect(normalizeNewlines('a\r\n\r\nb\r\rc\n')).toBe('a\n\nb\n\nc\n');
  });
});

describe('scanSecrets (SECURITY.md H-7)', () => {
  const env = { API_TOKEN: 's3cr3t', DB_PASSWORD: 'hunter2-long', HOME: '/home/s3cr3t', PIN: 'x' };
  it('reports secret-looking variables whose values were printed', () => {
    const r = scanSecrets({ stdout: 'token s3cr3t\n', stderr: 'pw hunter2-long s3cr3t' }, env);
    expect(r.hits).toEqual([
      { name: 'API_TOKEN', streams: ['stdout', 'stderr'] },
      { name: 'DB_PASSWORD', streams: ['stderr'] },
    ]);
    expect(r.stdout).toBe('token s3cr3t\n');
  });
  it('redacts on request, and ignores short values and ordinary names', () => {
    const r = scanSecrets({ stdout: 'a s3cr3t b s3cr3t', stderr: '/home/x' }, env, true);
    expect(r.stdout).toBe('a [redacted $API_TOKEN] b [redacted $API_TOKEN]');
    expect(scanSecrets({ stdout: 'x', stderr: '' }, { TOKEN: 'x' }).hits).toEqual([]);
  });
});
