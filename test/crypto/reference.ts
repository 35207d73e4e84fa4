/** Runs python with the reference's libraries (the Debian /usr/bin/python3), without blocking. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/vectors.js';

const SCRIPT = join(ROOT, 'test/crypto/reference_schemes.py');

export interface PythonResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function python(args: string[], input: string | undefined, cwd?: string): Promise<PythonResult> {
  const child = spawn('/usr/bin/python3', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.end(input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      })
    );
  });
}

/** Sends a request to test/crypto/reference_schemes.py and returns its JSON answer. */
export async function referenceCrypto<T>(request: object): Promise<T> {
  const r = await python([SCRIPT], JSON.stringify(request));
  if (r.status !== 0) throw new Error(`reference_schemes.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a python snippet with the reference's libraries in `cwd`. */
export function referencePython(code: string, cwd: string): Promise<PythonResult> {
  return python(['-c', code], undefined, cwd);
}
