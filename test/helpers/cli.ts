/** Runs the built CLI (dist/) as a user would, and the reference in-toto tools when present. */
import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './vectors.js';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function intoto(args: string[], options: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    ...options,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** True when the reference CLIs (Debian package in-toto) are installed. */
export const HAVE_REFERENCE = existsSync('/usr/bin/in-toto-verify');

/**
 * Interop tests run the real reference. In CI they must run: a missing reference is a failure there,
 * and a skip only on a developer machine without the package.
 */
export function requireReference(): boolean {
  if (HAVE_REFERENCE) return true;
  if (process.env.CI)
    throw new Error(
      'the reference in-toto CLIs are missing: .ci/run must install the Debian package in-toto'
    );
  return false;
}

export function reference(tool: string, args: string[], options: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(`/usr/bin/${tool}`, args, { encoding: 'utf8', ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Collects a child's output and exit status without blocking the test worker's event loop. */
function settle(child: ReturnType<typeof spawn>): Promise<RunResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
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

/**
 * {@link intoto} without blocking: a file of many synchronous CLI runs can starve vitest's worker
 * RPC for over 60 s ("Timeout calling onTaskUpdate") on a loaded machine.
 */
export function intotoAsync(args: string[], options: SpawnOptions = {}): Promise<RunResult> {
  return settle(
    spawn(process.execPath, [CLI, ...args], {
      ...options,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...options.env },
    })
  );
}

/** {@link reference} without blocking. */
export function referenceAsync(
  tool: string,
  args: string[],
  options: SpawnOptions = {}
): Promise<RunResult> {
  return settle(spawn(`/usr/bin/${tool}`, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
}
