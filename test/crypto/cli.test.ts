/**
 * `intoto keygen`, `intoto key id` and `intoto sign` end to end (built CLI): file formats and modes,
 * passwords, keyid formats, DSSE (checked by an independent PAE implementation over securesystemslib's
 * verify_signature, since in-toto 1.3.1 has no DSSE), and one-line errors with exit 2.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKey } from '../../src/index.js';
import { intotoAsync, referenceAsync, requireReference } from '../helpers/cli.js';
import { testdir } from '../helpers/vectors.js';
import { referenceCrypto, referencePython } from './reference.js';

const run = requireReference();
const TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;
const bitsFor = (type: string) => (type === 'rsa' ? ['-b', '2048'] : []);

const LINK = JSON.stringify({
  signatures: [],
  signed: {
    _type: 'link',
    name: 'build',
    byproducts: { stdout: 'ünï\u0001 "q" \\' },
    command: ['make'],
    environment: {},
    materials: {},
    products: { 'a.txt': { sha256: 'ab'.repeat(32) } },
  },
});
const LAYOUT = JSON.stringify({
  signatures: [],
  signed: {
    _type: 'layout',
    expires: '2099-01-01T00:00:00Z',
    readme: '',
    keys: {},
    steps: [],
    inspect: [],
  },
});

interface KeyRow {
  file: string;
  keytype: string;
  scheme: string;
  keyid: string;
  keyid_legacy: string;
  keyid_new: string;
  private: boolean;
}

async function keyIDs(dir: string, ...files: string[]): Promise<KeyRow[]> {
  const r = await intotoAsync(['key', 'id', '--json', ...files], { cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as KeyRow[];
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Exit 2, one line (plus an optional hint), no stack trace. */
function expectUsageFailure(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
}

