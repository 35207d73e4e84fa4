/**
 * Signed envelopes: the Metablock `{signed, signatures}` (hex signatures over canonical JSON of
 * `signed`, REFERENCE.md §1.1) and DSSE (base64 signatures over PAE, §1.4, ITE-5). Both expose one
 * interface so the rest of the library does not care which it holds.
 */
import {
  canonicalBytes,
  canonicalChunks,
  fromBase64,
  fromHex,
  isJSONObject,
  parseJSONCanonical,
  pythonBytes,
  pythonChunks,
  plainMembers,
  SortedDict,
  CanonicalValue,
  toBase64,
  toHex,
  type JSONObject,
  type JSONValue,
} from '../encoding/index.js';
import { FormatError, LimitError } from '../errors.js';
import type { Key, Signer } from '../crypto/index.js';

export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const DEFAULT_MAX_SIGNATURES = 64;

/**
 * How the reference writes a Metablock (REFERENCE §1.1): `json.dumps(indent=1, separators=(",",
 * ": "), sort_keys=True)`, no trailing newline.
 */
const METABLOCK_FILE = { indent: 1, separators: [',', ': '] as [string, string], sortKeys: true };

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export interface SignatureEntry {
  keyid: string;
  sig: string;
  [extra: string]: JSONValue;
}

export type SignatureStatus = 'valid' | 'invalid' | 'missing';

export interface EnvelopeOptions {
  /** A label (file name) for messages. */
  source?: string;
  maxSignatures?: number;
  maxDepth?: number;
  /**
   * Read a link's materials and products as Maps (the verifier's fast path, sorted-json.ts): the
   * payload then holds Maps where the objects were, which `Link.fromJSON` takes as they are.
   */
  liftArtifacts?: boolean;
}

const LIFT_KEYS = ['materials', 'products'];

/** What both envelope kinds offer. */
export interface SignedMetadata {
  readonly kind: 'metablock' | 'dsse';
  /** The signed object (a link or a layout). For DSSE it is parsed on first access. */
  readonly payload: JSONObject;
  readonly signatures: readonly SignatureEntry[];
  /** The exact bytes the signatures cover. */
  signedBytes(): Uint8Array;
  /**
   * Checks this key's signature: the first signature labelled with either keyid formula of the key
   * decides (REFERENCE §5.1: a later duplicate is not tried). Never throws.
   */
  verifySignature(key: Key): SignatureStatus;
  /** Adds a signature (replacing all existing ones unless `append`). */
  sign(signer: Signer, options?: { append?: boolean }): Promise<void>;
  /** The envelope as a JSON object. */
  toJSON(): JSONObject;
  /** The file text, written the way the reference writes it. */
  toFileText(): string;
  /** The file's bytes: the UTF-8 of {@link toFileText}, written without building the string. */
  toFileBytes(): Uint8Array;
  /** The bytes of {@link toFileBytes} handed to `write` in chunks (each valid only during the call). */
  writeFile(write: (chunk: Uint8Array) => void): void;
}

function parseSignatures(
  value: unknown,
  source: string,
  max: number,
  encoding: 'hex' | 'base64',
  path: string
): SignatureEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new FormatError(`${source}: ${path}: expected a list of signatures`, { path });
  if (value.length > max) {
    throw new LimitError(
      `${source}: ${value.length} signatures exceed the limit of ${max} per envelope`
    );
  }
  const seen = new Set<string>();
  return value.map((entry, i) => {
    const p = `${path}[${i}]`;
    if (!isJSONObject(entry))
      throw new FormatError(`${source}: ${p}: expected a signature object`, { path: p });
    if (typeof entry.keyid !== 'string')
      throw new FormatError(`${source}: ${p}.keyid: expected a string`, { path: `${p}.keyid` });
    if (typeof entry.sig !== 'string') {
      // in-toto 1.3.1 GPG signatures carry `signature` and `other_headers` instead of `sig`.
      const gpg = typeof entry.signature === 'string' && 'other_headers' in entry;
      throw new FormatError(
        gpg
          ? `${source}: ${p}: a GPG signature, which intoto does not support`
          : `${source}: ${p}.sig: expected a string`,
        {
          path: `${p}.sig`,
          hint: gpg ? 're-sign the metadata with a key (intoto sign -k)' : undefined,
        }
      );
    }
    if (encoding === 'hex' && !/^[0-9a-fA-F]*$/.test(entry.sig)) {
      throw new FormatError(`${source}: ${p}.sig: expected hex`, { path: `${p}.sig` });
    }
    if (encoding === 'base64') {
      // DSSE: securesystemslib keys signatures by keyid, so a duplicate keyid is rejected (SECURITY D-2).
      if (seen.has(entry.keyid))
        throw new FormatError(
          `${source}: ${p}.keyid: duplicate keyid ${entry.keyid} in a DSSE envelope`,
          { path: `${p}.keyid` }
        );
      seen.add(entry.keyid);
    }
    return entry as SignatureEntry;
  });
}

