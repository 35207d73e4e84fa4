/**
 * Interop with the reference (python in-toto 1.3.1, Debian package): metadata signed by
 * in-toto-sign / in-toto-run verifies with `intoto sign --verify`, and metadata signed by
 * `intoto sign` with keys from `intoto keygen --format securesystemslib` verifies with in-toto-sign.
 * Tampering with any signed field makes both fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intotoAsync, referenceAsync, requireReference } from '../helpers/cli.js';
import { testdir } from '../helpers/vectors.js';

const run = requireReference();
const TYPES = ['rsa', 'ed25519', 'ecdsa'] as const;

// Values that stress canonical JSON: non-ASCII, control characters, quotes, backslashes, big ints.
const TRICKY = {
  text: 'ünïcødé ☃ 😀 "quoted" back\\slash \u0001\u001f tab\t nl\n',
  big: 123456789012345678901234567890n,
};

function unsignedLink(name: string): string {
  // Written by hand so the big integer stays exact (JSON.stringify cannot write bigint).
  return `{"signatures": [], "signed": {"_type": "link", "name": ${JSON.stringify(name)}, "byproducts": {"stdout": ${JSON.stringify(TRICKY.text)}, "stderr": "", "return-value": 0}, "command": ["echo", ${JSON.stringify(TRICKY.text)}], "environment": {"big": ${TRICKY.big}, "text": ${JSON.stringify(TRICKY.text)}}, "materials": {"dir/fïle \\"q\\".txt": {"sha256": "${'ab'.repeat(32)}"}}, "products": {}}}`;
}

function unsignedLayout(): string {
  return JSON.stringify({
    signatures: [],
    signed: {
      _type: 'layout',
      expires: '2099-01-01T00:00:00Z',
      readme: TRICKY.text,
      keys: {},
      steps: [
        {
          _type: 'step',
          name: 'build',
          expected_materials: [['ALLOW', 'é*']],
          expected_products: [],
          pubkeys: [],
          expected_command: ['make', TRICKY.text],
          threshold: 1,
        },
      ],
      inspect: [],
    },
  });
}

function tamper(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  const changed = text.replace(from, to);
  expect(changed).not.toBe(text);
  writeFileSync(path, changed);
}

describe.runIf(run)('interop with in-toto-sign (python 1.3.1)', () => {
  let dir: string;
  beforeAll(() => {
    dir = testdir();
  });

  for (const type of TYPES) {
    it(`${type}: reference-signed link and layout verify with intoto sign --verify; tampering fails both`, async () => {
      const opts = { cwd: dir };
      const k = `ref-${type}`;
      expect(
        (
          await referenceAsync(
            'in-toto-keygen',
            ['-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), k],
            opts
          )
        ).status
      ).toBe(0);
      // A link from in-toto-run itself.
      writeFileSync(join(dir, 'ünï "file".txt'), TRICKY.text);
      const r = await referenceAsync(
        'in-toto-run',
        ['-n', `step-${type}`, '-k', k, '-t', type, '-m', 'ünï "file".txt', '-x'],
        opts
      );
      expect(r.status, r.stderr).toBe(0);
      const keyid = (
        JSON.parse((await intotoAsync(['key', 'id', '--json', `${k}.pub`], opts)).stdout) as {
          keyid: string;
        }[]
      )[0].keyid;
      const linkFile = `step-${type}.${keyid.slice(0, 8)}.link`;
      expect(
        (await intotoAsync(['sign', '--verify', '-f', linkFile, '-k', `${k}.pub`], opts)).status
      ).toBe(0);
      // A tricky link and a layout signed by in-toto-sign.
      writeFileSync(join(dir, `tricky-${type}.json`), unsignedLink(`tricky-${type}`));
      const s1 = await referenceAsync(
        'in-toto-sign',
        ['-f', `tricky-${type}.json`, '-k', k, '-t', type],
        opts
      );
      expect(s1.status, s1.stderr).toBe(0);
      const tricky = `tricky-${type}.${keyid.slice(0, 8)}.link`;
      expect(
        (await intotoAsync(['sign', '--verify', '-f', tricky, '-k', `${k}.pub`], opts)).status
      ).toBe(0);
      writeFileSync(join(dir, `layout-${type}.layout`), unsignedLayout());
      const s2 = await referenceAsync(
        'in-toto-sign',
        ['-f', `layout-${type}.layout`, '-k', k, '-t', type],
        opts
      );
      expect(s2.status, s2.stderr).toBe(0);
      expect(
        (
          await intotoAsync(
            ['sign', '--verify', '-f', `layout-${type}.layout`, '-k', `${k}.pub`],
            opts
          )
        ).status
      ).toBe(0);
      // Tamper: both tools now refuse.
      tamper(join(dir, tricky), '123456789012345678901234567890', '123456789012345678901234567891');
      tamper(join(dir, `layout-${type}.layout`), '"make"', '"make!"');
      for (const f of [tricky, `layout-${type}.layout`]) {
        expect(
          (await intotoAsync(['sign', '--verify', '-f', f, '-k', `${k}.pub`], opts)).status,
          f
        ).toBe(1);
        expect(
          (
            await referenceAsync(
              'in-toto-sign',
              ['--verify', '-f', f, '-k', `${k}.pub`, '-t', type],
              opts
            )
          ).status,
          f
        ).toBe(1);
      }
    });

    it(`${type}: intoto-signed link and layout (keys from intoto keygen --format securesystemslib) verify with in-toto-sign`, async () => {
      const opts = { cwd: dir };
      const k = `our-${type}`;
      const g = await intotoAsync(
        [
          'keygen',
          '-t',
          type,
          '--format',
          'securesystemslib',
          ...(type === 'rsa' ? ['-b', '2048'] : []),
          k,
        ],
        opts
      );
      expect(g.status, g.stderr).toBe(0);
      const keyid = (
        JSON.parse((await intotoAsync(['key', 'id', '--json', `${k}.pub`], opts)).stdout) as {
          keyid: string;
        }[]
      )[0].keyid;
      writeFileSync(join(dir, `u-${type}.json`), unsignedLink(`ours-${type}`));
      const s1 = await intotoAsync(['sign', '-f', `u-${type}.json`, '-k', k], opts);
      expect(s1.status, s1.stderr).toBe(0);
      const link = `ours-${type}.${keyid.slice(0, 8)}.link`;
      const v1 = await referenceAsync(
        'in-toto-sign',
        ['--verify', '-f', link, '-k', `${k}.pub`, '-t', type],
        opts
      );
      expect(v1.status, v1.stderr).toBe(0);
      writeFileSync(join(dir, `ours-${type}.layout`), unsignedLayout());
      expect((await intotoAsync(['sign', '-f', `ours-${type}.layout`, '-k', k], opts)).status).toBe(
        0
      );
      const v2 = await referenceAsync(
        'in-toto-sign',
        ['--verify', '-f', `ours-${type}.layout`, '-k', `${k}.pub`, '-t', type],
        opts
      );
      expect(v2.status, v2.stderr).toBe(0);
      // The reference's own key loader reads our private key too: it can append its signature.
      tamper(join(dir, link), /"text": "ünï|"text": "\\u00fcn\\u00ef/, '"text": "X');
      expect(
        (
          await referenceAsync(
            'in-toto-sign',
            ['--verify', '-f', link, '-k', `${k}.pub`, '-t', type],
            opts
          )
        ).status
      ).toBe(1);
      expect(
        (await intotoAsync(['sign', '--verify', '-f', link, '-k', `${k}.pub`], opts)).status
      ).toBe(1);
    });
  }
});

describe('sign command errors', () => {
  it('exits 2 with one line for a missing file, a non-key, --verify with -o, and a link with two keys', async () => {
    const dir = testdir({ 'not-a-key': 'hello', 'x.json': unsignedLink('x') });
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', 'k1'], opts)).status).toBe(0);
    expect((await intotoAsync(['keygen', 'k2'], opts)).status).toBe(0);
    for (const args of [
      ['sign', '-f', 'missing.link', '-k', 'k1'],
      ['sign', '-f', 'x.json', '-k', 'not-a-key'],
      ['sign', '-f', 'x.json', '-k', 'k1', '--verify', '-o', 'y'],
      ['sign', '-f', 'x.json', '-k', 'k1', 'k2'],
      ['sign', '-f', 'not-a-key', '-k', 'k1'],
      ['keygen', 'k1'],
      ['keygen', '-t', 'ed25519', '-b', '4096', 'k3'],
    ]) {
      const r = await intotoAsync(args, opts);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
    }
  });
});