describe('intoto keygen', () => {
  it('writes NAME (0600) and NAME.pub (0644) in PEM by default; refuses to overwrite without --force', async () => {
    const dir = testdir();
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', 'k'], opts)).status).toBe(0);
    expect(mode(join(dir, 'k'))).toBe(0o600);
    expect(mode(join(dir, 'k.pub'))).toBe(0o644);
    expect(readFileSync(join(dir, 'k'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(join(dir, 'k.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const before = readFileSync(join(dir, 'k'), 'utf8');
    expectUsageFailure(
      await intotoAsync(['keygen', 'k'], opts),
      /k already exists; not overwriting/
    );
    expect(readFileSync(join(dir, 'k'), 'utf8')).toBe(before);
    // --force replaces the files; a private key left world-readable is rewritten as 0600.
    chmodSync(join(dir, 'k'), 0o644);
    expect((await intotoAsync(['keygen', '--force', '-t', 'ecdsa', 'k'], opts)).status).toBe(0);
    expect(readFileSync(join(dir, 'k'), 'utf8')).not.toBe(before);
    expect(mode(join(dir, 'k'))).toBe(0o600);
    expect((await keyIDs(dir, 'k'))[0].keytype).toBe('ecdsa');
  });

  it('--password encrypts the PEM (PKCS#8); bad flags exit 2', async () => {
    const dir = testdir();
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', '--password', 'pw', 'e'], opts)).status).toBe(0);
    expect(readFileSync(join(dir, 'e'), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expectUsageFailure(await intotoAsync(['keygen', '-t', 'dsa', 'x'], opts), /-t\/--type must be/);
    expectUsageFailure(
      await intotoAsync(['keygen', '-t', 'ecdsa', '-b', '384', 'x'], opts),
      /rsa keys only/
    );
    expectUsageFailure(
      await intotoAsync(['keygen', '-t', 'rsa', '-b', '1024', 'x'], opts),
      /at least 2048/
    );
    expectUsageFailure(
      await intotoAsync(['keygen', '--format', 'ssh', 'x'], opts),
      /--format must be/
    );
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it.runIf(run)(
    '--format securesystemslib writes the files in-toto-keygen writes (same shape, same bytes around the key)',
    async () => {
      const dir = testdir();
      const opts = { cwd: dir };
      for (const type of TYPES) {
        expect(
          (
            await referenceAsync(
              'in-toto-keygen',
              ['-t', type, ...bitsFor(type), `ref-${type}`],
              opts
            )
          ).status
        ).toBe(0);
        expect(
          (
            await intotoAsync(
              [
                'keygen',
                '-t',
                type,
                '--format',
                'securesystemslib',
                ...bitsFor(type),
                `our-${type}`,
              ],
              opts
            )
          ).status
        ).toBe(0);
        const ref = readFileSync(join(dir, `ref-${type}`), 'utf8');
        const ours = readFileSync(join(dir, `our-${type}`), 'utf8');
        const refPub = readFileSync(join(dir, `ref-${type}.pub`), 'utf8');
        const ourPub = readFileSync(join(dir, `our-${type}.pub`), 'utf8');
        if (type === 'rsa') {
          // PKCS#1 private key and bare SPKI public key, neither with a final newline.
          expect(ours.split('\n')[0]).toBe(ref.split('\n')[0]);
          expect(ours.endsWith('-----')).toBe(ref.endsWith('-----'));
          expect(ourPub.endsWith('-----')).toBe(refPub.endsWith('-----'));
        } else {
          // Same JSON layout: key order, value shapes, the values replaced by placeholders.
          const shape = (text: string) =>
            text.replace(/"[0-9a-f]{64}"/g, '"HEX"').replace(/"-----BEGIN[^"]*"/g, '"PEM"');
          expect(shape(ours)).toBe(shape(ref));
          expect(shape(ourPub)).toBe(shape(refPub));
        }
        // The ids agree between the two tools for each other's files.
        const ids = await keyIDs(
          dir,
          `ref-${type}`,
          `ref-${type}.pub`,
          `our-${type}`,
          `our-${type}.pub`
        );
        expect(ids[0].keyid).toBe(ids[1].keyid);
        expect(ids[2].keyid).toBe(ids[3].keyid);
      }
    }
  );

  it.runIf(run)(
    'encrypted keys cross over: securesystemslib reads ours, we read its (same keyids)',
    async () => {
      const dir = testdir();
      const opts = { cwd: dir };
      const py = (code: string) => referencePython(code, dir);
      const made = await py(
        [
          'from securesystemslib import interface as i',
          "i._generate_and_write_rsa_keypair(filepath='py-rsa', bits=2048, password='pw')",
          "i._generate_and_write_ed25519_keypair(filepath='py-ed25519', password='pw')",
          "i._generate_and_write_ecdsa_keypair(filepath='py-ecdsa', password='pw')",
        ].join('\n')
      );
      expect(made.status, made.stderr).toBe(0);
      for (const type of TYPES) {
        expect(
          (
            await intotoAsync(
              [
                'keygen',
                '-t',
                type,
                '--format',
                'securesystemslib',
                '--password',
                'pw',
                ...bitsFor(type),
                `our-${type}`,
              ],
              opts
            )
          ).status
        ).toBe(0);
      }
      const read = await py(
        [
          'from securesystemslib import interface as i',
          "f = {'rsa': i.import_rsa_privatekey_from_file, 'ed25519': i.import_ed25519_privatekey_from_file, 'ecdsa': i.import_ecdsa_privatekey_from_file}",
          "print(' '.join(f[t](p + t, password='pw')['keyid'] for p in ('py-', 'our-') for t in ('rsa', 'ed25519', 'ecdsa')))",
        ].join('\n')
      );
      expect(read.status, read.stderr).toBe(0);
      const files = ['py-', 'our-'].flatMap((p) => TYPES.map((t) => `${p}${t}`)).sort();
      const r = await intotoAsync(['key', 'id', '--json', '-P', 'pw', ...files], opts);
      expect(r.status, r.stderr).toBe(0);
      const ours = new Map((JSON.parse(r.stdout) as KeyRow[]).map((row) => [row.file, row.keyid]));
      const theirs = read.stdout.trim().split(' ');
      ['py-', 'our-']
        .flatMap((p) => ['rsa', 'ed25519', 'ecdsa'].map((t) => `${p}${t}`))
        .forEach((file, i) => expect(ours.get(file), file).toBe(theirs[i]));
    }
  );
});

describe('intoto key id', () => {
  it('prints both ids and the type of each key, as text and --json', async () => {
    const dir = testdir();
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', '-t', 'ed25519', 'a'], opts)).status).toBe(0);
    expect(
      (await intotoAsync(['keygen', '-t', 'ecdsa', '--format', 'securesystemslib', 'b'], opts))
        .status
    ).toBe(0);
    const rows = await keyIDs(dir, 'a.pub', 'b');
    expect(rows.map((r) => [r.file, r.keytype, r.private])).toEqual([
      ['a.pub', 'ed25519', false],
      ['b', 'ecdsa', true],
    ]);
    const a = parseKey(readFileSync(join(dir, 'a.pub')));
    expect(rows[0]).toMatchObject({
      keyid: a.keyIDs.legacy,
      keyid_legacy: a.keyIDs.legacy,
      keyid_new: a.keyIDs.new,
    });
    const text = await intotoAsync(['key', 'id', 'a.pub', 'b'], opts);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(
      `a.pub: ed25519 (ed25519)\n  legacy ${a.keyIDs.legacy}\n  new    ${a.keyIDs.new}\n`
    );
    expect(text.stdout).toMatch(/b: ecdsa \(ecdsa-sha2-nistp256\), private\n/);
    expectUsageFailure(
      await intotoAsync(['key', 'id', 'missing'], opts),
      /missing: cannot read key file \(no such file\)\n {2}hint: check the path; intoto keygen NAME makes a key pair/
    );
  });
});

describe('intoto sign: passwords', () => {
  it('asks for a password only for encrypted keys, and never from a pipe', async () => {
    const dir = testdir({ 'x.link': LINK });
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', '--password', 'pw', 'enc'], opts)).status).toBe(0);
    expect((await intotoAsync(['keygen', 'plain'], opts)).status).toBe(0);
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.link', '-k', 'enc'], opts),
      /enc: the key is encrypted and no password was given/
    );
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.link', '-k', 'enc', '-P', 'nope'], opts),
      /enc: wrong password/
    );
    // Bare -P with standard input not a terminal: a clear message instead of a hang.
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.link', '-k', 'enc', '-P'], opts),
      /standard input is not a terminal/
    );
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.link', '-k', 'enc', '-p'], opts),
      /standard input is not a terminal/
    );
    // An unencrypted key needs no answer, so bare -P is harmless.
    expect(
      (await intotoAsync(['sign', '-f', 'x.link', '-k', 'plain', '-P', '-o', 'p.link'], opts))
        .status
    ).toBe(0);
    const r = await intotoAsync(
      ['sign', '-f', 'x.link', '-k', 'enc', '-P', 'pw', '-o', 'e.link'],
      opts
    );
    expect(r.status, r.stderr).toBe(0);
    expect(
      (await intotoAsync(['sign', '--verify', '-f', 'e.link', '-k', 'enc.pub'], opts)).status
    ).toBe(0);
  });

  it.runIf(run)(
    'a layout signed by us with an encrypted in-toto-keygen key verifies with in-toto-sign',
    async () => {
      const dir = testdir({ 'root.layout': LAYOUT });
      const opts = { cwd: dir };
      const made = await referencePython(
        "from securesystemslib import interface as i\ni._generate_and_write_rsa_keypair(filepath='alice', bits=2048, password='pw')",
        dir
      );
      expect(made.status, made.stderr).toBe(0);
      expect(
        (await intotoAsync(['sign', '-f', 'root.layout', '-k', 'alice', '-P', 'pw'], opts)).status
      ).toBe(0);
      const v = await referenceAsync(
        'in-toto-sign',
        ['--verify', '-f', 'root.layout', '-k', 'alice.pub'],
        opts
      );
      expect(v.status, v.stderr).toBe(0);
    }
  );
});

describe('intoto sign: keyid formats and --verify output', () => {
  it('--keyid-format new labels the signature and the file with the new id; --verify accepts either id', async () => {
    const dir = testdir({ 'x.json': LINK });
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', '-t', 'ecdsa', 'k'], opts)).status).toBe(0);
    const [ids] = await keyIDs(dir, 'k.pub');
    const r = await intotoAsync(['sign', '-f', 'x.json', '-k', 'k', '--keyid-format', 'new'], opts);
    expect(r.status, r.stderr).toBe(0);
    const file = `build.${ids.keyid_new.slice(0, 8)}.link`;
    const signed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      signatures: { keyid: string }[];
    };
    expect(signed.signatures.map((s) => s.keyid)).toEqual([ids.keyid_new]);
    expect((await intotoAsync(['sign', '--verify', '-f', file, '-k', 'k.pub'], opts)).status).toBe(
      0
    );
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.json', '-k', 'k', '--keyid-format', 'v3'], opts),
      /--keyid-format must be legacy or new/
    );
  });

  it('--verify prints one line per key and exits 1 when any key has no valid signature', async () => {
    const dir = testdir({ 'root.layout': LAYOUT });
    const opts = { cwd: dir };
    for (const k of ['a', 'b', 'c'])
      expect((await intotoAsync(['keygen', k], opts)).status).toBe(0);
    expect((await intotoAsync(['sign', '-f', 'root.layout', '-k', 'a', 'b'], opts)).status).toBe(0);
    expect((await intotoAsync(['sign', '-f', 'root.layout', '-k', 'c', '-a'], opts)).status).toBe(
      0
    );
    const ok = await intotoAsync(
      ['sign', '--verify', '-f', 'root.layout', '-k', 'a.pub', 'b.pub', 'c.pub'],
      opts
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(3);
    // Replacing the signatures (no -a) leaves only c's.
    expect((await intotoAsync(['sign', '-f', 'root.layout', '-k', 'c'], opts)).status).toBe(0);
    const bad = await intotoAsync(
      ['sign', '--verify', '-f', 'root.layout', '-k', 'a.pub', 'c.pub'],
      opts
    );
    expect(bad.status).toBe(1);
    const lines = bad.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^✗ a\.pub .*no signature by this key/);
    expect(lines[1]).toMatch(/^✓ c\.pub .*valid signature/);
    expect(bad.stderr).toMatch(/1 of 2 key\(s\) have no valid signature on root\.layout/);
  });

  it('bad input exits 2 naming the file', async () => {
    const dir = testdir({
      'x.json': LINK,
      'not-json.link': 'signed: yes',
      'odd-scheme.json': JSON.stringify({
        keytype: 'ed25519',
        scheme: 'ed448',
        keyval: { public: 'ab'.repeat(32) },
      }),
    });
    const opts = { cwd: dir };
    expect((await intotoAsync(['keygen', 'k'], opts)).status).toBe(0);
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'not-json.link', '-k', 'k'], opts),
      /not-json\.link/
    );
    expectUsageFailure(
      await intotoAsync(['sign', '--verify', '-f', 'x.json', '-k', 'odd-scheme.json'], opts),
      /odd-scheme\.json: unsupported scheme "ed448"/
    );
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.json', '-k', 'k', '-t', 'rsa'], opts),
      /k: -t\/--key-type says rsa but the file holds an ed25519 key/
    );
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.json', '-k', 'k.pub'], opts),
      /public key: signing needs the private key/
    );
    expectUsageFailure(
      await intotoAsync(['sign', '-f', 'x.json', '-k', 'k', '--verify', '-a'], opts),
      /--verify cannot be combined/
    );
  });
});

