/**
 * Ed25519 verification as the reference's libsodium judges it (strict encodings, small-order points
 * and S ≥ L rejected), also for the edge cases a forger would try, and for messages of many MB.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { generateKeyPair, parseKey } from '../../src/index.js';
import fc from 'fast-check';
import {
  ed25519Noble,
  ed25519PublicFromSeed,
  ed25519Sign,
  ed25519Verify,
} from '../../src/crypto/ed25519.js';
import { HAVE_REFERENCE } from '../helpers/cli.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();
const fromLE = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);

describe('ed25519 verification', () => {
  const pair = generateKeyPair({ type: 'ed25519' });
  const key = parseKey(pair.privateText);
  const pub = parseKey(pair.publicText);
  const msg = Buffer.from('in-toto link');

  it('accepts its own signatures on small and 10 MB messages; any other message fails', () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 7);
    expect(pub.verify(msg, key.signSync(msg))).toBe(true);
    const sig = key.signSync(big);
    expect(pub.verify(big, sig)).toBe(true);
    big[big.length - 1] ^= 1;
    expect(pub.verify(big, sig)).toBe(false);
  });

  it('rejects S + L (malleability), a small-order R, and wrong lengths', () => {
    const sig = Buffer.from(key.signSync(msg));
    const s = fromLE(sig.subarray(32));
    const malleated = Buffer.concat([sig.subarray(0, 32), le(s + L)]);
    expect(pub.verify(msg, malleated)).toBe(false);
    // R = the identity point (order 1): libsodium refuses it before any arithmetic.
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    expect(pub.verify(msg, Buffer.concat([identity, sig.subarray(32)]))).toBe(false);
    expect(pub.verify(msg, sig.subarray(0, 63))).toBe(false);
    expect(pub.verify(msg, Buffer.alloc(64))).toBe(false);
  });

  it('a small-order public key verifies nothing (with S = 0, R = identity it would in plain RFC 8032)', () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const weak = parseKey(
      JSON.stringify({
        keytype: 'ed25519',
        scheme: 'ed25519',
        keyval: { public: identity.toString('hex') },
      })
    );
    expect(weak.verify(msg, Buffer.concat([identity, Buffer.alloc(32)]))).toBe(false);
  });

  it.runIf(HAVE_REFERENCE)('PyNaCl (the reference backend) agrees on each of these', () => {
    const sig = Buffer.from(key.signSync(msg));
    const s = fromLE(sig.subarray(32));
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const cases: [string, Buffer, boolean][] = [
      [pub.toPublicDict().keyval.public, sig, true],
      [pub.toPublicDict().keyval.public, Buffer.concat([sig.subarray(0, 32), le(s + L)]), false],
      [pub.toPublicDict().keyval.public, Buffer.concat([identity, sig.subarray(32)]), false],
      [identity.toString('hex'), Buffer.concat([identity, Buffer.alloc(32)]), false],
    ];
    const script = `
import sys, nacl.signing, nacl.exceptions
for line in sys.stdin.read().split():
    pk, sig, msg = line.split(':')
    try:
        nacl.signing.VerifyKey(bytes.fromhex(pk)).verify(bytes.fromhex(msg), bytes.fromhex(sig)); print('ok')
    except Exception:
        print('bad')
`;
    const input = cases
      .map(([pk, sg]) => `${pk}:${sg.toString('hex')}:${msg.toString('hex')}`)
      .join('\n');
    const theirs = execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' })
      .trim()
      .split('\n');
    const ours = cases.map(([pk, sg]) => {
      const k = parseKey(
        JSON.stringify({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: pk } })
      );
      return k.verify(msg, sg) ? 'ok' : 'bad';
    });
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(cases.map(([, , v]) => (v ? 'ok' : 'bad')));
  });
});

describe('ed25519 signing in OpenSSL', () => {
  it('derives the same public key and signs the same bytes as noble, for any seed and message', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 4096 }),
        (seed, message) => {
          const pub = ed25519PublicFromSeed(seed);
          expect(Buffer.from(pub)).toEqual(Buffer.from(ed25519Noble.publicFromSeed(seed)));
          const sig = ed25519Sign(message, seed);
          expect(Buffer.from(sig)).toEqual(Buffer.from(ed25519Noble.sign(message, seed)));
          expect(ed25519Verify(sig, message, pub)).toBe(true);
        }
      ),
      { numRuns: 200 }
    );
  });

  it('a seed that is not 32 bytes goes to noble, which refuses it', () => {
    expect(() => ed25519Sign(Buffer.from('m'), new Uint8Array(31))).toThrow();
    expect(() => ed25519PublicFromSeed(new Uint8Array(33))).toThrow();
  });
});
