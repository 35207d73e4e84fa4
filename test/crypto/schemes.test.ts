/**
 * Every signature scheme, in both directions against independent code: signatures made by pyca
 * cryptography (all PSS salt lengths, PKCS#1 v1.5, P-256/P-384, ed25519) verify with Key.verify, and
 * ours verify with securesystemslib's own verify_signature (the reference's check). Malformed
 * signatures fail closed for every scheme (SECURITY.md B-1).
 */
import { describe, expect, it } from 'vitest';
import { constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { Key, parseKey } from '../../src/index.js';
import { requireReference } from '../helpers/cli.js';
import { referenceCrypto } from './reference.js';

const run = requireReference();
const DATA = Buffer.from('{"_type":"link","name":"ünï \\"q\\" \u0001","n":9007199254740993}');

/** Signatures that must never verify, derived from a valid one (B-1). */
function malformed(sig: Buffer): [string, Buffer][] {
  const flipped = Buffer.from(sig);
  flipped[0] ^= 0x01;
  const lastFlipped = Buffer.from(sig);
  lastFlipped[sig.length - 1] ^= 0x80;
  return [
    ['empty', Buffer.alloc(0)],
    ['one byte short', sig.subarray(0, sig.length - 1)],
    ['half (truncated DER)', sig.subarray(0, sig.length >> 1)],
    ['one byte longer', Buffer.concat([sig, Buffer.from([0])])],
    ['all zero', Buffer.alloc(sig.length)],
    ['all 0xff', Buffer.alloc(sig.length, 0xff)],
    ['first byte flipped', flipped],
    ['last byte flipped', lastFlipped],
    ['doubled', Buffer.concat([sig, sig])],
    ['minimal DER sequence', Buffer.from('3006020101020101', 'hex')],
  ];
}

function expectFailsClosed(key: Key, data: Uint8Array, sig: Buffer, label: string): void {
  for (const [what, bad] of malformed(sig)) {
    let result: unknown;
    expect(() => (result = key.verify(data, bad)), `${label}: ${what}`).not.toThrow();
    expect(result, `${label}: ${what}`).toBe(false);
  }
}

interface PySig {
  keytype: string;
  scheme: string;
  salt?: string;
  public: string;
  sig: string;
}

describe.runIf(run)('signatures by pyca cryptography verify with Key.verify', () => {
  let cached: Promise<PySig[]> | undefined;
  const pySigs = () =>
    (cached ??= referenceCrypto<PySig[]>({ op: 'sign', data: DATA.toString('hex') }));
  it('every scheme and PSS salt length; another message and malformed signatures fail', async () => {
    const sigs = await pySigs();
    // 4 hashes × (4 PSS salts + PKCS#1 v1.5) + P-256 + P-384 + ed25519.
    expect(sigs).toHaveLength(23);
    const other = Buffer.concat([DATA, Buffer.from(' ')]);
    for (const s of sigs) {
      const label = `${s.scheme}${s.salt ? ` salt ${s.salt}` : ''}`;
      const key = Key.fromPublicDict({
        keytype: s.keytype,
        scheme: s.scheme,
        keyval: { public: s.public },
      });
      const sig = Buffer.from(s.sig, 'hex');
      expect(key.verify(DATA, sig), label).toBe(true);
      expect(key.verify(other, sig), label).toBe(false);
      expectFailsClosed(key, DATA, sig, label);
    }
  });

  it('a signature verifies only under its own scheme', async () => {
    const sigs = await pySigs();
    const pss256 = sigs.find((s) => s.scheme === 'rsassa-pss-sha256' && s.salt === 'digest')!;
    const wrong = ['rsassa-pss-sha512', 'rsa-pkcs1v15-sha256', 'rsassa-pss-sha224'];
    for (const scheme of wrong) {
      const key = Key.fromPublicDict({ keytype: 'rsa', scheme, keyval: { public: pss256.public } });
      expect(key.verify(DATA, Buffer.from(pss256.sig, 'hex')), scheme).toBe(false);
    }
  });
});

/** A private key with an explicit scheme, through the securesystemslib dict form. */
function privateKey(scheme: string): Key {
  if (scheme === 'ed25519') {
    const pair = generateKeyPairSync('ed25519');
    return parseKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  const pair = scheme.startsWith('ecdsa')
    ? generateKeyPairSync('ec', {
        namedCurve: scheme.endsWith('384') ? 'secp384r1' : 'prime256v1',
      })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return parseKey(
    JSON.stringify({
      keytype: scheme.startsWith('ecdsa') ? 'ecdsa' : 'rsa',
      scheme,
      keyval: {
        public: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        private: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    })
  );
}

const SIGNABLE = [
  'rsassa-pss-sha224',
  'rsassa-pss-sha256',
  'rsassa-pss-sha384',
  'rsassa-pss-sha512',
  'rsa-pkcs1v15-sha224',
  'rsa-pkcs1v15-sha256',
  'rsa-pkcs1v15-sha384',
  'rsa-pkcs1v15-sha512',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ed25519',
];

describe('our signatures, every scheme', () => {
  const keys = SIGNABLE.map((scheme) => ({ scheme, key: privateKey(scheme) }));

  it('sign → verify; malformed signatures fail closed (B-1)', () => {
    for (const { scheme, key } of keys) {
      expect(key.scheme).toBe(scheme);
      const sig = Buffer.from(key.signSync(DATA));
      expect(key.verify(DATA, sig), scheme).toBe(true);
      expectFailsClosed(key, DATA, sig, scheme);
    }
  });

  it('RSA-PSS signs with salt = digest length (what the reference does)', () => {
    // AUTO would accept any salt length, so check with explicit lengths through OpenSSL.
    const { key } = keys.find((k) => k.scheme === 'rsassa-pss-sha256')!;
    const sig = key.signSync(DATA);
    const pub = createPublicKey(key.toPublicDict().keyval.public);
    const check = (saltLength: number) =>
      verify(
        'sha256',
        DATA,
        { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        sig
      );
    expect(check(32)).toBe(true);
    expect(check(0)).toBe(false);
    expect(check(20)).toBe(false);
  });

  it.runIf(run)('verify with securesystemslib (the reference verify_signature)', async () => {
    const items = keys.map(({ key }) => {
      const dict = key.toPublicDict();
      return {
        keytype: dict.keytype,
        scheme: dict.scheme,
        public: dict.keyval.public,
        data: DATA.toString('hex'),
        sig: Buffer.from(key.signSync(DATA)).toString('hex'),
      };
    });
    const tampered = items.map((i) => ({ ...i, data: `${i.data}20` }));
    expect(await referenceCrypto<unknown[]>({ op: 'verify', items })).toEqual(
      items.map(() => true)
    );
    expect(await referenceCrypto<unknown[]>({ op: 'verify', items: tampered })).toEqual(
      items.map(() => false)
    );
  });
});