interface DSSEResult {
  ok: (boolean | string)[];
  payload: string;
}

describe('intoto sign --dsse', () => {
  for (const type of TYPES) {
    it(`${type}: DSSE links and layouts verify with intoto and an independent PAE check; tampering fails both`, async () => {
      const dir = testdir({ 'x.json': LINK, 'root.layout': LAYOUT });
      const opts = { cwd: dir };
      expect((await intotoAsync(['keygen', '-t', type, ...bitsFor(type), 'k'], opts)).status).toBe(
        0
      );
      expect((await intotoAsync(['keygen', '-t', type, ...bitsFor(type), 'k2'], opts)).status).toBe(
        0
      );
      const [ids] = await keyIDs(dir, 'k.pub');
      expect((await intotoAsync(['sign', '--dsse', '-f', 'x.json', '-k', 'k'], opts)).status).toBe(
        0
      );
      const link = `build.${ids.keyid.slice(0, 8)}.link`;
      // A layout: DSSE, then a second signature appended to the envelope.
      expect(
        (await intotoAsync(['sign', '--dsse', '-f', 'root.layout', '-k', 'k'], opts)).status
      ).toBe(0);
      expect(
        (await intotoAsync(['sign', '-a', '-f', 'root.layout', '-k', 'k2'], opts)).status
      ).toBe(0);
      for (const f of [link, 'root.layout']) {
        const text = readFileSync(join(dir, f), 'utf8');
        const env = JSON.parse(text) as {
          payload: string;
          payloadType: string;
          signatures: { sig: string }[];
        };
        expect(Object.keys(env)).toEqual(['payload', 'payloadType', 'signatures']);
        expect(env.payloadType).toBe('application/vnd.in-toto+json');
        expect(env.payload).toMatch(/^[A-Za-z0-9+/]+=*$/); // standard base64
        // The payload is json.dumps(sort_keys=True) of the signed object, as the reference writes it.
        expect(Buffer.from(env.payload, 'base64').toString()).toMatch(
          /^\{"_type": "(link|layout)", /
        );
        expect(
          (await intotoAsync(['sign', '--verify', '-f', f, '-k', 'k.pub'], opts)).status,
          f
        ).toBe(0);
      }
      expect(
        (
          await intotoAsync(
            ['sign', '--verify', '-f', 'root.layout', '-k', 'k.pub', 'k2.pub'],
            opts
          )
        ).status
      ).toBe(0);
      const check = async (f: string) => {
        if (!run) return undefined;
        const key = parseKey(readFileSync(join(dir, 'k.pub'))).toPublicDict();
        const [result] = await referenceCrypto<DSSEResult[]>({
          op: 'verify-dsse',
          items: [
            {
              envelope: readFileSync(join(dir, f), 'utf8'),
              key: { keytype: key.keytype, scheme: key.scheme, keyval: key.keyval },
            },
          ],
        });
        return result.ok[0];
      };
      if (run) expect(await check(link)).toBe(true);
      // Tamper: change one value inside the payload and re-encode it.
      const env = JSON.parse(readFileSync(join(dir, link), 'utf8')) as { payload: string };
      const body = Buffer.from(env.payload, 'base64').toString().replace('"make"', '"make!"');
      writeFileSync(
        join(dir, link),
        JSON.stringify({ ...env, payload: Buffer.from(body).toString('base64') })
      );
      expect(
        (await intotoAsync(['sign', '--verify', '-f', link, '-k', 'k.pub'], opts)).status
      ).toBe(1);
      if (run) expect(await check(link)).toBe(false);
    });
  }
});
