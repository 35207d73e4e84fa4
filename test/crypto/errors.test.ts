/** Key handling edge cases: every malformed or mismatched input is a typed error, never a pass. */
import { describe, expect, it } from 'vitest';
import { constants, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InputError,
  Key,
  KeyError,
  FormatError,
  generateKeyPair,
  isEncryptedKey,
  loadKey,
  parseKey,
} from '../../src/index.js';
import { sslDecrypt, sslEncrypt, isSSLEncrypted } from '../../src/crypto/index.js';
import { testdir, vector } from '../helpers/vectors.js';

describe('key loading errors', () => {
  it('types each failure', async () => {
    expect(() =>
      parseKey('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----')
    ).toThrow(/unsupported PEM block/);
    expect(() =>
      parseKey('-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----')
    ).toThrow(KeyError);
    expect(() => parseKey('-----BEGIN FOO')).toThrow(/no PEM block/);
    expect(() => parseKey('hello')).toThrow(/neither PEM nor securesystemslib/);
    expect(() => parseKey('{"a": 1}')).toThrow(/without "keytype"/);
    expect(() => parseKey('{"keytype": "dsa", "keyval": {"public": "x"}}')).toThrow(
      /unsupported keytype/
    );
    expect(() => parseKey('{"keytype": "ed25519", "keyval": {"public": "zz"}}')).toThrow(/64 hex/);
    expect(() => parseKey('{"keytype": "ed25519", "keyval": {}}')).toThrow(
      /keyval.public is missing/
    );
    expect(() =>
      parseKey(`{"keytype": "rsa", "scheme": "rsassa-pss-sha256", "keyval": {"public": "junk"}}`)
    ).toThrow(/not a PEM public key/);
    await expect(loadKey(join(testdir(), 'missing'))).rejects.toThrow(InputError);
  });

  it('refuses mismatched halves, types and flags', () => {
    const a = JSON.parse(
      generateKeyPair({ type: 'ed25519', format: 'securesystemslib' }).privateText
    ) as { keyval: { public: string; private: string } };
    const b = JSON.parse(
      generateKeyPair({ type: 'ed25519', format: 'securesystemslib' }).privateText
    ) as { keyval: { public: string; private: string } };
    expect(() =>
      parseKey(
        JSON.stringify({
          keytype: 'ed25519',
          scheme: 'ed25519',
          keyval: { public: a.keyval.public, private: b.keyval.private },
        })
      )
    ).toThrow(/do not match/);
    const rsa = generateKeyPair({ type: 'rsa', bits: 2048 });
    expect(() => parseKey(rsa.publicText, { keyType: 'ed25519' })).toThrow(
      /-t\/--key-type says ed25519/
    );
    const ecPub = parseKey(generateKeyPair({ type: 'ecdsa' }).publicText);
    expect(() =>
      parseKey(
        JSON.stringify({
          keytype: 'rsa',
          scheme: 'rsassa-pss-sha256',
          keyval: { public: ecPub.publicValues.new },
        })
      )
    ).toThrow(/keytype says rsa/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(() => parseKey(weak)).toThrow(/too short/);
  });

  it('encrypted forms: wrong password and malformed strings', () => {
    const pem = readFileSync(vector('python/tests/pems/rsa_private_encrypted.pem'), 'utf8');
    expect(() => parseKey(pem, { password: 'nope' })).toThrow(/wrong password/);
    const enc = sslEncrypt('{"x": 1}', 'pw');
    expect(isSSLEncrypted(enc)).toBe(true);
    expect(sslDecrypt(enc, 'pw', 's')).toBe('{"x": 1}');
    expect(() => sslDecrypt(enc, 'other', 's')).toThrow(/wrong password/);
    expect(() => sslDecrypt('aa@@@@1@@@@bb', 'pw', 's')).toThrow(
      /not a securesystemslib encrypted key/
    );
    expect(() => sslDecrypt('aa@@@@0@@@@bb@@@@cc@@@@dd', 'pw', 's')).toThrow(/implausible/);
    const pbes2 = createPrivateKey(generateKeyPair({ type: 'ecdsa' }).privateText)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    expect(() => parseKey(pbes2, { password: 'bad' })).toThrow(KeyError);
    expect(parseKey(pbes2, { password: 'pw' }).hasPrivate).toBe(true);
  });

  it('isEncryptedKey tells which key files need a password (text or bytes, every encrypted form)', () => {
    const plain = generateKeyPair({ type: 'ecdsa' }).privateText;
    const pkcs8 = generateKeyPair({ type: 'ecdsa', password: 'pw' }).privateText;
    const legacy =
      '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n';
    const ssl = sslEncrypt('{"x": 1}', 'pw');
    expect([plain, pkcs8, legacy, ssl].map((t) => isEncryptedKey(t))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(isEncryptedKey(Buffer.from(pkcs8))).toBe(true);
    expect(isEncryptedKey(Buffer.from(plain))).toBe(false);
  });

  it('a JSON key whose private half is not PEM names the field', () => {
    const d = parseKey(generateKeyPair({ type: 'ecdsa' }).publicText).toPublicDict();
    expect(() =>
      parseKey(JSON.stringify({ ...d, keyval: { ...d.keyval, private: 'garbage' } }))
    ).toThrow(/keyval\.private is not a PEM private key/);
  });
});

describe('Key', () => {
  it('public dicts round-trip in both keyid formats; ids from layouts are used as given', () => {
    const k = parseKey(generateKeyPair({ type: 'ecdsa' }).privateText);
    const legacy = Key.fromPublicDict(k.toPublicDict());
    expect(legacy.keyID).toBe(k.keyIDs.legacy);
    const n = k.withKeyIDFormat('new');
    expect(n.toPublicDict()).not.toHaveProperty('keyid_hash_algorithms');
    expect(Key.fromPublicDict(n.toPublicDict()).keyID).toBe(k.keyIDs.new);
    expect(k.fingerprint).toBe(n.fingerprint);
    expect(k.matchesKeyID(k.keyIDs.new) && k.matchesKeyID(k.keyIDs.legacy)).toBe(true);
    for (const bad of [
      null,
      { keytype: 1 },
      { keytype: 'ed25519' },
      { keytype: 'ed25519', scheme: 'ed25519', keyval: {} },
      { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: 'x' }, keyid: 5 },
      { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: 'zz' } },
    ]) {
      expect(() => Key.fromPublicDict(bad)).toThrow(FormatError);
    }
  });

  it('signing needs the private key; unknown schemes are refused when the key is read', () => {
    const pub = parseKey(generateKeyPair({ type: 'ed25519' }).publicText);
    expect(() => pub.signSync(new Uint8Array())).toThrow(/public key/);
    expect(() => pub.toSigner()).toThrow(KeyError);
    const k = parseKey(generateKeyPair({ type: 'rsa', bits: 2048 }).privateText);
    expect(() => Key.fromPublicDict({ ...k.toPublicDict(), scheme: 'rsa-unknown' })).toThrow(
      /unsupported scheme "rsa-unknown"/
    );
  });

  it('verifies RSA PKCS#1 v1.5 signatures when the key says so', () => {
    const pair = generateKeyPair({ type: 'rsa', bits: 2048 });
    const key = Key.fromPublicDict({
      ...parseKey(pair.publicText).toPublicDict(),
      scheme: 'rsa-pkcs1v15-sha256',
    });
    const data = Buffer.from('hello');
    const sig = sign('sha256', data, {
      key: createPrivateKey(pair.privateText),
      padding: constants.RSA_PKCS1_PADDING,
    });
    expect(key.verify(data, sig)).toBe(true);
    expect(key.verify(Buffer.from('hellO'), sig)).toBe(false);
  });

  it('ed25519 rejects wrong lengths without throwing', () => {
    const k = parseKey(generateKeyPair({ type: 'ed25519' }).privateText);
    const sig = k.signSync(Buffer.from('m'));
    expect(k.verify(Buffer.from('m'), sig.subarray(1))).toBe(false);
    expect(k.verify(Buffer.from('m'), new Uint8Array(64))).toBe(false);
  });
});
