/**
 * The Key model: both keyid formulas and where each applies, layout key dicts (fromPublicDict /
 * toPublicDict), scheme checks, the -t check, and password errors.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  FormatError,
  Key,
  KeyError,
  Metablock,
  generateKeyPair,
  legacyKeyID,
  newKeyID,
  parseKey,
} from '../../src/index.js';
import { vector } from '../helpers/vectors.js';

const MSG = new TextEncoder().encode('payload');

describe('keyid formulas', () => {
  it('an ed25519 key has two different ids, each from its formula', () => {
    const pub = parseKey(readFileSync(vector('python/tests/demo_files/danny.pub')));
    expect(pub.keyIDs.legacy).toBe(legacyKeyID('ed25519', 'ed25519', pub.publicValues.legacy));
    expect(pub.keyIDs.new).toBe(newKeyID('ed25519', 'ed25519', pub.publicValues.new));
    expect(pub.keyIDs.legacy).not.toBe(pub.keyIDs.new);
  });

  it('rsa: legacy hashes the PEM without its final newline, new with it', () => {
    const key = parseKey(readFileSync(vector('python/tests/demo_files/bob.pub')));
    expect(key.keyID).toBe(key.keyIDs.legacy);
    expect(key.keyID.slice(0, 8)).toBe('776a00e2');
    expect(key.publicValues.legacy.endsWith('-----')).toBe(true);
    expect(key.publicValues.new.endsWith('-----\n')).toBe(true);
    expect(key.keyIDs.new).toBe(newKeyID('rsa', 'rsassa-pss-sha256', key.publicValues.new));
  });

  it('a public PEM with CRLF line ends has the same ids as with LF', () => {
    const text = readFileSync(vector('python/tests/demo_files/bob.pub'), 'utf8');
    const crlf = parseKey(text.replace(/\n/g, '\r\n'));
    expect(crlf.keyIDs).toEqual(parseKey(text).keyIDs);
  });

  it('keyIDFormat new names the key by the new id; both ids are exposed either way', () => {
    const pem = generateKeyPair({ type: 'ecdsa' }).privateText;
    const legacy = parseKey(pem);
    const fresh = parseKey(pem, { keyIDFormat: 'new' });
    expect(fresh.keyID).toBe(legacy.keyIDs.new);
    expect(fresh.keyIDs).toEqual(legacy.keyIDs);
    expect(fresh.toSigner().keyID).toBe(legacy.keyIDs.new);
    expect(legacy.withKeyIDFormat('new').keyID).toBe(legacy.keyIDs.new);
  });

  it('a private securesystemslib key file keeps its stored keyid unless the new format is asked for', () => {
    const file = readFileSync(vector('python/tests/demo_files/danny'), 'utf8');
    const stored = (JSON.parse(file) as { keyid: string }).keyid;
    expect(parseKey(file).keyID).toBe(stored);
    expect(parseKey(file, { keyIDFormat: 'new' }).keyID).toBe(parseKey(file).keyIDs.new);
  });
});

describe('layout key dicts', () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    it(`${type}: toPublicDict → fromPublicDict keeps the id, scheme and key material`, () => {
      const key = parseKey(
        generateKeyPair({ type, bits: type === 'rsa' ? 2048 : undefined }).privateText
      );
      const dict = key.toPublicDict();
      expect(dict.keyid).toBe(key.keyIDs.legacy);
      expect(dict.keyid_hash_algorithms).toEqual(['sha256', 'sha512']);
      expect(dict.keyval).not.toHaveProperty('private');
      const back = Key.fromPublicDict(dict);
      expect(back.keyID).toBe(key.keyID);
      expect(back.keyIDs).toEqual(key.keyIDs);
      expect(back.hasPrivate).toBe(false);
      expect(back.verify(MSG, key.signSync(MSG))).toBe(true);
      // The new format's dict has no keyid_hash_algorithms and the PEM keeps its newline.
      const fresh = key.withKeyIDFormat('new').toPublicDict();
      expect(fresh.keyid).toBe(key.keyIDs.new);
      expect(fresh).not.toHaveProperty('keyid_hash_algorithms');
      const freshBack = Key.fromPublicDict(fresh);
      expect(freshBack.keyID).toBe(key.keyIDs.new);
      expect(freshBack.fingerprint).toBe(key.fingerprint);
      // The legacy formula hashes the dict's public value as given (python does the same), so for
      // a PEM that keeps its newline it differs from the PEM file's legacy id.
      if (type === 'ed25519') expect(freshBack.keyIDs).toEqual(key.keyIDs);
    });
  }

  it('uses the keyid a layout gives, but exposes the recomputed ids (SECURITY D-1)', () => {
    const key = parseKey(generateKeyPair({ type: 'ed25519' }).privateText);
    const forged = Key.fromPublicDict({ ...key.toPublicDict(), keyid: 'ab'.repeat(32) });
    expect(forged.keyID).toBe('ab'.repeat(32));
    expect(forged.keyIDs).toEqual(key.keyIDs);
    expect(forged.fingerprint).toBe(key.fingerprint);
  });

  it('a signature labelled with either id of a known key counts', () => {
    const key = parseKey(generateKeyPair({ type: 'ed25519' }).privateText);
    const known = Key.fromPublicDict(key.toPublicDict());
    for (const keyid of [key.keyIDs.legacy, key.keyIDs.new]) {
      const mb = new Metablock({ _type: 'link', name: 'x' });
      const sig = key.signSync(mb.signedBytes());
      const signed = new Metablock(mb.payload, [{ keyid, sig: Buffer.from(sig).toString('hex') }]);
      expect(signed.verifySignature(known)).toBe('valid');
    }
    const other = new Metablock({ _type: 'link', name: 'x' }, [
      { keyid: 'cd'.repeat(32), sig: '' },
    ]);
    expect(other.verifySignature(known)).toBe('missing');
  });

  it('rejects dicts that are not usable public keys with a FormatError naming the field', () => {
    const good = parseKey(generateKeyPair({ type: 'ed25519' }).privateText).toPublicDict();
    const bad: [unknown, RegExp][] = [
      [null, /expected a key object/],
      [{ ...good, keytype: 1 }, /keytype: expected a string/],
      [{ ...good, scheme: undefined }, /scheme: expected a string/],
      [{ ...good, keyval: {} }, /keyval.public: expected a string/],
      [{ ...good, keyid: 5 }, /keyid: expected a string/],
      [{ ...good, keytype: 'dsa' }, /unsupported keytype/],
      [{ ...good, scheme: 'rsassa-pss-sha256' }, /unsupported scheme/],
      [{ ...good, keyval: { public: 'zz' } }, /64 hex/],
      [{ ...good, keytype: 'rsa', scheme: 'rsassa-pss-sha256' }, /not a PEM public key/],
    ];
    for (const [dict, msg] of bad) {
      expect(() => Key.fromPublicDict(dict, 'keys.x'), String(msg)).toThrow(FormatError);
      expect(() => Key.fromPublicDict(dict, 'keys.x'), String(msg)).toThrow(msg);
    }
  });
});

describe('schemes', () => {
  it('an unknown scheme is refused when the key is loaded', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dict = {
      keytype: 'rsa',
      scheme: 'rsassa-pss-sha3',
      keyval: { public: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    };
    expect(() => parseKey(JSON.stringify(dict), { source: 'k.json' })).toThrow(
      /k.json: unsupported scheme "rsassa-pss-sha3" for an rsa key/
    );
  });

  it('ECDSA hashes by curve size like in-toto-golang: a P-384 key under the golang default scheme', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const publicPEM = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const key = Key.fromPublicDict({
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyval: { public: publicPEM },
    });
    // What golang produces for this key: SHA-384 (curve size), DER.
    const sig = nodeSign('sha384', MSG, { key: pair.privateKey, dsaEncoding: 'der' });
    expect(key.verify(MSG, sig)).toBe(true);
    expect(key.verify(MSG, nodeSign('sha256', MSG, pair.privateKey))).toBe(false);
  });

  it('P-224 and P-521 keys (golang vectors heidi, frank) sign and verify', () => {
    for (const name of ['heidi', 'frank']) {
      const priv = parseKey(readFileSync(vector(`golang/test/data/${name}`)));
      const pub = parseKey(readFileSync(vector(`golang/test/data/${name}.pub`)));
      expect(pub.verify(MSG, priv.signSync(MSG)), name).toBe(true);
    }
  });
});

describe('loading errors', () => {
  it('-t is checked against the key found', () => {
    const pem = generateKeyPair({ type: 'ed25519' }).privateText;
    expect(parseKey(pem, { keyType: 'ed25519' }).keyType).toBe('ed25519');
    expect(() => parseKey(pem, { keyType: 'rsa', source: 'k' })).toThrow(KeyError);
    expect(() => parseKey(pem, { keyType: 'rsa', source: 'k' })).toThrow(
      /k: -t\/--key-type says rsa but the file holds an ed25519 key/
    );
  });

  for (const format of ['pem', 'securesystemslib'] as const) {
    for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
      it(`${format} ${type}: encrypted key without or with a wrong password → KeyError with a hint`, () => {
        const pair = generateKeyPair({
          type,
          format,
          password: 'right',
          bits: type === 'rsa' ? 2048 : undefined,
        });
        const missing = catchKeyError(() => parseKey(pair.privateText, { source: 'k' }));
        expect(missing.message).toMatch(/^k: .*encrypted.*no password/);
        expect(missing.hint).toMatch(/-P\/--password/);
        const wrong = catchKeyError(() =>
          parseKey(pair.privateText, { source: 'k', password: 'wrong' })
        );
        expect(wrong.message).toMatch(/^k: wrong password/);
        expect(wrong.hint).toMatch(/-P\/--password/);
        const key = parseKey(pair.privateText, { password: 'right' });
        expect(key.keyID).toBe(pair.keyID);
        expect(parseKey(pair.publicText).verify(MSG, key.signSync(MSG))).toBe(true);
      });
    }
  }

  it('every wrong password says "wrong password", also when the garbage happens to unpad (≈1 in 256)', () => {
    // 1,200 tries hit the valid-padding case ~5 times; before the fix CI failed on it about once a run.
    const pair = generateKeyPair({ type: 'ed25519', format: 'pem', password: 'right' });
    const messages = new Set<string>();
    for (let i = 0; i < 1200; i++) {
      messages.add(
        catchKeyError(() => parseKey(pair.privateText, { source: 'k', password: `w${i}` })).message
      );
    }
    expect([...messages]).toEqual(['k: wrong password']);
  });

  it('files that are not keys say what they are', () => {
    const cases: [string, RegExp][] = [
      ['hello', /neither PEM nor securesystemslib JSON/],
      ['{"signed": {}, "signatures": []}', /without "keytype" \(is this metadata\?\)/],
      ['{"keytype": ', /not a key/],
      [
        '-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----',
        /unsupported PEM block/,
      ],
      [
        '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
        /cannot read the PUBLIC KEY PEM block/,
      ],
    ];
    for (const [text, msg] of cases) {
      expect(() => parseKey(text, { source: 'f' }), text).toThrow(msg);
      expect(() => parseKey(text, { source: 'f' }), text).toThrow(KeyError);
    }
  });

  it('refuses RSA keys under 2048 bits and keygen below 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      parseKey(small.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    ).toThrow(/too short/);
    expect(() => generateKeyPair({ type: 'rsa', bits: 1024 })).toThrow(/at least 2048/);
    expect(() => generateKeyPair({ type: 'ecdsa', bits: 256 })).toThrow(/rsa keys only/);
  });
});

function catchKeyError(fn: () => unknown): KeyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KeyError) return err;
    throw err;
  }
  throw new Error('expected a KeyError');
}
