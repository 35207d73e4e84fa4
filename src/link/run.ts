/**
 * Recording a step (REFERENCE.md §2 in-toto-run, in-toto-record, in-toto-mock): materials before,
 * the command, products after, then a signed link written atomically as `<name>.<keyid8>.link`.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { JSONObject } from '../encoding/index.js';
import {
  InputError,
  MaterialsMismatchError,
  RecordError,
  SignatureVerificationError,
} from '../errors.js';
import {
  artifactSources,
  recordArtifacts,
  schemeOf,
  type ArtifactMap,
  type RecordOptions,
  type RecordResult,
} from '../artifacts/index.js';
import type { Key, Signer } from '../crypto/index.js';
import {
  DSSEEnvelope,
  Link,
  Metablock,
  checkItemName,
  ensureDirectory,
  ensureWritableDirectory,
  parseMetadata,
  writeFileAtomic,
  type SignedMetadata,
} from '../metadata/index.js';
import { normalizeNewlines, runCommand } from './command.js';
import { scanSecrets } from './secrets.js';

export type ArtifactOptions = Omit<RecordOptions, 'onProgress'> & {
  onProgress?: RecordOptions['onProgress'];
  /**
   * Exclude only files named like our own link files ({@link OWN_LINK_EXCLUDE_PATTERNS}) instead of
   * the reference's defaults: what `verify --deny-excludes` accepts (SECURITY.md A-3).
   */
  excludeOnlyLinks?: boolean;
};

const HEX8 = '[0-9a-f]'.repeat(8);

/**
 * Exclude patterns (gitwildmatch) for our own metadata files and nothing else (SECURITY.md A-3):
 * signed links `<step>.<keyid8>.link` and `record start`'s `.<step>.<keyid8>.link-unfinished`, at
 * any depth — so links written into the recorded tree are not recorded by later steps. Unlike the
 * reference's `*.link*`, they do not match `postinstall.link.js`. These exact strings are the only
 * patterns `verify --deny-excludes` tolerates in a link's `environment.excludes`.
 */
export const OWN_LINK_EXCLUDE_PATTERNS: readonly string[] = Object.freeze([
  `*.${HEX8}.link`,
  `.*.${HEX8}.link-unfinished`,
]);

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
  /**
   * Links of upstream steps, already trusted by the caller (SECURITY.md A-4): before the command
   * runs, every material that one of them lists as a product must have the same hashes, or
   * runStep throws MaterialsMismatchError and neither runs the command nor writes a link.
   */
  upstream?: readonly UpstreamLink[];
  /** Recorded as `environment.run_id`, for `verify --require-run-id` (SECURITY.md A-8). */
  runId?: string;
  /**
   * Record the exclude patterns (and run id) in `environment` (default true). `intoto mock` turns it
   * off: its trial links stay byte-identical to in-toto-mock's.
   */
  recordEnvironment?: boolean;
}

/** An upstream step's link and where it came from (for messages). */
export interface UpstreamLink {
  link: Link;
  source: string;
}

/** A material whose hashes differ from an upstream step's product of the same name. */
export interface MaterialDifference {
  path: string;
  source: string;
  upstream: Record<string, string>;
  here: Record<string, string>;
}

/** The materials that differ from the products of the upstream links (empty: all agree). */
export function compareWithUpstream(
  materials: ArtifactMap,
  upstream: readonly UpstreamLink[]
): MaterialDifference[] {
  const out: MaterialDifference[] = [];
  for (const { link, source } of upstream) {
    for (const [path, hashes] of Object.entries(link.products)) {
      if (!Object.prototype.hasOwnProperty.call(materials, path)) continue;
      if (!sameHashes(hashes, materials[path]))
        out.push({ path, source, upstream: hashes, here: materials[path] });
    }
  }
  return out;
}

/**
 * What a link of ours records in `environment` (a free dict for the reference, which writes `{}` and
 * ignores it): the exclude patterns that applied, so a verifier can see what was left out
 * (SECURITY.md A-3, `verify --deny-excludes`), and the run id if one was given.
 */
function environmentOf(excludes: readonly string[], runId: string | undefined): JSONObject {
  return { excludes: [...excludes], ...(runId !== undefined ? { run_id: runId } : {}) };
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
  signer: Signer | undefined,
  useDSSE: boolean | undefined
): Promise<SignedMetadata> {
  // The artifacts as recorded (SortedDicts): written without being made objects and sorted again.
  const env: SignedMetadata = useDSSE
    ? DSSEEnvelope.fromPayload(link.toEncodable())
    : Metablock.forValue(link.toEncodable());
  if (signer) await env.sign(signer);
  return env;
}

function writeLink(dir: string | undefined, file: string, env: SignedMetadata): string {
  const target = dir ? join(dir, file) : file;
  if (dir) ensureDirectory(dir);
  // In chunks: a large link's file is never held whole.
  writeFileAtomic(target, (write) => env.writeFile(write));
  return target;
}