function decodeSig(sig: string, encoding: 'hex' | 'base64'): Uint8Array | undefined {
  try {
    return encoding === 'hex' ? fromHex(sig) : fromBase64(sig);
  } catch {
    return undefined;
  }
}

function checkSignature(
  entries: readonly SignatureEntry[],
  key: Key,
  data: () => Uint8Array,
  encoding: 'hex' | 'base64'
): SignatureStatus {
  const entry = entries.find((e) => key.matchesKeyID(e.keyid));
  if (!entry) return 'missing';
  const sig = decodeSig(entry.sig, encoding);
  if (!sig || sig.length === 0) return 'invalid';
  return key.verify(data(), sig) ? 'valid' : 'invalid';
}

/** The Metablock envelope. Signatures cover canonical JSON of `signed` exactly as received. */
export class Metablock implements SignedMetadata {
  readonly kind = 'metablock' as const;
  #signatures: SignatureEntry[];
  #bytes: Uint8Array | undefined;
  /** What is encoded: the payload, or (see {@link Metablock.forValue}) a value with SortedDicts. */
  #value: object;
  #payload: JSONObject | undefined;

  /** `signedBytes`: the canonical JSON of `payload` when already known (parseMetadata). */
  constructor(payload: JSONObject, signatures: SignatureEntry[] = [], signedBytes?: Uint8Array) {
    this.#signatures = signatures;
    this.#bytes = signedBytes;
    this.#value = this.#payload = payload;
  }

  /**
   * An unsigned Metablock for a value whose members may be SortedDicts (a recorded link, {@link
   * Link.toEncodable}): they are encoded as they are, and made objects only if `payload` is read.
   */
  static forValue(value: Record<string, unknown>): Metablock {
    const m = new Metablock({});
    m.#value = value;
    m.#payload = undefined;
    return m;
  }

