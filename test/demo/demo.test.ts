import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/vectors.js';

describe('npm run demo', () => {
  it('records and verifies a container release, then catches each of the three attacks', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'examples/demo/demo.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 240_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/PASSED: the supply chain verified \(4 steps, 1 inspection\)/);
    expect(r.stdout).toMatch(/differs from src\/greet\.js in the products of checkout/);
    expect(r.stdout).toMatch(/does not match its digest: the image was altered/);
    expect(r.stdout).toMatch(/step build needs 1 link\(s\) validly signed/);
    expect(r.stdout).toMatch(/demo passed in/);
  }, 240_000);
});
