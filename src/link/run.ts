/**
 * Recording a step (REFERENCE.md §2 in-toto-run, in-toto-record, in-toto-mock): materials before,
 * the command, products after, then a signed link written atomically as `<name>.<keyid8>.link`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { JSONObject } from '../encoding/index.js';
import { InputError, RecordError, SignatureVerificationError } from '../errors.js';
import {
  artifactSources,
  recordArtifacts,
  schemeOf,
  type RecordOptions,
  type RecordResult,
} from '../artifacts/index.js';
import type { Key } from '../crypto/index.js';
import {
  DSSEEnvelope,
  Link,
  Metablock,
  checkItemName,
  parseMetadata,
  writeFileAtomic,
  type SignedMetadata,
} from '../metadata/index.js';
import { normalizeNewlines, runCommand } from './command.js';
import { scanSecrets } from './secrets.js';

export type ArtifactOptions = Omit<RecordOptions, 'onProgress'> & {
  onProgress?: RecordOptions['onProgress'];
};

export interface RunStepOptions extends ArtifactOptions {
  name: string;
  /** The functionary's private key; without one the link is written unsigned (as `in-toto-mock`). */
  key?: Key;
  materials?: readonly string[];
  products?: readonly string[];
  /** The command; empty = record only (`-x`): no byproducts at all, as the reference. */
  command?: readonly string[];
  recordStreams?: boolean;
  /**
   * Replace values of secret-looking environment variables (`*TOKEN*`, `*PASSWORD*`, …) in the
   * recorded streams by `[redacted $NAME]` (SECURITY.md H-7). Without it they are only reported
   * through `onWarning`, and the link stays identical to the reference's.
   */
  redactSecrets?: boolean;
  /** The command's environment (default: ours); also what secrets are looked for. */
  env?: NodeJS.ProcessEnv;
  useDSSE?: boolean;
  runTimeout?: number;
  /** Where to write the link (created if missing); default the current directory. */
  metadataDirectory?: string;
  /** Write nothing, just return the metadata. */
  noWrite?: boolean;
  /** Told when recording materials, running the command and recording products begin. */
  onPhase?: (phase: 'materials' | 'command' | 'products') => void;
  stdout?: Writable;
  stderr?: Writable;
}

export interface StepResult {
  link: Link;
  metadata: SignedMetadata;
  /** The file written, if any. */
  path?: string;
  /** The command's exit status (undefined without a command). */
  returnValue?: number;
  materials: RecordResult;
  products: RecordResult;
}

export function linkFileName(name: string, key?: Key): string {
  const problem = checkItemName(name);
  if (problem)
    throw new RecordError(`step name ${JSON.stringify(name)} ${problem}; it becomes a file name`);
  return key ? `${name}.${key.keyID.slice(0, 8)}.link` : `${name}.link`;
}

export function unfinishedFileName(name: string, key: Key): string {
  return `.${name}.${key.keyID.slice(0, 8)}.link-unfinished`;
}

async function envelopeFor(
  link: Link,
  key: Key | undefined,
  useDSSE: boolean | undefined
): Promise<SignedMetadata> {
  const env: SignedMetadata = useDSSE
    ? DSSEEnvelope.fromPayload(link.toJSON())
    : new Metablock(link.toJSON());
  if (key) await env.sign(key.toSigner());
  return env;
}

function writeLink(dir: string | undefined, file: string, env: SignedMetadata): string {
  const target = dir ? join(dir, file) : file;
  if (dir && !existsSync(dir)) mkdirSync(dir, { recursive: true });
  writeFileAtomic(target, env.toFileText());
  return target;
}

function recordOptions(o: ArtifactOptions): RecordOptions {
  return {
    basePath: o.basePath,
    excludePatterns: o.excludePatterns,
    lstripPaths: o.lstripPaths,
    followSymlinkDirs: o.followSymlinkDirs,
    normalizeLineEndings: o.normalizeLineEndings,
    hashAlgorithms: o.hashAlgorithms,
    allowOutsideSymlinks: o.allowOutsideSymlinks,
    onWarning: o.onWarning,
    onProgress: o.onProgress,
    concurrency: o.concurrency,
    ociBlobs: o.ociBlobs,
    gitTrackedOnly: o.gitTrackedOnly,
  };
}

