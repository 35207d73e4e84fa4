/**
 * The securesystemslib encrypted-key format (REFERENCE.md §1.5), used by in-toto 1.3.1 for
 * password-protected ed25519/ecdsa JSON keys:
 * `hex(salt) @@@@ iterations @@@@ hex(hmac) @@@@ hex(iv) @@@@ hex(ciphertext)` where
 * PBKDF2-HMAC-SHA256(password, salt, iterations, 32 bytes) keys both AES-256-CTR (over the key's
 * JSON text) and HMAC-SHA256 (over the ciphertext).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { KeyError } from '../errors.js';

const DELIMITER = '@@@@';
const ITERATIONS = 100_000;
const ENCRYPTED = /^[0-9a-fA-F]+@@@@\d+@@@@[0-9a-fA-F]+@@@@[0-9a-fA-F]+@@@@[0-9a-fA-F]+$/;

export function isSSLEncrypted(text: string): boolean {
  return ENCRYPTED.test(text.trim());
}

export function sslEncrypt(plaintext: string, password: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const mac = createHmac('sha256', key).update(ciphertext).digest();
  return [
    salt.toString('hex'),
    String(ITERATIONS),
    mac.toString('hex'),
    iv.toString('hex'),
    ciphertext.toString('hex'),
  ].join(DELIMITER);
}

/** @throws KeyError on a wrong password (HMAC mismatch) or a malformed string. */
export function sslDecrypt(text: string, password: string, source: string): string {
  const parts = text.trim().split(DELIMITER);
  if (parts.length !== 5) throw new KeyError(`${source}: not a securesystemslib encrypted key`);
  const [saltHex, iterText, macHex, ivHex, ctHex] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  const iterations = Number(iterText);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) {
    throw new KeyError(`${source}: implausible PBKDF2 iteration count ${iterText}`);
  }
  const key = pbkdf2Sync(password, Buffer.from(saltHex, 'hex'), iterations, 32, 'sha256');
  const ciphertext = Buffer.from(ctHex, 'hex');
  const expected = createHmac('sha256', key).update(ciphertext).digest();
  const mac = Buffer.from(macHex, 'hex');
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new KeyError(`${source}: wrong password (the key's integrity check failed)`, {
      hint: 'check the password given with -P/--password',
    });
  }
  const decipher = createDecipheriv('aes-256-ctr', key, Buffer.from(ivHex, 'hex'));
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}
