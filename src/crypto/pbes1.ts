/**
 * PKCS#5 v1.5 (PBES1) decryption for `ENCRYPTED PRIVATE KEY` PEMs using pbeWithMD5AndDES-CBC or
 * pbeWithSHA1AndDES-CBC — what older pyca/OpenSSL wrote, and what the reference's test keys use.
 * OpenSSL 3 keeps single DES in its legacy provider, which Node does not load; DES-CBC with key K
 * equals DES-EDE3-CBC with key K‖K‖K, which the default provider has, so no DES code is needed here.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { KeyError } from '../errors.js';

const OIDS: Record<string, string> = {
  '2a864886f70d010503': 'md5',
  '2a864886f70d01050a': 'sha1',
};

interface TLV {
  tag: number;
  start: number;
  end: number;
}

function readTLV(buf: Buffer, at: number): TLV {
  const tag = buf[at];
  let len = buf[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

/** Returns the decrypted PKCS#8 DER, or undefined when the PEM does not use a PBES1 DES scheme. */
export function decryptPBES1(der: Buffer, password: string, source = 'key'): Buffer | undefined {
  try {
    const outer = readTLV(der, 0);
    const alg = readTLV(der, outer.start);
    const oid = readTLV(der, alg.start);
    const hash = OIDS[der.subarray(oid.start, oid.end).toString('hex')];
    if (oid.tag !== 0x06 || !hash) return undefined;
    const params = readTLV(der, oid.end);
    const salt = readTLV(der, params.start);
    const iter = readTLV(der, salt.end);
    const data = readTLV(der, alg.end);
    let iterations = 0;
    for (let i = iter.start; i < iter.end; i++) iterations = iterations * 256 + der[i];
    if (iterations < 1 || iterations > 10_000_000) return undefined;
    // PBKDF1: T1 = H(P || S), Ti = H(Ti-1); key = DK[0..8], IV = DK[8..16].
    let t = createHash(hash)
      .update(Buffer.from(password, 'utf8'))
      .update(der.subarray(salt.start, salt.end))
      .digest();
    for (let i = 1; i < iterations; i++) t = createHash(hash).update(t).digest();
    const key = t.subarray(0, 8);
    const decipher = createDecipheriv(
      'des-ede3-cbc',
      Buffer.concat([key, key, key]),
      t.subarray(8, 16)
    );
    try {
      return Buffer.concat([decipher.update(der.subarray(data.start, data.end)), decipher.final()]);
    } catch {
      // Bad padding after decryption: the password is wrong.
      throw new KeyError(`${source}: wrong password`, {
        hint: 'check the password given with -P/--password',
      });
    }
  } catch (err) {
    if (err instanceof KeyError) throw err;
    return undefined;
  }
}
