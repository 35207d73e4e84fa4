/** Access to the shared interop vectors (../shared/vectors) and scratch directories for tests. */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const VECTORS = resolve(ROOT, '../shared/vectors');
export const CLI = join(ROOT, 'dist/cli/main.js');

export function vector(rel: string): string {
  return join(VECTORS, rel);
}

export function readVector(rel: string): Buffer {
  return readFileSync(vector(rel));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const cases: any = JSON.parse(readFileSync(join(VECTORS, 'cases.json'), 'utf8'));

const made: string[] = [];
afterAll(() => {
  if (process.env.INTOTO_KEEP_TEST_DIRS) return;
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test file (set INTOTO_KEEP_TEST_DIRS to keep). */
export function testdir(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'intoto-test-'));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

interface CaseFile {
  src: string | null;
  dest: string;
  content?: string;
  mode?: string;
}

/** Materialises a cases.json entry's files[] into a fresh scratch directory. */
export function materialise(files: CaseFile[]): string {
  const dir = testdir();
  for (const f of files) {
    const dest = join(dir, f.dest);
    mkdirSync(dirname(dest), { recursive: true });
    if (f.src === null) writeFileSync(dest, f.content ?? '');
    else cpSync(vector(f.src), dest, { recursive: true });
    if (f.mode) chmodSync(dest, parseInt(f.mode, 8));
  }
  return dir;
}

/**
 * A link's `signed` part without the `environment.excludes` we record (SECURITY.md A-3; the
 * reference records `{}`), so ours and the reference's can be compared field for field. The
 * patterns must be a list of strings; they are checked where they matter (test/hardening).
 */
export function withoutRecordedExcludes<T>(signed: T): T {
  const env = (signed as { environment?: Record<string, unknown> }).environment;
  if (!env || !('excludes' in env)) return signed;
  const { excludes, ...rest } = env;
  if (!Array.isArray(excludes) || excludes.some((p) => typeof p !== 'string'))
    throw new Error(`environment.excludes is not a list of patterns: ${JSON.stringify(excludes)}`);
  return { ...signed, environment: rest };
}