function recordOptions(o: ArtifactOptions): RecordOptions {
  return {
    basePath: o.basePath,
    excludePatterns: o.excludeOnlyLinks ? OWN_LINK_EXCLUDE_PATTERNS : o.excludePatterns,
    excludeNothing: o.excludeNothing,
    recordMode: o.recordMode,
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
  // Before the step runs: a key that cannot sign (a public key), or a link directory that cannot
  // be made, must not cost the step's work.
  const signer = options.key?.toSigner();
  if (!options.noWrite) ensureWritableDirectory(options.metadataDirectory || '.');
  const rec = recordOptions(options);
  options.onPhase?.('materials');
  const materials = await recordArtifacts(options.materials ?? [], rec);
  if (options.upstream?.length) {
    const diff = compareWithUpstream(materials.artifacts, options.upstream);
    if (diff.length) {
      const shown = diff.slice(0, 5).map((d) => `${d.path} (${d.source})`);
      throw new MaterialsMismatchError(
        `${diff.length} material(s) differ from the upstream products: ${shown.join(', ')}${diff.length > 5 ? ', …' : ''}; the command was not run`,
        diff,
        {
          // A `mode` on one side only is a difference of options, not of files (SECURITY.md A-5).
          hint: diff.some((d) => 'mode' in d.upstream !== 'mode' in d.here)
            ? 'the upstream step recorded file modes and this one not, or the reverse: pass --record-mode on both or neither'
            : 'the files were changed after the upstream step recorded them: find out by whom before building on them',
        }
      );
    }
  }
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
    materials: materials.sorted,
    products: products.sorted,
    byproducts,
    command: [...command],
    environment:
      options.recordEnvironment === false
        ? {}
        : environmentOf(
            [...new Set([...materials.excludePatterns, ...products.excludePatterns])],
            options.runId
          ),
  });
  const metadata = await envelopeFor(link, signer, options.useDSSE);
  const path = options.noWrite ? undefined : writeLink(options.metadataDirectory, file, metadata);
  return { link, metadata, path, returnValue, materials, products };
}

export interface RecordStartOptions extends ArtifactOptions {
  name: string;
  key: Key;
  materials?: readonly string[];
  useDSSE?: boolean;
  /** Recorded as `environment.run_id` (SECURITY.md A-8). */
  runId?: string;
}

/** `intoto record start`: materials now, in a hidden signed `.<name>.<keyid8>.link-unfinished`. */
export async function recordStart(
  options: RecordStartOptions
): Promise<{ path: string; materials: RecordResult }> {
  linkFileName(options.name, options.key);
  const signer = options.key.toSigner();
  const materials = await recordArtifacts(options.materials ?? [], recordOptions(options));
  const link = new Link({
    name: options.name,
    materials: materials.sorted,
    environment: environmentOf(materials.excludePatterns, options.runId),
  });
  const env = await envelopeFor(link, signer, options.useDSSE);
  const path = unfinishedFileName(options.name, options.key);
  writeFileAtomic(path, env.toFileBytes());
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
  const signer = options.key.toSigner();
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
  ensureWritableDirectory(options.metadataDirectory || '.');
  const products = await recordArtifacts(options.products ?? [], recordOptions(options));
  link.products = products.artifacts;
  // The patterns of start and of stop (they may differ): everything that was left out of either.
  const started = link.environment.excludes;
  link.environment = {
    ...link.environment,
    excludes: [
      ...new Set([
        ...(Array.isArray(started) ? started.filter((p) => typeof p === 'string') : []),
        ...products.excludePatterns,
      ]),
    ],
  };
  if (options.command?.length) link.command = [...options.command];
  if (options.byproductsFrom) {
    link.byproducts = {
      // Newlines as a recorded stream would have them (REFERENCE.md §4).
      stdout: normalizeNewlines(readFileSync(options.byproductsFrom, 'utf8')),
      stderr: '',
      'return-value': 0,
    };
  }
  const out = await envelopeFor(link, signer, options.useDSSE ?? env.kind === 'dsse');
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
  // Files (and `dir:` trees) are hashed with the algorithms the link's file and `dir:` products
  // have; other URI products (git:, oci:, tar: …) carry what their resolvers make, such as the
  // sha1 of a git commit, which is not a file hash to ask for.
  const keys = new Set(
    Object.entries(link.products)
      .filter(([name]) => [undefined, 'dir'].includes(schemeOf(name)))
      .flatMap(([, h]) => Object.keys(h))
  );
  // `mode` is not a hash: the link was recorded with --record-mode (SECURITY.md A-5), so are we.
  const recordMode = keys.delete('mode') || options.recordMode;
  const algorithms = [...keys].sort();
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
    recordMode,
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
