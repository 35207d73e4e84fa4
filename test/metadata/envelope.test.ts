import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  DSSEEnvelope,
  Layout,
  Link,
  Metablock,
  generateKeyPair,
  parseKey,
  parseMetadata,
  pae,
  stringifyPython,
  FormatError,
  type SignedMetadata,
} from '../../src/index.js';
import { cases, vector } from '../helpers/vectors.js';

describe('signature vectors (cases.json signatures)', () => {
  for (const c of cases.signatures) {
    it(`${c.id}: ${c.op} ${c.file}`, async () => {
      const env = parseMetadata(readFileSync(vector(c.file)), { source: c.file });
      expect(env.kind).toBe(c.envelope === 'dsse' ? 'dsse' : 'metablock');
      const key = parseKey(readFileSync(vector(c.key)), { source: c.key });
      if (c.op === 'verify') {
        expect(env.verifySignature(key)).toBe('valid');
      } else {
        const dsse = env as DSSEEnvelope;
        const fresh = new DSSEEnvelope(dsse.payloadBytes, c.payload_type);
        await fresh.sign(key.toSigner());
        expect(fresh.signatures[0]).toEqual({ keyid: c.keyid, sig: c.expect_sig });
      }
    });
  }

  it('PAE matches the DSSE protocol example', () => {
    expect(
      Buffer.from(pae('http://example.com/HelloWorld', Buffer.from('hello world'))).toString()
    ).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('SIG-05: golang layout signature covers fields the python model drops', () => {
    const env = parseMetadata(readFileSync(vector('golang/test/data/demo.layout')));
    const layout = Layout.fromJSON(env.payload);
    expect(Object.keys(layout.unrecognized).sort()).toEqual(['intermediatecas', 'rootcas']);
    expect(layout.steps[0].unrecognized).toHaveProperty('cert_constraints');
    // Re-serialising the model keeps every field, so the signature still verifies over it.
    const again = new Metablock(layout.toJSON(), [...env.signatures]);
    expect(
      again.verifySignature(parseKey(readFileSync(vector('golang/test/data/alice.pub'))))
    ).toBe('valid');
  });
});

describe('envelopes', () => {
  it('rejects DSSE with a wrong payloadType, duplicate keyids, or neither shape', () => {
    const payload = Buffer.from('{}').toString('base64');
    expect(() =>
      parseMetadata(JSON.stringify({ payload, payloadType: 'application/json', signatures: [] }))
    ).toThrow(/payloadType/);
    expect(() =>
      parseMetadata(
        JSON.stringify({
          payload,
          payloadType: 'application/vnd.in-toto+json',
          signatures: [
            { keyid: 'a', sig: 'AA==' },
            { keyid: 'a', sig: 'AA==' },
          ],
        })
      )
    ).toThrow(/duplicate keyid/);
    expect(() => parseMetadata('{"foo": 1}')).toThrow(FormatError);
    expect(() => parseMetadata('{"signed": {"_type": "other"}, "signatures": []}')).toThrow(
      /_type/
    );
  });

  it('accepts URL-safe base64 in DSSE', async () => {
    const key = parseKey(generateKeyPair({ type: 'ed25519' }).privateText);
    const env = DSSEEnvelope.fromPayload({ _type: 'link', name: 'x' });
    await env.sign(key.toSigner());
    const json = env.toJSON() as { payload: string; signatures: { sig: string }[] };
    const urlsafe = {
      ...json,
      payload: Buffer.from(env.payloadBytes).toString('base64url'),
      signatures: [
        {
          ...json.signatures[0],
          sig: Buffer.from(json.signatures[0].sig, 'base64').toString('base64url'),
        },
      ],
    };
    expect(parseMetadata(JSON.stringify(urlsafe)).verifySignature(key)).toBe('valid');
  });

  const body = fc.record({
    text: fc.string({ unit: 'grapheme' }),
    ctrl: fc.constantFrom('\u0000\u001b', '"\\', 'é ☃ 😀', '\r\n\t'),
    big: fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }),
  });
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    const key = parseKey(
      generateKeyPair({ type, bits: type === 'rsa' ? 2048 : undefined }).privateText
    );
    for (const kind of ['metablock', 'dsse'] as const) {
      it(`${type}/${kind}: sign → verify holds; any flipped byte of body or signature fails`, async () => {
        await fc.assert(
          fc.asyncProperty(body, fc.nat(), async (b, pos) => {
            // Signing is synchronous: yield once per run so vitest's worker RPC is served under load.
            await new Promise((resolve) => setImmediate(resolve));
            const payload = {
              _type: 'link',
              name: b.text,
              environment: { c: b.ctrl, n: b.big },
              byproducts: {},
              command: [],
              materials: {},
              products: {},
            };
            const env: SignedMetadata =
              kind === 'dsse' ? DSSEEnvelope.fromPayload(payload) : new Metablock(payload);
            await env.sign(key.toSigner());
            const text = env.toFileText();
            const reread = parseMetadata(text);
            expect(reread.verifySignature(key)).toBe('valid');
            // Flip one byte of the signed bytes.
            const signed = Buffer.from(reread.signedBytes());
            const i = pos % signed.length;
            signed[i] = signed[i] ^ 0x01;
            expect(
              key.verify(
                signed,
                Buffer.from(reread.signatures[0].sig, kind === 'dsse' ? 'base64' : 'hex')
              )
            ).toBe(false);
            // Flip one byte of the signature.
            const sig = Buffer.from(reread.signatures[0].sig, kind === 'dsse' ? 'base64' : 'hex');
            sig[pos % sig.length] ^= 0x80;
            expect(key.verify(reread.signedBytes(), sig)).toBe(false);
          }),
          { seed: 11, numRuns: type === 'rsa' ? 15 : 40 }
        );
      });
    }
  }

  it('B-1: empty, non-hex and truncated signatures fail closed for every scheme', () => {
    for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
      const key = parseKey(
        generateKeyPair({ type, bits: type === 'rsa' ? 2048 : undefined }).privateText
      );
      const mb = new Metablock({ _type: 'link', name: 'x' }, [{ keyid: key.keyID, sig: '' }]);
      expect(mb.verifySignature(key)).toBe('invalid');
      expect(
        new Metablock({ _type: 'link', name: 'x' }, [
          { keyid: key.keyID, sig: 'zz' },
        ]).verifySignature(key)
      ).toBe('invalid');
      expect(
        new Metablock({ _type: 'link', name: 'x' }, [
          { keyid: key.keyID, sig: '3006020101020101' },
        ]).verifySignature(key)
      ).toBe('invalid');
      expect(new Metablock({ _type: 'link', name: 'x' }, []).verifySignature(key)).toBe('missing');
    }
  });
});

