/** Runs test/crypto/reference_schemes.py with the Debian python that has the reference's libraries. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/vectors.js';

const SCRIPT = join(ROOT, 'test/crypto/reference_schemes.py');

export function referenceCrypto<T>(request: object): T {
  const r = spawnSync('/usr/bin/python3', [SCRIPT], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`reference_schemes.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a python snippet with the reference's libraries in `cwd`. */
export function referencePython(
  code: string,
  cwd: string
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
