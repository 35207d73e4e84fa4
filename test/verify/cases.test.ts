/** Every verification case of ../shared/vectors/cases.json, run through the built CLI. */
import { describe, expect, it } from 'vitest';
import { intoto } from '../helpers/cli.js';
import { cases, materialise } from '../helpers/vectors.js';

interface Case {
  id: string;
  files: { src: string | null; dest: string; content?: string; mode?: string }[];
  layout: string;
  layout_keys: string[];
  link_dir: string;
  link_dir_arg: boolean;
  gpg: unknown;
  expect: 'pass' | 'fail';
  exit?: number;
  reason: string;
}

/**
 * GO-08's sublayout (signed by functionary 70ca5750, not by the owner) carries an inspection. Running
 * it would execute a functionary's command on the verifier's machine (SECURITY.md H-1), so intoto
 * refuses unless told otherwise; the case's expected PASS is reached with that explicit opt-in, and
 * H-1 in test/verify/security.test.ts shows the default refusal on the same data.
 */
const EXTRA: Record<string, string[]> = { 'GO-08': ['--allow-sublayout-inspections'] };

describe('cases.json verify: 42 cases from python, golang and generated chains', () => {
  for (const c of cases.verify as Case[]) {
    const title = `${c.id}: ${c.expect}${c.expect === 'fail' ? ` (${c.reason})` : ''}`;
    if (c.gpg) {
      // PY-07 is GPG-signed. GPG support is not implemented (REFERENCE §8; SECURITY A-6 advises
      // against PGP in v1): pending until it is filed and built.
      it.skip(`${title} — skipped: GPG support not implemented (REFERENCE §8; SECURITY A-6 recommends against PGP in v1)`, () => {});
      continue;
    }
    it(title, () => {
      const dir = materialise(c.files);
      const args = [
        'verify',
        '-l',
        c.layout,
        ...(c.layout_keys.length ? ['-k', ...c.layout_keys] : []),
      ];
      if (c.link_dir_arg || c.link_dir !== '.') args.push('--link-dir', c.link_dir);
      args.push(...(EXTRA[c.id] ?? []));
      const r = intoto(args, { cwd: dir });
      const want = c.exit ?? (c.expect === 'pass' ? 0 : 1);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(want);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // never a stack trace
      if (want === 1) expect(r.stderr).toMatch(/FAILED: /);
    });
  }
  for (const u of cases.usage as { args: string[]; expect_exit: number }[]) {
    it(`usage: intoto verify ${u.args.join(' ')} → exit ${u.expect_exit}`, () => {
      expect(intoto(['verify', ...u.args], { cwd: materialise([]) }).status).toBe(u.expect_exit);
    });
  }
});
