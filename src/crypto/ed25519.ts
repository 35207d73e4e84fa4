/**
 * Ed25519 through @noble/ed25519 (audited, dependency-free; the project's chosen implementation).
 * Verification uses `zip215: false` — RFC 8032's strict rules, as libsodium (PyNaCl, the reference's
 * backend) applies them, so a signature one accepts the other accepts too.
 */
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';

// noble needs a synchronous SHA-512. Ed25519 hashes the whole message twice when signing, and links
// can be megabytes: OpenSSL's SHA-512 (node:crypto) signs a 2 MB link in ~10 ms where the pure-JS
// @noble/hashes one takes ~150 ms here, so the curve arithmetic stays noble's and the hash is OpenSSL's.
ed.hashes.sha512 = (message) => {
  const digest = createHash('sha512').update(message).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
};

export function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

export function ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/** Never throws: a malformed key or signature is simply not valid. */
export function ed25519Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function ed25519RandomSeed(): Uint8Array {
  return ed.utils.randomSecretKey();
}

// DER prefixes of PKCS#8 and SPKI for Ed25519 (RFC 8410): the raw 32-byte key follows.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519SeedToPKCS8(seed: Uint8Array): Buffer {
  return Buffer.concat([PKCS8_PREFIX, seed]);
}

export function ed25519PublicToSPKI(pub: Uint8Array): Buffer {
  return Buffer.concat([SPKI_PREFIX, pub]);
}
