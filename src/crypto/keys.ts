/**
 * Keys: loading (type detected from content), key ids in both formulas, signing and verifying.
 *
 * Why node:crypto for RSA and ECDSA: OpenSSL's RSA-PSS and ECDSA are constant-time, fast and parse
 * every PEM flavour in use (PKCS#1, PKCS#8, SPKI, SEC1, OpenSSL-encrypted); Ed25519 uses
 * @noble/ed25519 (ed25519.ts).
 */
import {
  X509Certificate,
  constants,
  createPrivateKey,
  createPublicKey,
  createSign,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
  type SignKeyObjectInput,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FormatError, InputError, KeyError } from '../errors.js';
import { isJSONObject, parseJSON, type JSONObject } from '../encoding/index.js';
import { fromHex, toHex } from '../encoding/index.js';
import {
  ed25519PublicFromSeed,
  ed25519PublicToSPKI,
  ed25519SeedToPKCS8,
  ed25519Sign,
  ed25519Verify,
} from './ed25519.js';
import { KEYID_HASH_ALGORITHMS, legacyKeyID, newKeyID } from './keyid.js';
import { isSSLEncrypted, sslDecrypt } from './securesystemslib-encryption.js';
import { decryptPBES1 } from './pbes1.js';

export type KeyType = 'rsa' | 'ed25519' | 'ecdsa';
export type KeyIDFormat = 'legacy' | 'new';

/** A public key as it appears in a layout's `keys` (securesystemslib key dict). */
export interface PublicKeyDict {
  keytype: string;
  scheme: string;
  keyid?: string;
  keyid_hash_algorithms?: string[];
  keyval: { public: string; private?: string };
}

/** Signs bytes on behalf of one key (STYLE.md §2.6: metadata never reads key files itself). */
export interface Signer {
  readonly keyID: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Signs the bytes `produce` hands to `update`, chunk by chunk, as {@link sign} signs them whole:
   * for large metadata, which then need not be held in memory. Only schemes that hash the message
   * as it comes (RSA, ECDSA) have it; Ed25519 reads its message twice and has not.
   */
  signChunks?: (produce: (update: (chunk: Uint8Array) => void) => void) => Promise<Uint8Array>;
}

export interface LoadKeyOptions {
  /** Password for an encrypted key. */
  password?: string;
  /** `-t/--key-type`, checked against what the file holds. */
  keyType?: string;
  /** Which keyid formula names the key (default legacy: in-toto 1.3.1 and golang). */
  keyIDFormat?: KeyIDFormat;
  /** A label for messages (defaults to the path). */
  source?: string;
}

const RSA_SCHEMES: Record<string, { hash: string; pss: boolean }> = {
  'rsassa-pss-md5': { hash: 'md5', pss: true },
  'rsassa-pss-sha1': { hash: 'sha1', pss: true },
  'rsassa-pss-sha224': { hash: 'sha224', pss: true },
  'rsassa-pss-sha256': { hash: 'sha256', pss: true },
  'rsassa-pss-sha384': { hash: 'sha384', pss: true },
  'rsassa-pss-sha512': { hash: 'sha512', pss: true },
  'rsa-pkcs1v15-sha1': { hash: 'sha1', pss: false },
  'rsa-pkcs1v15-sha224': { hash: 'sha224', pss: false },
  'rsa-pkcs1v15-sha256': { hash: 'sha256', pss: false },
  'rsa-pkcs1v15-sha384': { hash: 'sha384', pss: false },
  'rsa-pkcs1v15-sha512': { hash: 'sha512', pss: false },
};
const ECDSA_SCHEMES = new Set([
  'ecdsa-sha2-nistp224',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
]);
/**
 * ECDSA hashes by curve size (RFC 5656 §6.2.1), as in-toto-golang signs and verifies: golang's
 * default scheme for any ECDSA key is `ecdsa-sha2-nistp256`, so a P-384 key listed under that scheme
 * still signs with SHA-384. For every key python generates (P-256 with nistp256, P-384 with
 * nistp384) this is the scheme's hash too (docs/DIFFERENCES.md).
 */
