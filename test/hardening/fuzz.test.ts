/**
 * Fuzzing the parsers with fast-check (fixed seeds, bounded runs): no input crashes with anything
 * but a typed error, and a signed document with a changed byte never verifies unless the change is
 * outside the signed bytes (whitespace between JSON tokens of a Metablock).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  InTotoError,
  canonicalBytes,
  encodeCanonical,
  normpath,
  parseJSON,
  parseKey,
  parseMetadata,
  parseRule,
  checkArtifactPath,
  Layout,
  Link,
} from '../../src/index.js';
import { vector } from '../helpers/vectors.js';
import { party, signed, linkBody } from '../helpers/chain.js';

const typed = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof InTotoError)) throw err;
  }
};

const FILES = [
  'python/tests/demo_files/write-code.776a00e2.link',
  'python/derived-py131/single-signed.layout',
  'golang/test/data/demo.dsse.layout',
  'python/tests/demo_dsse_files/package.2f89b927.link',
];

describe('parsers never crash with an untyped error', () => {
  it('envelopes and models: random byte edits of real metadata', () => {
    const docs = FILES.map((f) => readFileSync(vector(f)));
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 3 }),
        (d, pos, byte, op) => {
          const src = docs[d % docs.length];
          const buf = Buffer.from(src);
          const i = pos % buf.length;
          const mutated =
            op === 0
              ? ((buf[i] = byte), buf)
              : op === 1
                ? buf.subarray(0, i)
                : op === 2
                  ? Buffer.concat([buf.subarray(0, i), Buffer.from([byte]), buf.subarray(i)])
                  : Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)]);
          typed(() => {
            const env = parseMetadata(mutated);
            const payload = env.payload;
            if (payload._type === 'link') Link.fromJSON(payload);
            else Layout.fromJSON(payload);
            encodeCanonical(payload);
          });
        }
      ),
      { seed: 101, numRuns: 1500 }
    );
  });

  it('keys: random text and edits of real key files', () => {
    const keys = [
      'golang/test/data/carol',
      'python/tests/demo_files/danny',
      'python/tests/pems/rsa_public.pem',
      'generated-py131/keys/bob.pub',
    ].map((f) => readFileSync(vector(f), 'utf8'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 3 })).map(([k, p, s]) => {
            const t = keys[k % keys.length];
            const i = p % t.length;
            return t.slice(0, i) + s + t.slice(i + 1);
          })
        ),
        (text) => {
          typed(() => parseKey(text));
        }
      ),
      { seed: 7, numRuns: 600 }
    );
  });

  it('rules, JSON, paths: arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => typed(() => parseRule(v))),
      { seed: 5, numRuns: 1000 }
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            'MATCH',
            'match',
            'IN',
            'WITH',
            'FROM',
            'PRODUCTS',
            'materials',
            '*',
            'x',
            'ALLOW',
            ''
          )
        ),
        (v) => typed(() => parseRule(v))
      ),
      { seed: 6, numRuns: 1000 }
    );
    fc.assert(
      fc.property(fc.string(), (s) => typed(() => parseJSON(s))),
      { seed: 8, numRuns: 1000 }
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normpath(s);
        expect(normpath(n)).toBe(n);
        checkArtifactPath(s);
      }),
      { seed: 9, numRuns: 1000 }
    );
  });
});

describe('a changed byte never verifies', () => {
  it('Metablock and DSSE: any edit that changes the signed content fails the signature check', async () => {
    const p = party();
    for (const dsse of [false, true]) {
      const env = await signed(
        linkBody(
          'step',
          { 'a.c': { sha256: 'a'.repeat(64) } },
          { 'b.o': { sha256: 'b'.repeat(64) } }
        ),
        [p],
        dsse
      );
      const text = Buffer.from(env.toFileText());
      const original = Buffer.from(canonicalBytes(env.payload)).toString('hex');
      fc.assert(
        fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (pos, x) => {
          const buf = Buffer.from(text);
          const i = pos % buf.length;
          buf[i] = buf[i] ^ x;
          let verdict: string;
          let same = false;
          try {
            const m = parseMetadata(buf);
            const sigBytes = (e: { signatures: readonly { sig: string }[] }) =>
              Buffer.from(e.signatures[0]?.sig ?? '', dsse ? 'base64' : 'hex').toString('hex');
            same =
              Buffer.from(canonicalBytes(m.payload)).toString('hex') === original &&
              (!dsse || Buffer.from(m.signedBytes()).equals(Buffer.from(env.signedBytes()))) &&
              m.signatures[0]?.keyid === env.signatures[0]?.keyid &&
              sigBytes(m) === sigBytes(env);
            verdict = m.verifySignature(p.pub);
          } catch {
            verdict = 'unparsable';
          }
          if (!same) expect(verdict, `flip at ${i}`).not.toBe('valid');
        }),
        { seed: 31, numRuns: 400 }
      );
    }
  });
});
