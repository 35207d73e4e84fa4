/**
 * Key generation in two file formats: PEM (PKCS#8 / SPKI, read by openssl and in-toto ≥ 2.2) and
 * securesystemslib (what in-toto 1.3.1 reads: JSON for ed25519/ecdsa, PKCS#1 PEM for rsa).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { stringifyPython, toHex } from '../encoding/index.js';
import { UsageError } from '../errors.js';
import { ed25519PublicFromSeed, ed25519RandomSeed, ed25519SeedToPKCS8 } from './ed25519.js';
import { parseKey, type KeyType } from './keys.js';
import { sslEncrypt } from './securesystemslib-encryption.js';

export interface GenerateKeyOptions {
  type?: KeyType;
  /** RSA modulus size (default 3072, minimum 2048); meaningless for ed25519/ecdsa. */
  bits?: number;
  format?: 'pem' | 'securesystemslib';
  password?: string;
}

export interface GeneratedKeyPair {
  /** File content of the private key. */
  privateText: string;
  /** File content of the public key. */
  publicText: string;
  keyID: string;
  keyType: KeyType;
}

export function generateKeyPair(options: GenerateKeyOptions = {}): GeneratedKeyPair {
  const type = options.type ?? 'ed25519';
  const format = options.format ?? 'pem';
  if (options.bits !== undefined && type !== 'rsa') {
    // The reference silently ignored --bits for other types (X41 TOTO-PT-23-102).
    throw new UsageError(`-b/--bits applies to rsa keys only, not ${type}`);
  }
  const bits = options.bits ?? 3072;
  if (type === 'rsa' && (!Number.isInteger(bits) || bits < 2048))
    throw new UsageError(`RSA keys need at least 2048 bits, got ${bits}`);
  const password = options.password === '' ? undefined : options.password;

  let priv: KeyObject;
  if (type === 'ed25519') {
    priv = createPrivateKey({
      key: ed25519SeedToPKCS8(ed25519RandomSeed()),
      format: 'der',
      type: 'pkcs8',
    });
  } else if (type === 'rsa') {
    priv = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 }).privateKey;
  } else {
    priv = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  }

  let privateText: string;
  let publicText: string;
  if (format === 'pem' || type === 'rsa') {
    const pkcs1 = format === 'securesystemslib';
    privateText = priv
      .export(
        pkcs1
          ? {
              type: 'pkcs1',
              format: 'pem',
              ...(password ? { cipher: 'aes-256-cbc', passphrase: password } : {}),
            }
          : {
              type: 'pkcs8',
              format: 'pem',
              ...(password ? { cipher: 'aes-256-cbc', passphrase: password } : {}),
            }
      )
      .toString();
    // in-toto-keygen writes an unencrypted PKCS#1 key without its final newline (securesystemslib
    // slices the PEM header..footer); the encrypted one comes straight from pyca and keeps it.
    if (pkcs1 && !password) privateText = privateText.trimEnd();
    const spki = createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString();
    // in-toto-keygen writes the RSA .pub without a trailing newline; PEM format keeps openssl's.
    publicText = pkcs1 ? spki.trimEnd() : spki;
  } else {
    const key = parseKey(priv.export({ type: 'pkcs8', format: 'pem' }).toString());
    let privateValue: string;
    if (type === 'ed25519') {
      privateValue = toHex(priv.export({ type: 'pkcs8', format: 'der' }).subarray(-32));
      if (
        toHex(ed25519PublicFromSeed(Buffer.from(privateValue, 'hex'))) !== key.publicValues.legacy
      )
        throw new Error('ed25519 keygen self-check failed');
    } else {
      privateValue = priv.export({ type: 'sec1', format: 'pem' }).toString();
    }
    // ecdsa JSON keys carry the SPKI PEM with its trailing newline, as securesystemslib writes them.
    const publicValue = type === 'ed25519' ? key.publicValues.legacy : key.publicValues.new;
    const base = { keytype: type, scheme: key.scheme, keyid_hash_algorithms: ['sha256', 'sha512'] };
    const full = parseKey(
      JSON.stringify({ ...base, keyval: { public: publicValue, private: privateValue } })
    );
    // Field order as in-toto-keygen writes it (json.dumps of securesystemslib's dict, unsorted;
    // its ecdsa dict puts keyid_hash_algorithms last).
    const keyval = { public: publicValue, private: privateValue };
    const hashes = base.keyid_hash_algorithms;
    const head = { keytype: type, scheme: key.scheme, keyid: full.keyIDs.legacy };
    const privDict =
      type === 'ed25519'
        ? { ...head, keyid_hash_algorithms: hashes, keyval }
        : { ...head, keyval, keyid_hash_algorithms: hashes };
    const json = stringifyPython(privDict, {});
    privateText = password ? sslEncrypt(json, password) : json;
    publicText = stringifyPython({ ...base, keyval: { public: publicValue } }, {});
  }
  const loaded = parseKey(publicText);
  return { privateText, publicText, keyID: loaded.keyID, keyType: type };
}