describe('models', () => {
  const files = [
    'python/tests/demo_files/write-code.776a00e2.link',
    'python/tests/demo_files/package.2f89b927.link',
    'golang/test/data/write-code.b7d643de.link',
    'python/derived-py131/single-signed.layout',
    'golang/test/data/demo.layout',
    'generated-py131/pass/root.layout',
  ];
  for (const f of files) {
    it(`${f}: fromJSON → toJSON round-trips byte for byte`, () => {
      const text = readFileSync(vector(f), 'utf8');
      const env = parseMetadata(text) as Metablock;
      const model =
        env.payload._type === 'link' ? Link.fromJSON(env.payload) : Layout.fromJSON(env.payload);
      const again = new Metablock(model.toJSON(), [...env.signatures]);
      const sorted = (s: string) => stringifyPython(parseMetadata(s).payload, { sortKeys: true });
      expect(sorted(again.toFileText())).toBe(sorted(text));
    });
  }

  it('gives precise paths for bad fields', () => {
    const base = {
      _type: 'layout',
      expires: '2030-01-01T00:00:00Z',
      steps: [{ name: 'a' }, { name: 'b' }, { name: 'c', threshold: true }],
      inspect: [],
      keys: {},
    };
    expect(() => Layout.fromJSON(base)).toThrow(
      'signed.steps[2].threshold: expected a positive integer, got true'
    );
    expect(() => Layout.fromJSON({ ...base, steps: [{ name: 'a', threshold: 0 }] })).toThrow(
      /threshold/
    );
    expect(() => Layout.fromJSON({ ...base, steps: [{ name: '../x' }] })).toThrow(/path separator/);
    expect(() =>
      Layout.fromJSON({ ...base, steps: [{ name: 'a' }], inspect: [{ name: 'a' }] })
    ).toThrow(/used twice/);
    expect(() => Layout.fromJSON({ ...base, steps: [], expires: '2030-02-30T00:00:00Z' })).toThrow(
      /expires/
    );
    expect(() =>
      Link.fromJSON({ _type: 'link', name: 'x', products: { a: { sha256: 'xyz' } } })
    ).toThrow('signed.products["a"].sha256: expected a hex digest, got "xyz"');
  });
});