/** `intoto run`: record, run, record, sign, write. @throws RecordError, CommandNotFoundError, … */
export async function runStep(options: RunStepOptions): Promise<StepResult> {
  const file = linkFileName(options.name, options.key);
  const rec = recordOptions(options);
  options.onPhase?.('materials');
  const materials = await recordArtifacts(options.materials ?? [], rec);
  let byproducts: JSONObject = {};
  let returnValue: number | undefined;
  const command = options.command ?? [];
  if (command.length > 0) {
    options.onPhase?.('command');
    const env = options.env ?? process.env;
    const r = await runCommand(command, {
      env,
      recordStreams: options.recordStreams,
      timeoutSeconds: options.runTimeout,
      stdout: options.stdout,
      stderr: options.stderr,
    });
    returnValue = r.returnValue;
    const scanned = scanSecrets(r, env, options.redactSecrets);
    for (const hit of scanned.hits) {
      options.onWarning?.(
        options.redactSecrets
          ? `redacted the value of $${hit.name} in the recorded ${hit.streams.join(' and ')}`
          : `the recorded ${hit.streams.join(' and ')} contains the value of $${hit.name}: the signed link will carry it (pass --redact-secrets, or drop -s)`
      );
    }
    byproducts = { stdout: scanned.stdout, stderr: scanned.stderr, 'return-value': r.returnValue };
  }
  options.onPhase?.('products');
  const products = await recordArtifacts(options.products ?? [], rec);
  const link = new Link({
    name: options.name,
    materials: materials.artifacts,
    products: products.artifacts,
    byproducts,
    command: [...command],
    environment: {},
  });
  const metadata = await envelopeFor(link, options.key, options.useDSSE);
  const path = options.noWrite ? undefined : writeLink(options.metadataDirectory, file, metadata);
  return { link, metadata, path, returnValue, materials, products };
}

export interface RecordStartOptions extends ArtifactOptions {
  name: string;
  key: Key;
  materials?: readonly string[];
  useDSSE?: boolean;
}

/** `intoto record start`: materials now, in a hidden signed `.<name>.<keyid8>.link-unfinished`. */
export async function recordStart(
  options: RecordStartOptions
): Promise<{ path: string; materials: RecordResult }> {
  linkFileName(options.name, options.key);
  const materials = await recordArtifacts(options.materials ?? [], recordOptions(options));
  const link = new Link({ name: options.name, materials: materials.artifacts });
  const env = await envelopeFor(link, options.key, options.useDSSE);
  const path = unfinishedFileName(options.name, options.key);
  writeFileAtomic(path, env.toFileText());
  return { path, materials };
}

export interface RecordStopOptions extends ArtifactOptions {
  name: string;
  key: Key;
  products?: readonly string[];
  metadataDirectory?: string;
  /** Annotate the command that ran between start and stop. */
  command?: readonly string[];
  /** A file whose content is recorded as the step's stdout. */
  byproductsFrom?: string;
  useDSSE?: boolean;
}

/** `intoto record stop`: checks the unfinished link's signature, adds products, signs, writes. */
export async function recordStop(
  options: RecordStopOptions
): Promise<{ path: string; link: Link; products: RecordResult }> {
  const unfinished = unfinishedFileName(options.name, options.key);
  let bytes: Buffer;
  try {
    bytes = readFileSync(unfinished);
  } catch {
    throw new InputError(`no unfinished link ${unfinished} in this directory`, {
      hint: `run "intoto record start -n ${options.name}" with the same key first, in this directory`,
    });
  }
  const env = parseMetadata(bytes, { source: unfinished });
  if (env.verifySignature(options.key) !== 'valid') {
    throw new SignatureVerificationError(
      `${unfinished} is not validly signed by key ${options.key.keyID.slice(0, 8)}: it was changed after "record start"`,
      {
        hint: 'start the step again with intoto record start',
      }
    );
  }
  const link = Link.fromJSON(env.payload, unfinished);
  const products = await recordArtifacts(options.products ?? [], recordOptions(options));
  link.products = products.artifacts;
  if (options.command?.length) link.command = [...options.command];
  if (options.byproductsFrom) {
    link.byproducts = {
      // Newlines as a recorded stream would have them (REFERENCE.md §4).
      stdout: normalizeNewlines(readFileSync(options.byproductsFrom, 'utf8')),
      stderr: '',
      'return-value': 0,
    };
  }
  const out = await envelopeFor(link, options.key, options.useDSSE ?? env.kind === 'dsse');
  const path = writeLink(options.metadataDirectory, linkFileName(options.name, options.key), out);
  rmSync(unfinished, { force: true });
  return { path, link, products };
}

