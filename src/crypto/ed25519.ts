/**
 * Ed25519: @noble/ed25519 (audited, dependency-free; the project's chosen implementation) for point
 * checks and as the fallback; key derivation, signing and verification's heavy part in OpenSSL
 * (node:crypto), which gives the same bytes (RFC 8032 signatures are deterministic) far faster.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import * as ed from '@noble/ed25519';

// noble needs a synchronous SHA-512. Ed25519 hashes the whole message twice when signing, and links
// can be megabytes: OpenSSL's SHA-512 (node:crypto) signs a 2 MB link in ~10 ms where the pure-JS
// @noble/hashes one takes ~150 ms here, so the curve arithmetic stays noble's and the hash is OpenSSL's.
ed.hashes.sha512 = (message) => {
  const digest = createHash('sha512').update(message).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
};

/**
 * The seed as an OpenSSL key, or undefined where this Node has no Ed25519 in OpenSSL (noble then).
 * Why OpenSSL: in a fresh process noble builds its base-point tables first, so deriving a public key
 * cost ~50 ms and signing a 2.4 MB link ~40 ms more here, against ~2 ms and ~6 ms in OpenSSL; every
 * `intoto run` does both once. The outputs are byte-identical (a property test checks it).
 */
function opensslKey(seed: Uint8Array): KeyObject | undefined {
  if (seed.length !== 32) return undefined;
  try {
    return createPrivateKey({ key: ed25519SeedToPKCS8(seed), format: 'der', type: 'pkcs8' });
  } catch {
    return undefined;
  }
}

export function ed25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  const key = opensslKey(seed);
  if (!key) return ed.getPublicKey(seed);
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

export function ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  const key = opensslKey(seed);
  if (!key) return ed.sign(message, seed);
  return new Uint8Array(nodeSign(null, message, key));
}

/** noble's own derivation and signing, to check the OpenSSL path against (tests). */
export const ed25519Noble = {
  publicFromSeed: (seed: Uint8Array): Uint8Array => ed.getPublicKey(seed),
  sign: (message: Uint8Array, seed: Uint8Array): Uint8Array => ed.sign(message, seed),
};

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
