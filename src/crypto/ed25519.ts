/**
 * Ed25519 through @noble/ed25519 (audited, dependency-free; the project's chosen implementation) for
 * keys, signing and point checks; verification's heavy part in OpenSSL (see ed25519Verify).
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
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

/**
 * Never throws: a malformed key or signature is simply not valid.
 *
 * The reference verifies with libsodium (PyNaCl): strict point encodings, small-order keys and R
 * values rejected, S < L, the cofactorless equation. Point checks are noble's (strict decoding,
 * `isSmallOrder`, microseconds); the equation and the hash of the message run in OpenSSL (node:crypto,
 * also cofactorless with S < L), because a link with 100k artifacts is a ~10 MB message: noble copies
 * it into R‖A‖M and does the curve arithmetic in JS, ~40 ms per link here against ~5 ms.
 */
export function ed25519Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    const A = ed.Point.fromBytes(publicKey, false);
    const R = ed.Point.fromBytes(signature.subarray(0, 32), false);
    if (A.isSmallOrder() || R.isSmallOrder()) return false;
    const key = createPublicKey({
      key: ed25519PublicToSPKI(publicKey),
      format: 'der',
      type: 'spki',
    });
    return nodeVerify(null, message, key, signature);
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
