import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/vectors.js';

describe('npm run demo', () => {
  it('records and verifies a container release, then catches each of the three attacks', async () => {
    // Spawned asynchronously: a long synchronous spawn starves the vitest worker's RPC.
    const child = spawn(process.execPath, [join(ROOT, 'examples/demo/demo.mjs')], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/PASSED: the supply chain verified \(4 steps, 1 inspection\)/);
    expect(stdout).toMatch(/differs from src\/greet\.js in the products of checkout/);
    expect(stdout).toMatch(/does not match its digest: the image was altered/);
    expect(stdout).toMatch(/step build needs 1 link\(s\) validly signed/);
    expect(stdout).toMatch(/demo passed in/);
  }, 240_000);
});