  get payload(): JSONObject {
    return (this.#payload ??= plainMembers(this.#value) as JSONObject);
  }

  get signatures(): readonly SignatureEntry[] {
    return this.#signatures;
  }

  signedBytes(): Uint8Array {
    // Canonicalised once per envelope: links with 100k artifacts are large.
    this.#bytes ??= canonicalBytes(this.#value);
    return this.#bytes;
  }

  verifySignature(key: Key): SignatureStatus {
    return checkSignature(this.#signatures, key, () => this.signedBytes(), 'hex');
  }

  async sign(signer: Signer, options: { append?: boolean } = {}): Promise<void> {
    // A signer that hashes as it goes gets the canonical JSON in chunks, never held whole (a
    // recorded link's can be 10 MiB, and fresh memory is dear); the file is then written from the
    // value, which gives the same bytes as re-spacing them.
    const sig =
      this.#bytes === undefined && signer.signChunks
        ? await signer.signChunks((update) => canonicalChunks(this.#value, update))
        : await signer.sign(this.signedBytes());
    const entry: SignatureEntry = { keyid: signer.keyID, sig: toHex(sig) };
    this.#signatures = options.append
      ? [...this.#signatures.filter((s) => s.keyid !== signer.keyID), entry]
      : [entry];
  }

  toJSON(): JSONObject {
    return { signatures: this.#signatures, signed: this.payload };
  }

  toFileText(): string {
    return utf8(this.toFileBytes());
  }

  toFileBytes(): Uint8Array {
    return pythonBytes(this.#fileValue(), METABLOCK_FILE);
  }

  writeFile(write: (chunk: Uint8Array) => void): void {
    pythonChunks(this.#fileValue(), METABLOCK_FILE, write);
  }

  #fileValue(): object {
    // With canonical bytes at hand (read, or signed whole), `signed` is written from them — they
    // are what the signature covers — without encoding the payload again (see CanonicalValue).
    const signed = this.#bytes ? new CanonicalValue(this.#bytes, this.#value) : this.#value;
    return { signatures: this.#signatures, signed };
  }
}

/** Pre-authentication encoding of DSSE v1: `DSSEv1 <len> <type> <len> <body>` with byte lengths. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, 'utf8');
  return Buffer.concat([head, payload]);
}

/** The DSSE envelope. The payload is parsed (strictly) only when first read. */
export class DSSEEnvelope implements SignedMetadata {
  readonly kind = 'dsse' as const;
  #signatures: SignatureEntry[];
  #payload: JSONObject | undefined;
  #pae: Uint8Array | undefined;

  constructor(
    readonly payloadBytes: Uint8Array,
    readonly payloadType: string = DSSE_PAYLOAD_TYPE,
    signatures: SignatureEntry[] = [],
    private readonly options: EnvelopeOptions = {}
  ) {
    this.#signatures = signatures;
  }

  /**
   * Wraps a link or layout object the way the reference does (`json.dumps(sort_keys=True)`). Its
   * members may be SortedDicts (a recorded link, {@link Link.toEncodable}): `payload` then reads
   * them back as objects.
   */
  static fromPayload(payload: JSONObject | Record<string, unknown>): DSSEEnvelope {
    const env = new DSSEEnvelope(pythonBytes(payload, { sortKeys: true }));
    if (!Object.values(payload).some((v) => v instanceof SortedDict))
      env.#payload = payload as JSONObject;
    return env;
  }

  get signatures(): readonly SignatureEntry[] {
    return this.#signatures;
  }

  get payload(): JSONObject {
    if (this.#payload === undefined) {
      const source = this.options.source ?? 'DSSE envelope';
      const { value } = parseJSONCanonical(this.payloadBytes, {
        source: `${source} payload`,
        maxDepth: this.options.maxDepth,
        ...(this.options.liftArtifacts ? { lift: { keys: LIFT_KEYS } } : {}),
      });
      if (!isJSONObject(value))
        throw new FormatError(`${source}: the DSSE payload is not a JSON object`);
      this.#payload = value;
    }
    return this.#payload;
  }

  signedBytes(): Uint8Array {
    this.#pae ??= pae(this.payloadType, this.payloadBytes);
    return this.#pae;
  }

  verifySignature(key: Key): SignatureStatus {
    return checkSignature(this.#signatures, key, () => this.signedBytes(), 'base64');
  }

  async sign(signer: Signer, options: { append?: boolean } = {}): Promise<void> {
    const sig = await signer.sign(this.signedBytes());
    const entry: SignatureEntry = { keyid: signer.keyID, sig: toBase64(sig) };
    this.#signatures = options.append
      ? [...this.#signatures.filter((s) => s.keyid !== signer.keyID), entry]
      : [entry];
  }

  toJSON(): JSONObject {
    return {
      payload: toBase64(this.payloadBytes),
      payloadType: this.payloadType,
      signatures: this.#signatures,
    };
  }

  toFileText(): string {
    return utf8(this.toFileBytes());
  }

  toFileBytes(): Uint8Array {
    return pythonBytes(this.toJSON(), { sortKeys: true });
  }

  writeFile(write: (chunk: Uint8Array) => void): void {
    write(this.toFileBytes());
  }
}

/**
 * Reads a Metablock or DSSE envelope (REFERENCE §1.4 detection: `payload` → DSSE, which must carry
 * payloadType `application/vnd.in-toto+json`; else `signed` → Metablock). Strict JSON throughout.
 * @throws FormatError, LimitError
 */
export function parseMetadata(
  input: string | Uint8Array,
  options: EnvelopeOptions = {}
): SignedMetadata {
  const source = options.source ?? 'metadata';
  // The canonical bytes of `signed` come with the parse when the keys are sorted (sorted-json.ts).
  const { value: doc, canonical } = parseJSONCanonical(input, {
    source,
    maxDepth: options.maxDepth,
    spanOf: 'signed',
    ...(options.liftArtifacts ? { lift: { parent: 'signed', keys: LIFT_KEYS } } : {}),
  });
  if (!isJSONObject(doc))
    throw new FormatError(`${source}: expected a JSON object (a Metablock or a DSSE envelope)`);
  const max = options.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  if ('payload' in doc) {
    if (doc.payloadType !== DSSE_PAYLOAD_TYPE) {
      throw new FormatError(
        `${source}: DSSE payloadType must be "${DSSE_PAYLOAD_TYPE}", got ${JSON.stringify(doc.payloadType ?? null)}`
      );
    }
    if (typeof doc.payload !== 'string')
      throw new FormatError(`${source}: payload: expected a base64 string`, { path: 'payload' });
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(doc.payload, 'payload');
    } catch (err) {
      throw new FormatError(`${source}: payload: not valid base64`, {
        path: 'payload',
        cause: err,
      });
    }
    return new DSSEEnvelope(
      bytes,
      doc.payloadType,
      parseSignatures(doc.signatures, source, max, 'base64', 'signatures'),
      options
    );
  }
  if ('signed' in doc) {
    if (!isJSONObject(doc.signed))
      throw new FormatError(`${source}: signed: expected an object`, { path: 'signed' });
    const type = doc.signed._type;
    if (type !== 'link' && type !== 'layout') {
      throw new FormatError(
        `${source}: signed._type must be "link" or "layout", got ${JSON.stringify(type ?? null)}`,
        { path: 'signed._type' }
      );
    }
    return new Metablock(
      doc.signed,
      parseSignatures(doc.signatures, source, max, 'hex', 'signatures'),
      canonical
    );
  }
  throw new FormatError(
    `${source}: neither a Metablock ("signed") nor a DSSE envelope ("payload")`,
    {
      hint: 'is this an in-toto link or layout?',
    }
  );
}