const CURVE_HASH: Record<string, string> = {
  secp224r1: 'sha256',
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

function ecdsaHash(key: KeyObject): string | undefined {
  return CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''];
}
/** Curves in-toto implementations use (golang also P-224/P-521); secp256k1 etc. are refused. */
const CURVE_SCHEME: Record<string, string> = {
  prime256v1: 'ecdsa-sha2-nistp256',
  secp384r1: 'ecdsa-sha2-nistp384',
  secp521r1: 'ecdsa-sha2-nistp521',
  secp224r1: 'ecdsa-sha2-nistp224',
};

export const DEFAULT_SCHEMES: Record<KeyType, string> = {
  rsa: 'rsassa-pss-sha256',
  ed25519: 'ed25519',
  ecdsa: 'ecdsa-sha2-nistp256',
};

function normaliseKeyType(keytype: string): KeyType | undefined {
  if (keytype === 'rsa' || keytype === 'ed25519' || keytype === 'ecdsa') return keytype;
  if (keytype.startsWith('ecdsa-sha2-nistp')) return 'ecdsa';
  return undefined;
}

/** SPKI PEM as pyca and node write it: 64-character lines, trailing newline. */
function spkiPEM(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** The first PEM block of `text` (header to footer), with `\r\n` normalised (REFERENCE §1.5). */
function extractPEM(text: string, label?: string): string | undefined {
  const t = text.replace(/\r\n/g, '\n');
  const re = label
    ? new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`)
    : /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/;
  return re.exec(t)?.[0];
}

interface KeyInit {
  keyType: KeyType;
  scheme: string;
  /** keyval.public as the legacy dict carries it (PEM without trailing newline for PEM files). */
  legacyPublic: string;
  /** keyval.public as the new signer API computes it (PEM with trailing newline). */
  newPublic: string;
  publicKey: KeyObject | Uint8Array;
  privateKey?: KeyObject | Uint8Array;
  /** A keyid the source insists on (a layout entry, a private securesystemslib key file). */
  givenKeyID?: string;
  keyIDFormat?: KeyIDFormat;
}

/**
 * A public key, optionally with its private half. `keyID` is the id the key is known by (the legacy
 * formula by default, or the id a layout gives it); `keyIDs` has both formulas, and
 * {@link Key.matchesKeyID} accepts either, so a signature labelled with any id of this key counts.
 */
export class Key {
  readonly keyType: KeyType;
  readonly scheme: string;
  readonly keyID: string;
  readonly keyIDs: { readonly legacy: string; readonly new: string };
  /** keyval.public values behind the two keyid formulas. */
  readonly publicValues: { readonly legacy: string; readonly new: string };
  readonly #publicKey: KeyObject | Uint8Array;
  readonly #privateKey: KeyObject | Uint8Array | undefined;

  constructor(init: KeyInit) {
    this.keyType = init.keyType;
    this.scheme = init.scheme;
    this.publicValues = { legacy: init.legacyPublic, new: init.newPublic };
    this.keyIDs = {
      legacy: legacyKeyID(init.keyType, init.scheme, init.legacyPublic),
      new: newKeyID(init.keyType, init.scheme, init.newPublic),
    };
    this.keyID =
      init.givenKeyID ?? (init.keyIDFormat === 'new' ? this.keyIDs.new : this.keyIDs.legacy);
    this.#publicKey = init.publicKey;
    this.#privateKey = init.privateKey;
  }

  get hasPrivate(): boolean {
    return this.#privateKey !== undefined;
  }

  /** True when `keyid` names this key under either formula (or is the id it was given). */
  matchesKeyID(keyid: string): boolean {
    return keyid === this.keyID || keyid === this.keyIDs.legacy || keyid === this.keyIDs.new;
  }

  /** A fingerprint of the key material alone, to count distinct keys whatever id they are listed under. */
  get fingerprint(): string {
    return this.keyIDs.new;
  }

  /**
   * Verifies `signature` over `data` with this key's scheme. Never throws and never passes on
   * malformed input: an empty, truncated or garbage signature is `false` (SECURITY.md B-1).
   */
  verify(data: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length === 0) return false;
    try {
      if (this.keyType === 'ed25519') {
        return ed25519Verify(signature, data, this.#publicKey as Uint8Array);
      }
      const key = this.#publicKey as KeyObject;
      const rsa = RSA_SCHEMES[this.scheme];
      if (this.keyType === 'rsa' && rsa) {
        return nodeVerify(
          rsa.hash,
          data,
          {
            key,
            padding: rsa.pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
            // Any salt length when verifying, as the reference (PSS.AUTO); we sign with the digest length.
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          },
          signature
        );
      }
      const ecHash = this.keyType === 'ecdsa' ? ecdsaHash(key) : undefined;
      if (ecHash && ECDSA_SCHEMES.has(this.scheme)) {
        return nodeVerify(ecHash, data, { key, dsaEncoding: 'der' }, signature);
      }
      return false;
    } catch {
      return false;
    }
  }

  /** Signs `data`. @throws KeyError without a private key or with a scheme we cannot sign with. */
  signSync(data: Uint8Array): Uint8Array {
    const priv = this.#privateKey;
    if (priv === undefined) {
      throw new KeyError(
        `key ${this.keyID.slice(0, 8)} is a public key: signing needs the private key`,
        {
          hint: 'pass the private key file (not the .pub) with -k',
        }
      );
    }
    if (this.keyType === 'ed25519') return ed25519Sign(data, priv as Uint8Array);
    const hashed = this.#hashedSigning();
    if (hashed) return new Uint8Array(nodeSign(hashed.hash, data, hashed.options));
    throw new KeyError(`cannot sign with scheme ${this.scheme}`);
  }

  /**
   * For RSA and ECDSA keys (hash-then-sign): the digest and OpenSSL's signing options, which
   * signSync and the chunked signer share. Undefined for Ed25519 and for schemes we cannot sign with.
   */
  #hashedSigning(): { hash: string; options: SignKeyObjectInput } | undefined {
    const key = this.#privateKey as KeyObject;
    const rsa = this.keyType === 'rsa' ? RSA_SCHEMES[this.scheme] : undefined;
    if (rsa) {
      const padding = rsa.pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
      return {
        hash: rsa.hash,
        options: { key, padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      };
    }
    const ecHash = this.keyType === 'ecdsa' ? ecdsaHash(key) : undefined;
    if (ecHash && ECDSA_SCHEMES.has(this.scheme))
      return { hash: ecHash, options: { key, dsaEncoding: 'der' } };
    return undefined;
  }

  /** A {@link Signer} for this key (requires the private key). */
  toSigner(): Signer {
    if (!this.hasPrivate) this.signSync(new Uint8Array()); // throws the explanatory KeyError
    const keyID = this.keyID;
    const signer: Signer = { keyID, sign: (data) => Promise.resolve(this.signSync(data)) };
    const hashed = this.keyType === 'ed25519' ? undefined : this.#hashedSigning();
    // The same OpenSSL operations as signSync, fed chunk by chunk (createSign hashes as it goes).
    if (hashed) {
      signer.signChunks = (produce) => {
        const s = createSign(hashed.hash);
        produce((chunk) => s.update(chunk));
        return Promise.resolve(new Uint8Array(s.sign(hashed.options)));
      };
    }
    return signer;
  }

  /** A copy known by another keyid formula. */
  withKeyIDFormat(format: KeyIDFormat): Key {
    return new Key({
      keyType: this.keyType,
      scheme: this.scheme,
      legacyPublic: this.publicValues.legacy,
      newPublic: this.publicValues.new,
      publicKey: this.#publicKey,
      privateKey: this.#privateKey,
      keyIDFormat: format,
    });
  }

  /**
   * The securesystemslib public key dict for a layout's `keys`. With a legacy id it carries
   * `keyid_hash_algorithms`, as in-toto 1.3.1 writes it; with a new id it does not.
   */
  toPublicDict(): PublicKeyDict {
    const legacy = this.keyID !== this.keyIDs.new;
    return {
      keyid: this.keyID,
      ...(legacy ? { keyid_hash_algorithms: [...KEYID_HASH_ALGORITHMS] } : {}),
      keytype: this.keyType,
      keyval: { public: legacy ? this.publicValues.legacy : this.publicValues.new },
      scheme: this.scheme,
    };
  }

  /**
   * A key from a layout's `keys` entry. Its `keyid` is used as given (verifiers never recompute ids
   * for lookup, REFERENCE gotcha 4); the recomputed ids are available in `keyIDs` so a verifier can
   * tell one key listed under two ids (SECURITY.md D-1).
   * @throws FormatError when the dict is not a usable public key.
   */
  static fromPublicDict(value: unknown, path = 'key'): Key {
    if (!isJSONObject(value)) throw new FormatError(`${path}: expected a key object`, { path });
    const { keytype, scheme, keyval, keyid } = value;
    if (typeof keytype !== 'string')
      throw new FormatError(`${path}.keytype: expected a string`, { path: `${path}.keytype` });
    if (typeof scheme !== 'string')
      throw new FormatError(`${path}.scheme: expected a string`, { path: `${path}.scheme` });
    if (!isJSONObject(keyval) || typeof keyval.public !== 'string') {
      throw new FormatError(`${path}.keyval.public: expected a string`, {
        path: `${path}.keyval.public`,
      });
    }
    if (keyid !== undefined && typeof keyid !== 'string')
      throw new FormatError(`${path}.keyid: expected a string`, { path: `${path}.keyid` });
    try {
      return keyFromDict(value, { source: path, publicOnly: true, givenKeyID: keyid });
    } catch (err) {
      if (err instanceof KeyError)
        throw new FormatError(`${path}: ${err.message}`, { path, cause: err });
      throw err;
    }
  }
}

function ecScheme(key: KeyObject, source: string): string {
  const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
  const scheme = CURVE_SCHEME[curve];
  if (!scheme)
    throw new KeyError(`${source}: unsupported elliptic curve ${curve || '(unknown)'}`, {
      hint: 'use P-256 or P-384',
    });
  return scheme;
}

/** A Key from node KeyObjects (PEM sources). `legacyPublic` defaults to the re-serialised SPKI without newline. */
function keyFromKeyObjects(
  pub: KeyObject,
  priv: KeyObject | undefined,
  source: string,
  opts: { legacyPublic?: string; keyIDFormat?: KeyIDFormat; scheme?: string }
): Key {
  const type = pub.asymmetricKeyType;
  const spki = spkiPEM(pub);
  if (type === 'rsa') {
    const bits = pub.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048)
      throw new KeyError(`${source}: RSA key of ${bits} bits is too short (minimum 2048)`);
    return new Key({
      keyType: 'rsa',
      scheme: opts.scheme ?? DEFAULT_SCHEMES.rsa,
      legacyPublic: opts.legacyPublic ?? spki.trimEnd(),
      newPublic: spki,
      publicKey: pub,
      privateKey: priv,
      keyIDFormat: opts.keyIDFormat,
    });
  }
  if (type === 'ec') {
    return new Key({
      keyType: 'ecdsa',
      scheme: opts.scheme ?? ecScheme(pub, source),
      legacyPublic: opts.legacyPublic ?? spki.trimEnd(),
      newPublic: spki,
      publicKey: pub,
      privateKey: priv,
      keyIDFormat: opts.keyIDFormat,
    });
  }
  if (type === 'ed25519') {
    const raw = pub.export({ type: 'spki', format: 'der' }).subarray(-32);
    const hex = toHex(raw);
    const seed = priv
      ? new Uint8Array(priv.export({ type: 'pkcs8', format: 'der' }).subarray(-32))
      : undefined;
    return new Key({
      keyType: 'ed25519',
      scheme: 'ed25519',
      legacyPublic: hex,
      newPublic: hex,
      publicKey: new Uint8Array(raw),
      privateKey: seed,
      keyIDFormat: opts.keyIDFormat,
    });
  }
  throw new KeyError(`${source}: unsupported key type ${type ?? 'unknown'}`, {
    hint: 'use an rsa, ed25519 or ecdsa (P-256/P-384) key',
  });
}

function describeCryptoError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
}

function keyFromPEM(text: string, source: string, opts: LoadKeyOptions): Key {
  const block = extractPEM(text);
  if (!block) throw new KeyError(`${source}: not a key: no PEM block`);
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(block)?.[1] ?? '';
  const fmt = opts.keyIDFormat;
  try {
    if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
      const pub = createPublicKey(block);
      // A public PEM file is hashed as-is (the reference does not re-serialise it).
      return keyFromKeyObjects(pub, undefined, source, {
        legacyPublic: label === 'PUBLIC KEY' ? block : undefined,
        keyIDFormat: fmt,
      });
    }
    if (label === 'CERTIFICATE') {
      const pub = new X509Certificate(block).publicKey;
      return keyFromKeyObjects(pub, undefined, source, { keyIDFormat: fmt });
    }
    if (/PRIVATE KEY$/.test(label)) {
      const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block);
      if (encrypted && opts.password === undefined) {
        throw new KeyError(`${source}: the key is encrypted and no password was given`, {
          hint: 'pass -P/--password (bare -P prompts)',
        });
      }
      let priv: KeyObject;
      try {
        priv = createPrivateKey(encrypted ? { key: block, passphrase: opts.password } : block);
      } catch (err) {
        // OpenSSL 3 without its legacy provider cannot read PBES1/DES-encrypted PKCS#8 (pbes1.ts).
        const der =
          label === 'ENCRYPTED PRIVATE KEY' &&
          (err as { code?: string }).code === 'ERR_OSSL_EVP_UNSUPPORTED'
            ? decryptPBES1(
                Buffer.from(block.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'),
                opts.password ?? '',
                source
              )
            : undefined;
        if (!der) throw err;
        try {
          priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
        } catch (inner) {
          throw new KeyError(`${source}: wrong password`, {
            hint: 'check the password given with -P/--password',
            cause: inner,
          });
        }
      }
      return keyFromKeyObjects(createPublicKey(priv), priv, source, { keyIDFormat: fmt });
    }
  } catch (err) {
    if (err instanceof KeyError) throw err;
    const msg = describeCryptoError(err);
    // A wrong password usually fails the cipher's padding check ("bad decrypt"), but about one time
    // in 256 the padding of the garbage happens to be valid and the DER decoder fails instead.
    const encryptedWithPassword =
      opts.password !== undefined &&
      (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block));
    if (
      /bad decrypt|BAD_DECRYPT|decrypt/i.test(msg) ||
      (encryptedWithPassword && /DECODER routines::unsupported/.test(msg))
    ) {
      throw new KeyError(`${source}: wrong password`, {
        hint: 'check the password given with -P/--password',
        cause: err,
      });
    }
    throw new KeyError(`${source}: cannot read the ${label} PEM block (${msg})`, { cause: err });
  }
  throw new KeyError(`${source}: unsupported PEM block "${label}"`, {
    hint: 'expected PUBLIC KEY, PRIVATE KEY, RSA/EC PRIVATE KEY or ENCRYPTED PRIVATE KEY',
  });
}

interface DictOptions {
  source: string;
  publicOnly?: boolean;
  givenKeyID?: string;
  keyIDFormat?: KeyIDFormat;
}

/** Refuses a scheme we cannot verify with, at load time rather than as a failed signature later. */
function checkScheme(keytype: KeyType, scheme: string, source: string): void {
  const known =
    keytype === 'ed25519'
      ? ['ed25519']
      : keytype === 'rsa'
        ? Object.keys(RSA_SCHEMES)
        : [...ECDSA_SCHEMES];
  if (!known.includes(scheme)) {
    throw new KeyError(
      `${source}: unsupported scheme ${JSON.stringify(scheme)} for an ${keytype} key`,
      {
        hint: `use one of ${known.join(', ')}`,
      }
    );
  }
}

/** A Key from a securesystemslib key dict (a JSON key file or a layout's `keys` entry). */
function keyFromDict(dict: JSONObject, opts: DictOptions): Key {
  const { source } = opts;
  const keytype = typeof dict.keytype === 'string' ? normaliseKeyType(dict.keytype) : undefined;
  if (!keytype)
    throw new KeyError(`${source}: unsupported keytype ${JSON.stringify(dict.keytype)}`);
  const scheme = typeof dict.scheme === 'string' ? dict.scheme : DEFAULT_SCHEMES[keytype];
  checkScheme(keytype, scheme, source);
  const keyval = isJSONObject(dict.keyval) ? dict.keyval : {};
  const pub = keyval.public;
  const priv = opts.publicOnly ? undefined : keyval.private;
  if (typeof pub !== 'string' || pub === '')
    throw new KeyError(`${source}: keyval.public is missing`);
  if (keytype === 'ed25519') {
    if (!/^[0-9a-fA-F]{64}$/.test(pub))
      throw new KeyError(`${source}: ed25519 keyval.public must be 64 hex characters`);
    const pubBytes = fromHex(pub);
    let seed: Uint8Array | undefined;
    if (typeof priv === 'string' && priv !== '') {
      if (!/^[0-9a-fA-F]{64}$/.test(priv))
        throw new KeyError(`${source}: ed25519 keyval.private must be 64 hex characters`);
      seed = fromHex(priv);
      if (toHex(ed25519PublicFromSeed(seed)) !== pub.toLowerCase()) {
        throw new KeyError(
          `${source}: the private and public halves of the ed25519 key do not match`
        );
      }
    }
    // Python's securesystemslib trusts the keyid of a private key file (REFERENCE §1.5).
    return new Key({
      keyType: 'ed25519',
      scheme,
      legacyPublic: pub,
      newPublic: pub,
      publicKey: pubBytes,
      privateKey: seed,
      givenKeyID: opts.givenKeyID,
      keyIDFormat: opts.keyIDFormat,
    });
  }
  let pubKey: KeyObject;
  try {
    pubKey = createPublicKey(pub);
  } catch (err) {
    throw new KeyError(
      `${source}: keyval.public is not a PEM public key (${describeCryptoError(err)})`,
      { cause: err }
    );
  }
  let privKey: KeyObject | undefined;
  if (typeof priv === 'string' && priv !== '') {
    try {
      privKey = createPrivateKey(priv);
    } catch (err) {
      throw new KeyError(
        `${source}: keyval.private is not a PEM private key (${describeCryptoError(err)})`,
        { cause: err }
      );
    }
  }
  const found = pubKey.asymmetricKeyType === 'ec' ? 'ecdsa' : pubKey.asymmetricKeyType;
  if (found !== keytype)
    throw new KeyError(`${source}: keytype says ${keytype} but the key material is ${found}`);
  if (keytype === 'ecdsa') ecScheme(pubKey, source); // refuses unsupported curves
  // The dict's public value is what its legacy keyid was computed over (ecdsa JSON keys keep "\n").
  const key = keyFromKeyObjects(pubKey, privKey, source, {
    legacyPublic: pub,
    keyIDFormat: opts.keyIDFormat,
    scheme,
  });
  return opts.givenKeyID
    ? new Key({
        keyType: key.keyType,
        scheme,
        legacyPublic: pub,
        newPublic: key.publicValues.new,
        publicKey: pubKey,
        privateKey: privKey,
        givenKeyID: opts.givenKeyID,
      })
    : key;
}

function keyFromJSONText(text: string, source: string, options: LoadKeyOptions): Key {
  let dict;
  try {
    dict = parseJSON(text, { source });
  } catch (err) {
    throw new KeyError(`${source}: not a key: ${(err as Error).message}`, { cause: err });
  }
  if (!isJSONObject(dict) || dict.keytype === undefined) {
    throw new KeyError(`${source}: not a key: a JSON file without "keytype" (is this metadata?)`);
  }
  const hasPrivate =
    isJSONObject(dict.keyval) &&
    typeof dict.keyval.private === 'string' &&
    dict.keyval.private !== '';
  return keyFromDict(dict, {
    source,
    keyIDFormat: options.keyIDFormat,
    // in-toto 1.3.1 trusts the keyid stored in a private key file (REFERENCE §1.5).
    givenKeyID:
      hasPrivate && typeof dict.keyid === 'string' && options.keyIDFormat !== 'new'
        ? dict.keyid
        : undefined,
  });
}

/**
 * True when the key content is password-protected (encrypted PKCS#8, an OpenSSL `Proc-Type:
 * 4,ENCRYPTED` PEM, or the securesystemslib encrypted string), so a caller prompts only when needed.
 */
export function isEncryptedKey(content: string | Uint8Array): boolean {
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  if (isSSLEncrypted(text)) return true;
  return (
    /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /Proc-Type:\s*4,ENCRYPTED/.test(text)
  );
}

/**
 * Parses a key from file content, detecting the format: PEM (PKCS#1, PKCS#8, SPKI, SEC1, encrypted,
 * X.509 certificate), securesystemslib JSON (ed25519/ecdsa/rsa, public or private), or the
 * securesystemslib encrypted string.
 * @throws KeyError
 */
export function parseKey(content: string | Uint8Array, options: LoadKeyOptions = {}): Key {
  const source = options.source ?? 'key';
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  let key: Key;
  if (text.trimStart().startsWith('{')) {
    key = keyFromJSONText(text, source, options);
  } else if (text.includes('-----BEGIN ')) {
    key = keyFromPEM(text, source, options);
  } else if (isSSLEncrypted(text)) {
    if (options.password === undefined) {
      throw new KeyError(`${source}: the key is encrypted and no password was given`, {
        hint: 'pass -P/--password (bare -P prompts)',
      });
    }
    key = parseKey(sslDecrypt(text, options.password, source), { ...options, password: undefined });
  } else {
    throw new KeyError(`${source}: not a key: neither PEM nor securesystemslib JSON`, {
      hint: 'pass a PEM key (PKCS#8/SPKI/PKCS#1) or a key written by intoto keygen / in-toto-keygen',
    });
  }
  if (options.keyType !== undefined && options.keyType !== key.keyType) {
    throw new KeyError(
      `${source}: -t/--key-type says ${options.keyType} but the file holds an ${key.keyType} key`,
      {
        hint: `drop -t (the type is detected) or pass -t ${key.keyType}`,
      }
    );
  }
  return key;
}

/** Reads and parses a key file. @throws InputError when unreadable, KeyError when not a usable key. */
export async function loadKey(path: string, options: LoadKeyOptions = {}): Promise<Key> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new InputError(
      `${path}: cannot read key file (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`,
      {
        cause: err,
        where: path,
        hint: 'check the path; intoto keygen NAME makes a key pair (NAME private, NAME.pub public)',
      }
    );
  }
  return parseKey(content, { ...options, source: options.source ?? path });
}

export { ed25519SeedToPKCS8, ed25519PublicToSPKI };
