import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { legacyKeyID, newKeyID, parseKey, generateKeyPair, KeyError } from '../../src/index.js';
import { cases, vector } from '../helpers/vectors.js';

describe('key ids (cases.json keyids)', () => {
  for (const c of cases.keyids) {
    for (const file of c.files as string[]) {
      if (c.load === 'fail') {
        // Go cannot load secp256k1; OpenSSL can, but no in-toto scheme uses it: we refuse it too.
        it(`${file} fails to load (${c.note})`, () => {
          expect(() => parseKey(readFileSync(vector(file)), { source: file })).toThrow(KeyError);
        });
        continue;
      }
      it(`${file} → ${c.scheme} ${String(c.keyid_legacy ?? c.keyid_new).slice(0, 8)}`, () => {
        const key = parseKey(readFileSync(vector(file)), { source: file });
        if (c.keyid_legacy)
          expect(legacyKeyID(key.keyType, c.scheme, key.publicValues.legacy)).toBe(c.keyid_legacy);
        if (c.keyid_new)
          expect(newKeyID(key.keyType, c.scheme, key.publicValues.new)).toBe(c.keyid_new);
        if (c.keyid_legacy && c.scheme === key.scheme)
          expect(key.keyIDs.legacy).toBe(c.keyid_legacy);
      });
    }
  }

  it('golang erin (secp256k1 SEC1) and a layout used as a key fail to load', () => {
    expect(() => parseKey(readFileSync(vector('golang/test/data/erin')))).toThrow(KeyError);
    expect(() => parseKey(readFileSync(vector('golang/test/data/demo.layout')))).toThrow(KeyError);
  });

  it('generated-py131 keys have the ids in-toto 1.3.1 gave them', () => {
    const ids: Record<string, string> = {
      alice: 'd4fba0e3c5dab64161e9a2b5650ff7d3458808c59ef44c124336eaaf7e160244',
      bob: '94212b581eb797d4119289221d6fc8e2049730454105224f630f1bd814ba18a4',
      carl: 'fedca61d6921967ba719522245230cdba274f3ace53fe644faa05b09dfca70d8',
      mallory: '2e85ea94553a54ccd22021b464bd0e56005aad980e8deb26ef692b8a4b9befdf',
    };
    for (const [name, id] of Object.entries(ids)) {
      expect(parseKey(readFileSync(vector(`generated-py131/keys/${name}`))).keyID, name).toBe(id);
      expect(
        parseKey(readFileSync(vector(`generated-py131/keys/${name}.pub`))).keyID,
        `${name}.pub`
      ).toBe(id);
    }
  });
});

describe('encrypted keys (cases.json encrypted_pems)', () => {
  const { files, password, same_key_as } = cases.encrypted_pems;
  (files as string[]).forEach((file, i) => {
    it(`${file} decrypts with the password to the same key`, () => {
      const enc = parseKey(readFileSync(vector(file)), { password });
      const plain = parseKey(readFileSync(vector(same_key_as[i])));
      expect(enc.keyIDs).toEqual(plain.keyIDs);
      expect(enc.hasPrivate).toBe(true);
      expect(() => parseKey(readFileSync(vector(file)))).toThrow(/encrypted and no password/);
      expect(() => parseKey(readFileSync(vector(file)), { password: 'wrong' })).toThrow(KeyError);
    });
  });
});

describe('key generation', () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    for (const format of ['pem', 'securesystemslib'] as const) {
      it(`${type} ${format}: sign → verify, public and private agree on the id`, () => {
        const pair = generateKeyPair({ type, format, bits: type === 'rsa' ? 2048 : undefined });
        const priv = parseKey(pair.privateText);
        const pub = parseKey(pair.publicText);
        expect(priv.keyID).toBe(pub.keyID);
        const msg = new TextEncoder().encode('hello');
        const sig = priv.signSync(msg);
        expect(pub.verify(msg, sig)).toBe(true);
        expect(pub.verify(new TextEncoder().encode('hellO'), sig)).toBe(false);
        expect(pub.verify(msg, new Uint8Array())).toBe(false);
        expect(pub.verify(msg, sig.subarray(0, sig.length - 1))).toBe(false);
      });
    }
  }
  it('encrypts securesystemslib keys and refuses -b for ed25519', () => {
    const pair = generateKeyPair({ type: 'ed25519', format: 'securesystemslib', password: 'pw' });
    expect(() => parseKey(pair.privateText)).toThrow(/no password/);
    expect(parseKey(pair.privateText, { password: 'pw' }).hasPrivate).toBe(true);
    expect(() => generateKeyPair({ type: 'ed25519', bits: 4096 })).toThrow(/rsa keys only/);
  });
});
