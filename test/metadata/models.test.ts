/**
 * Link/Layout models and envelopes beyond the signature vectors: every vector file round-trips,
 * files written by python come back byte for byte, precise messages for bad fields, the rule hook,
 * envelope limits and extra signature fields, DSSE verified before its payload is parsed, and
 * atomic writes.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DSSEEnvelope,
  FormatError,
  InputError,
  Inspection,
  Layout,
  LimitError,
  Link,
  Metablock,
  SortedDict,
  Step,
  generateKeyPair,
  parseKey,
  parseMetadata,
  stringifyPython,
  writeFileAtomic,
} from '../../src/index.js';
import { VECTORS, testdir, vector } from '../helpers/vectors.js';

function metadataFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? metadataFiles(join(dir, e.name))
      : /\.(link|layout)$/.test(e.name)
        ? [relative(VECTORS, join(dir, e.name))]
        : []
  );
}

const sorted = (v: unknown) => stringifyPython(v, { sortKeys: true });

describe('every vector file', () => {
  const files = metadataFiles(VECTORS);
  // GPG signatures have no "sig"; malformed-sig.layout is malformed on purpose.
  const unreadable = files.filter((f) => /gpg|malformed-sig/.test(f));

  it('finds the vectors', () => {
    expect(files.length).toBeGreaterThan(70);
    expect(unreadable).toHaveLength(4);
  });

  it('fromJSON → toJSON round-trips each link and layout (Metablock and DSSE)', () => {
    for (const f of files.filter((x) => !unreadable.includes(x))) {
      const env = parseMetadata(readFileSync(vector(f)), { source: f });
      const model =
        env.payload._type === 'link' ? Link.fromJSON(env.payload) : Layout.fromJSON(env.payload);
      expect(sorted(model.toJSON()), f).toBe(sorted(env.payload));
    }
  });

  it('a Metablock written by in-toto 1.3.1 is rewritten byte for byte', () => {
    const written = files.filter((f) => f.startsWith('generated-py131/pass/'));
    expect(written.length).toBeGreaterThan(3);
    for (const f of [...written, 'python/derived-py131/double-signed.layout']) {
      const text = readFileSync(vector(f), 'utf8');
      expect(parseMetadata(text).toFileText(), f).toBe(text);
    }
  });

  it('GPG-signed metadata is refused with a message that says so', () => {
    for (const f of unreadable.filter((x) => x.includes('gpg'))) {
      expect(() => parseMetadata(readFileSync(vector(f)), { source: f }), f).toThrow(
        /a GPG signature, which intoto does not support/
      );
    }
  });
});

describe('models: defaults and messages', () => {
  it('missing optional fields take the reference defaults, and toJSON writes every field', () => {
    const link = Link.fromJSON({ _type: 'link', name: 'x' });
    expect(Object.keys(link.toJSON()).sort()).toEqual([
      '_type',
      'byproducts',
      'command',
      'environment',
      'materials',
      'name',
      'products',
    ]);
    const layout = Layout.fromJSON({ _type: 'layout', expires: '2030-01-01T00:00:00Z' });
    expect(layout.toJSON()).toEqual({
      _type: 'layout',
      expires: '2030-01-01T00:00:00Z',
      inspect: [],
      keys: {},
      readme: '',
      steps: [],
    });
    expect(new Step({ name: 's' }).toJSON()).toEqual({
      _type: 'step',
      expected_command: [],
      expected_materials: [],
      expected_products: [],
      name: 's',
      pubkeys: [],
      threshold: 1,
    });
    expect(new Inspection({ name: 'i', run: ['true'] }).toJSON()).toEqual({
      _type: 'inspection',
      expected_materials: [],
      expected_products: [],
      name: 'i',
      run: ['true'],
    });
  });

  const layout = (patch: Record<string, unknown>) => ({
    _type: 'layout',
    expires: '2030-01-01T00:00:00Z',
    steps: [],
    inspect: [],
    keys: {},
    ...patch,
  });
  const step = (patch: Record<string, unknown>) => layout({ steps: [{ name: 's', ...patch }] });

  const cases: [string, unknown, string | RegExp][] = [
    [
      'threshold float',
      step({ threshold: 1.5 }),
      'signed.steps[0].threshold: expected a positive integer, got 1.5',
    ],
    [
      'threshold string',
      step({ threshold: '2' }),
      'signed.steps[0].threshold: expected a positive integer, got "2"',
    ],
    [
      'threshold zero',
      step({ threshold: 0 }),
      'signed.steps[0].threshold: expected a positive integer, got 0',
    ],
    [
      'threshold bool',
      step({ threshold: false }),
      'signed.steps[0].threshold: expected a positive integer, got false',
    ],
    [
      'pubkeys',
      step({ pubkeys: 'ab' }),
      'signed.steps[0].pubkeys: expected a list of strings, got "ab"',
    ],
    [
      'pubkeys item',
      step({ pubkeys: ['ab', 3] }),
      'signed.steps[0].pubkeys[1]: expected a string, got 3',
    ],
    [
      'rule not list',
      step({ expected_materials: ['ALLOW *'] }),
      'signed.steps[0].expected_materials[0]: expected a list of strings, got "ALLOW *"',
    ],
    [
      'empty rule',
      step({ expected_products: [[]] }),
      'signed.steps[0].expected_products[0]: expected a non-empty rule, got a list',
    ],
    [
      'command',
      step({ expected_command: 'make' }),
      'signed.steps[0].expected_command: expected a list of strings, got "make"',
    ],
    [
      'step type',
      step({ _type: 'inspection' }),
      'signed.steps[0]._type: expected "step", got "inspection"',
    ],
    ['name', step({ name: 7 }), 'signed.steps[0].name: expected a string, got 7'],
    ['empty name', step({ name: '' }), /signed\.steps\[0\]\.name: name "" is empty/],
    ['dot name', step({ name: '.hidden' }), /starts with "\."/],
    ['backslash', step({ name: 'a\\b' }), /contains a path separator/],
    ['NUL', step({ name: 'a\u0000b' }), /contains NUL/],
    ['dotdot', step({ name: '..' }), /starts with "\."/],
    [
      'inspection run',
      layout({ inspect: [{ name: 'i', run: 'ls' }] }),
      'signed.inspect[0].run: expected a list of strings, got "ls"',
    ],
    ['steps not list', layout({ steps: {} }), 'signed.steps: expected a list, got an object'],
    [
      'expires format',
      layout({ expires: '2030-01-01 00:00:00' }),
      'signed.expires: expected a date as YYYY-MM-DDTHH:MM:SSZ, got "2030-01-01 00:00:00"',
    ],
    ['expires fraction', layout({ expires: '2030-01-01T00:00:00.5Z' }), /signed\.expires/],
    ['expires hour 24', layout({ expires: '2030-01-01T24:00:00Z' }), /signed\.expires/],
    [
      'expires type',
      layout({ expires: 1893456000 }),
      'signed.expires: expected a string, got 1893456000',
    ],
    ['readme', layout({ readme: null }), 'signed.readme: expected a string, got null'],
    ['keys', layout({ keys: [] }), 'signed.keys: expected an object, got a list'],
    [
      'keyid',
      layout({ keys: { ABC: {} } }),
      'signed.keys: expected lowercase hex keyids, got "ABC"',
    ],
    [
      'private key',
      layout({ keys: { ab: { keyval: { public: 'x', private: 'y' } } } }),
      /signed\.keys\.ab: contains a private key/,
    ],
    [
      'duplicate across lists',
      layout({ steps: [{ name: 'x' }], inspect: [{ name: 'x' }] }),
      /"x" is used twice/,
    ],
    [
      'layout type',
      { ...layout({}), _type: 'Layout' },
      'signed._type: expected "layout", got "Layout"',
    ],
  ];
  for (const [what, value, message] of cases) {
    it(`layout: ${what}`, () => {
      expect(() => Layout.fromJSON(value)).toThrow(FormatError);
      expect(() => Layout.fromJSON(value)).toThrow(message);
    });
  }

  const linkCases: [string, Record<string, unknown>, string][] = [
    ['name', { name: null }, 'signed.name: expected a string, got null'],
    ['materials', { materials: [] }, 'signed.materials: expected an object, got a list'],
    [
      'hash dict',
      { products: { 'a b': 'ab' } },
      'signed.products["a b"]: expected an object, got "ab"',
    ],
    ['command', { command: 'make' }, 'signed.command: expected a list, got "make"'],
    ['byproducts', { byproducts: 1 }, 'signed.byproducts: expected an object, got 1'],
    ['environment', { environment: 'x' }, 'signed.environment: expected an object, got "x"'],
  ];
  for (const [what, patch, message] of linkCases) {
    it(`link: ${what}`, () => {
      expect(() => Link.fromJSON({ _type: 'link', name: 'x', ...patch })).toThrow(message);
    });
  }

  it('a field differing from a known one only in case is rejected (SECURITY A-9)', () => {
    expect(() => Link.fromJSON({ _type: 'link', name: 'x', Products: {} })).toThrow(
      /"Products" differs from "products" only in case/
    );
  });

  it('unknown fields survive a round trip, on the layout, its steps and inspections', () => {
    const obj = {
      _type: 'layout',
      expires: '2030-01-01T00:00:00Z',
      rootcas: { x: 1 },
      steps: [{ name: 's', cert_constraints: [{ common_name: 'a' }] }],
      inspect: [{ name: 'i', extra: true }],
    };
    const out = Layout.fromJSON(obj).toJSON() as typeof obj;
    expect(out.rootcas).toEqual({ x: 1 });
    expect(out.steps[0].cert_constraints).toEqual([{ common_name: 'a' }]);
    expect(out.inspect[0].extra).toBe(true);
  });

  it('validateRule is called with each rule and its path; its error propagates', () => {
    const seen: [string[], string][] = [];
    Layout.fromJSON(
      {
        _type: 'layout',
        expires: '2030-01-01T00:00:00Z',
        steps: [
          {
            name: 's',
            expected_materials: [['ALLOW', '*']],
            expected_products: [['DISALLOW', '*']],
          },
        ],
        inspect: [
          { name: 'i', expected_materials: [['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 's']] },
        ],
      },
      'signed',
      (rule, path) => seen.push([rule, path])
    );
    expect(seen).toEqual([
      [['ALLOW', '*'], 'signed.steps[0].expected_materials[0]'],
      [['DISALLOW', '*'], 'signed.steps[0].expected_products[0]'],
      [['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 's'], 'signed.inspect[0].expected_materials[0]'],
    ]);
    expect(() =>
      Layout.fromJSON(
        {
          _type: 'layout',
          expires: '2030-01-01T00:00:00Z',
          steps: [{ name: 's', expected_products: [['BOGUS']] }],
        },
        'signed',
        (rule, path) => {
          if (rule[0] === 'BOGUS') throw new FormatError(`${path}: unknown rule BOGUS`, { path });
        }
      )
    ).toThrow('signed.steps[0].expected_products[0]: unknown rule BOGUS');
  });
});

describe('envelopes: limits, extra fields, DSSE order of checks', () => {
  const key = parseKey(generateKeyPair({ type: 'ed25519' }).privateText);

  it('more signatures than the limit is a LimitError (default 64, configurable)', () => {
    const sigs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ keyid: i.toString(16).padStart(64, '0'), sig: '00' }));
    const doc = (n: number) =>
      JSON.stringify({ signed: { _type: 'link', name: 'x' }, signatures: sigs(n) });
    expect(parseMetadata(doc(64)).signatures).toHaveLength(64);
    expect(() => parseMetadata(doc(65))).toThrow(LimitError);
    expect(() => parseMetadata(doc(3), { maxSignatures: 2 })).toThrow(
      /3 signatures exceed the limit of 2/
    );
  });

  it('extra signature fields (golang "cert") are kept through signing with append and writing', async () => {
    const text = readFileSync(vector('golang/test/data/write-code.b7d643de.link'), 'utf8');
    const env = parseMetadata(text);
    expect(env.signatures[0]).toHaveProperty('cert', '');
    await env.sign(key.toSigner(), { append: true });
    const again = parseMetadata(env.toFileText());
    expect(again.signatures).toHaveLength(2);
    expect(again.signatures[0]).toHaveProperty('cert', '');
    expect(again.verifySignature(parseKey(readFileSync(vector('golang/test/data/dan.pub'))))).toBe(
      'valid'
    );
    expect(again.verifySignature(key)).toBe('valid');
    // Without append the existing signatures are replaced.
    await again.sign(key.toSigner());
    expect(again.signatures.map((s) => s.keyid)).toEqual([key.keyID]);
  });

  it('DSSE: the signature is checked over the payload bytes before (and without) parsing them', async () => {
    const env = new DSSEEnvelope(Buffer.from('{"a": 1, "a": 2}'));
    await env.sign(key.toSigner());
    const reread = parseMetadata(env.toFileText());
    expect(reread.verifySignature(key)).toBe('valid');
    // The strict reader refuses the duplicate key only when the payload is used.
    expect(() => reread.payload).toThrow(/duplicate/i);
    const notJSON = new DSSEEnvelope(Buffer.from('not json'));
    await notJSON.sign(key.toSigner());
    expect(parseMetadata(notJSON.toFileText()).verifySignature(key)).toBe('valid');
    expect(() => parseMetadata(notJSON.toFileText()).payload).toThrow(FormatError);
  });

  it('DSSE: payload and file text are written the way the reference writes them', async () => {
    const payload = { _type: 'link', name: 'ünï', z: 1, a: [1, 2] };
    const env = DSSEEnvelope.fromPayload(payload);
    expect(Buffer.from(env.payloadBytes).toString()).toBe(
      '{"_type": "link", "a": [1, 2], "name": "\\u00fcn\\u00ef", "z": 1}'
    );
    await env.sign(key.toSigner());
    const text = env.toFileText();
    expect(text).toMatch(
      /^\{"payload": "[A-Za-z0-9+/]+=*", "payloadType": "application\/vnd\.in-toto\+json", "signatures": \[\{"keyid": "[0-9a-f]{64}", "sig": "[A-Za-z0-9+/]+=*"\}\]\}$/
    );
  });

  it('rejects non-object documents, a non-string payload and invalid base64', () => {
    expect(() => parseMetadata('[]')).toThrow(/expected a JSON object/);
    const base = { payloadType: 'application/vnd.in-toto+json', signatures: [] };
    expect(() => parseMetadata(JSON.stringify({ ...base, payload: 5 }))).toThrow(
      /payload: expected a base64 string/
    );
    expect(() => parseMetadata(JSON.stringify({ ...base, payload: 'a*b' }))).toThrow(
      /payload: not valid base64/
    );
    expect(() => parseMetadata('{"signed": [], "signatures": []}')).toThrow(
      /signed: expected an object/
    );
    expect(() =>
      parseMetadata('{"signed": {"_type": "link"}, "signatures": [{"keyid": "ab", "sig": "xyz"}]}')
    ).toThrow(/signatures\[0\]\.sig: expected hex/);
  });
});

describe('writeFileAtomic', () => {
  it('writes with mode 0644, replaces an existing file, and leaves no temporary file', () => {
    const dir = testdir({ 'a.link': 'old' });
    writeFileAtomic(join(dir, 'a.link'), 'new');
    expect(readFileSync(join(dir, 'a.link'), 'utf8')).toBe('new');
    writeFileAtomic(join(dir, 'b.link'), Buffer.from('bytes'));
    expect(statSync(join(dir, 'b.link')).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(readdirSync(dir).sort()).toEqual(['a.link', 'b.link']);
  });

  it('on failure names the file, keeps what was there, and removes its temporary file', () => {
    const dir = testdir();
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.link'), 'x')).toThrow(InputError);
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.link'), 'x')).toThrow(
      /cannot write .*missing\/x\.link: the directory does not exist/
    );
    // A rename that cannot happen (the target is a non-empty directory): the target is untouched.
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'keep'), 'keep');
    expect(() => writeFileAtomic(join(dir, 'taken'), 'x')).toThrow(/cannot write .*taken/);
    expect(readFileSync(join(dir, 'taken', 'keep'), 'utf8')).toBe('keep');
    expect(readdirSync(dir).sort()).toEqual(['taken']);
  });
});

describe('Metablock signing', () => {
  it('signs the canonical JSON of signed as given, including unknown fields', async () => {
    const key = parseKey(generateKeyPair({ type: 'ecdsa' }).privateText);
    const payload = {
      _type: 'layout',
      expires: '2030-01-01T00:00:00Z',
      rootcas: {},
      steps: [],
      inspect: [],
      keys: {},
      readme: '',
    };
    const mb = new Metablock(payload);
    await mb.sign(key.toSigner());
    expect(Buffer.from(mb.signedBytes()).toString()).toBe(
      '{"_type":"layout","expires":"2030-01-01T00:00:00Z","inspect":[],"keys":{},"readme":"","rootcas":{},"steps":[]}'
    );
    expect(mb.signatures[0].sig).toMatch(/^[0-9a-f]+$/);
    const dropped = new Metablock(Layout.fromJSON(payload).toJSON(), [...mb.signatures]);
    expect(dropped.verifySignature(key)).toBe('valid');
    const { rootcas: _, ...without } = payload;
    expect(new Metablock(without, [...mb.signatures]).verifySignature(key)).toBe('invalid');
  });
});

describe('streamed signing and writing (a large link is never held whole)', () => {
  const payload = () => ({
    _type: 'link',
    name: 'build',
    materials: SortedDict.of(
      Array.from({ length: 20_000 }, (_, i) => `src/${i}.c`),
      Array.from({ length: 20_000 }, (_, i) => ({ sha256: i.toString(16).padStart(64, '0') }))
    ),
  });

  it('RSA and ECDSA sign the canonical JSON in chunks; the signature verifies and the file is the same', async () => {
    for (const type of ['rsa', 'ecdsa'] as const) {
      const key = parseKey(
        generateKeyPair({ type, bits: type === 'rsa' ? 2048 : undefined }).privateText
      );
      const signer = key.toSigner();
      expect(signer.signChunks, type).toBeDefined();
      const streamed = Metablock.forValue(payload());
      await streamed.sign(signer);
      // Read back as the verifier reads it: the signature covers the canonical bytes.
      const bytes = streamed.toFileBytes();
      const read = parseMetadata(bytes);
      expect(read.verifySignature(key), type).toBe('valid');
      // Written in chunks: the same bytes as the in-memory file, and as a Metablock of the plain object.
      const dir = testdir();
      writeFileAtomic(join(dir, 'x.link'), (write) => streamed.writeFile(write));
      expect(readFileSync(join(dir, 'x.link')).equals(Buffer.from(bytes)), type).toBe(true);
      const plain = new Metablock(streamed.payload, [...streamed.signatures]);
      expect(Buffer.from(plain.toFileBytes()).equals(Buffer.from(bytes)), type).toBe(true);
    }
    // Ed25519 signs the whole message (no chunked form).
    expect(parseKey(generateKeyPair({ type: 'ed25519' }).privateText).toSigner().signChunks).toBe(
      undefined
    );
  });

  it('an error while producing the content leaves no file and is not called a write failure', () => {
    const dir = testdir({ 'a.link': 'old' });
    const err = new Error('cannot encode');
    expect(() =>
      writeFileAtomic(join(dir, 'a.link'), (write) => {
        write(Buffer.from('partial'));
        throw err;
      })
    ).toThrow(err);
    expect(readFileSync(join(dir, 'a.link'), 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['a.link']);
  });
});