/**
 * Hashes an ITE-4 artifact name such as `dir:build` or `oci:…` from what is here now; undefined
 * when it does not exist. `algorithms` are the ones the link used for it.
 */
export type ArtifactResolver = (
  name: string,
  algorithms: readonly string[]
) => Promise<Record<string, string> | undefined>;

export interface MatchProductsOptions extends ArtifactOptions {
  paths?: readonly string[];
  /**
   * Resolvers by URI scheme (without the colon) for product names like `dir:x`, `git:…`, `oci:…`
   * (ITE-4), for schemes the recorder does not know or to replace its resolver; `dir:`, `file:`,
   * `git:`, `git-tree:` and `oci:` (blobs included) are resolved by the recorder itself.
   */
  resolvers?: Readonly<Record<string, ArtifactResolver>>;
}

export interface MatchProductsResult {
  onlyInLink: string[];
  onlyOnDisk: string[];
  differ: { path: string; link: Record<string, string>; disk: Record<string, string> }[];
}

function sameHashes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * `intoto match-products`: are the files here the products of that link? (SECURITY.md A-4: check
 * inputs before building on them.) Disk files are hashed with the link's algorithms.
 */
export async function matchProducts(
  link: Link,
  options: MatchProductsOptions = {}
): Promise<MatchProductsResult> {
  const algorithms = [
    ...new Set(Object.values(link.products).flatMap((h) => Object.keys(h))),
  ].sort();
  // By default the link's URI products (oci:, dir:, git: …; ITE-4) are resolved again too, and `.`
  // is walked (as the reference) unless every product is such a name: then the files here are not
  // what the link speaks of, and listing them all as "only on disk" would be noise.
  const sources = artifactSources(Object.keys(link.products));
  const names = Object.keys(link.products);
  const plain =
    names.length === 0 || sources.uris.length === 0 || names.some((n) => schemeOf(n) === undefined);
  const paths = options.paths?.length ? options.paths : [...(plain ? ['.'] : []), ...sources.uris];
  const rec: RecordOptions = {
    ...recordOptions(options),
    ociBlobs: options.ociBlobs ?? sources.ociBlobs,
    hashAlgorithms: algorithms.length ? algorithms : ['sha256'],
  };
  const disk = await recordArtifacts(
    paths.filter((p) => schemeOf(p) === undefined),
    rec
  );
  // One URI at a time: a resource that is gone (or no longer resolves) is a product missing here,
  // an exit-1 difference, not a reason to give up on the whole comparison.
  for (const uri of paths.filter((p) => schemeOf(p) !== undefined)) {
    try {
      Object.assign(disk.artifacts, (await recordArtifacts([uri], rec)).artifacts);
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      options.onWarning?.(err.message);
    }
  }
  const result: MatchProductsResult = { onlyInLink: [], onlyOnDisk: [], differ: [] };
  for (const [path, hashes] of Object.entries(link.products)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(path)?.[1];
    const resolver = scheme === undefined ? undefined : options.resolvers?.[scheme];
    const d = resolver ? await resolver(path, Object.keys(hashes).sort()) : disk.artifacts[path];
    if (!d) result.onlyInLink.push(path);
    else if (!sameHashes(hashes, d)) result.differ.push({ path, link: hashes, disk: d });
  }
  for (const path of Object.keys(disk.artifacts))
    if (!(path in link.products)) result.onlyOnDisk.push(path);
  result.onlyInLink.sort();
  result.onlyOnDisk.sort();
  return result;
}
