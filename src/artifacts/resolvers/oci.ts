/**
 * `oci:PATH[:REF]` (ITE-4 URI): a container image as one artifact, its manifest digest
 * (`{"sha256": <hex>}` — what `skopeo inspect oci:PATH` prints as Digest). PATH is an OCI image
 * layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) or a tar of one (`docker save`
 * since Docker 25, `buildx --output type=oci`), or an older `docker save` tar (`manifest.json`), whose
 * artifact is the image ID (the config digest, which commits to every layer through `diff_ids`).
 *
 * Every blob reachable from the selected manifest is re-hashed while it is read and must hash to its
 * name and have its descriptor's size (SECURITY.md C, notation CVE-2023-33959: never trust a descriptor
 * without hashing the bytes it points to). A layer blob swapped under its original name is therefore
 * an error, and a consistently re-built image has a different manifest digest. `subject` (referrers)
 * links are registry metadata and are not followed.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { isJSONObject, parseJSON, type JSONObject, type JSONValue } from '../../encoding/index.js';
import { RecordError } from '../../errors.js';
import type { HashDict } from '../hash.js';
import { TarArchive } from './tar.js';

/** JSON documents of an image (index, manifests, configs) larger than this are refused. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Blobs reachable from one image (nested indexes included). */
const MAX_BLOBS = 10_000;
const MAX_INDEX_DEPTH = 4;

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export interface OCIResult {
  /** The artifact: the manifest (or index) digest, or the image ID of a legacy `docker save` tar. */
  manifest: HashDict;
  /** Every blob checked, by `sha256:<hex>`. */
  blobs: Record<string, HashDict>;
}

/** Files of an image layout, from a directory or a tar archive. */
interface Store {
  exists(name: string): boolean;
  /** A whole (small) file; undefined when absent. */
  read(name: string, maxBytes: number): Buffer | undefined;
  /** Streams a file through `update`; returns its size, or undefined when absent. */
  stream(name: string, update: (chunk: Buffer) => void): number | undefined;
  close(): void;
}

class DirStore implements Store {
  private readonly real: string;
  constructor(private readonly root: string) {
    this.real = realpathSync(root);
  }
  private open(name: string): number | undefined {
    let real: string;
    try {
      real = realpathSync(posix.join(this.root, name));
    } catch {
      return undefined;
    }
    // Names come from the image's own JSON (docker save's manifest.json): nothing outside the root.
    if (!real.startsWith(`${this.real}/`))
      throw new RecordError(`${posix.join(this.root, name)}: outside the image directory`);
    let fd: number;
    try {
      fd = openSync(real, 'r');
    } catch {
      return undefined;
    }
    // A FIFO or device named like a blob would never end: only regular files are read.
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new RecordError(`${posix.join(this.root, name)}: not a regular file`);
    }
    return fd;
  }
  exists(name: string): boolean {
    return statSync(posix.join(this.root, name), { throwIfNoEntry: false }) !== undefined;
  }
  read(name: string, maxBytes: number): Buffer | undefined {
    const chunks: Buffer[] = [];
    let total = 0;
    const size = this.stream(name, (c) => {
      total += c.length;
      if (total > maxBytes)
        throw new RecordError(`${posix.join(this.root, name)}: larger than ${maxBytes} bytes`);
      chunks.push(Buffer.from(c));
    });
    return size === undefined ? undefined : Buffer.concat(chunks);
  }
  stream(name: string, update: (chunk: Buffer) => void): number | undefined {
    const fd = this.open(name);
    if (fd === undefined) return undefined;
    try {
      const buf = Buffer.alloc(1 << 20);
      let total = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) return total;
        total += n;
        update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  close(): void {}
}

class TarStore implements Store {
  constructor(private readonly tar: TarArchive) {}
  exists(name: string): boolean {
    return this.tar.file(name) !== undefined;
  }
  read(name: string, maxBytes: number): Buffer | undefined {
    const e = this.tar.file(name);
    if (!e) return undefined;
    if (e.size > maxBytes)
      throw new RecordError(`${this.tar.path}: ${name} is larger than ${maxBytes} bytes`);
    return this.tar.read(e);
  }
  stream(name: string, update: (chunk: Buffer) => void): number | undefined {
    const e = this.tar.file(name);
    if (!e) return undefined;
    this.tar.stream(e, update);
    return e.size;
  }
  close(): void {
    this.tar.close();
  }
}

interface Walk {
  store: Store;
  what: string;
  blobs: Record<string, HashDict>;
}

function fail(w: Walk, message: string, hint?: string): never {
  throw new RecordError(`${w.what}: ${message}`, { where: w.what, hint });
}

function parseDoc(w: Walk, bytes: Buffer, name: string): JSONObject {
  let doc: JSONValue;
  try {
    doc = parseJSON(bytes, { source: name });
  } catch (err) {
    fail(w, `${name} is not valid JSON (${(err as Error).message})`);
  }
  if (!isJSONObject(doc)) fail(w, `${name} is not a JSON object`);
  return doc;
}

const short = (digest: string) => `${digest.slice(0, 19)}…`;

/**
 * Checks one blob against its descriptor: present, of the descriptor's size, hashing to its name.
 * Returns the content when `keep` (JSON documents), else streams it.
 */
function checkBlob(
  w: Walk,
  descriptor: JSONValue,
  where: string,
  keep: boolean
): Buffer | undefined {
  if (!isJSONObject(descriptor)) fail(w, `${where} is not a descriptor object`);
  const { digest, size } = descriptor;
  if (typeof digest !== 'string' || !DIGEST.test(digest))
    fail(w, `${where} has an unsupported digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    fail(w, `${where} has no valid size`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const name = `blobs/${algorithm}/${hex}`;
  if (keep && size > MAX_JSON_BYTES)
    fail(w, `${where}: ${digest} is larger than ${MAX_JSON_BYTES} bytes`);
  const h = createHash(algorithm);
  const chunks: Buffer[] = [];
  const got = w.store.stream(name, (c) => {
    h.update(c);
    if (keep) chunks.push(Buffer.from(c));
  });
  if (got === undefined)
    fail(w, `blob ${short(digest)} (${where}) is missing`, 'the image layout is incomplete');
  const actual = h.digest('hex');
  if (actual !== hex)
    fail(
      w,
      `blob ${short(digest)} (${where}) does not match its digest: the image was altered (its content hashes to ${algorithm}:${actual.slice(0, 12)}…)`,
      'the image was modified after it was written; rebuild it or fetch it again'
    );
  if (got !== size)
    fail(w, `blob ${short(digest)} (${where}) has ${got} bytes, its descriptor says ${size}`);
  if (Object.keys(w.blobs).length >= MAX_BLOBS) fail(w, `more than ${MAX_BLOBS} blobs`);
  w.blobs[digest] = { [algorithm]: hex };
  return keep ? Buffer.concat(chunks) : undefined;
}

/** An index or a manifest, its referenced blobs checked recursively. */
function checkManifest(w: Walk, descriptor: JSONObject, where: string, depth: number): void {
  if (depth > MAX_INDEX_DEPTH) fail(w, `indexes nested deeper than ${MAX_INDEX_DEPTH}`);
  const bytes = checkBlob(w, descriptor, where, true)!;
  const doc = parseDoc(w, bytes, descriptor.digest as string);
  const type = typeof descriptor.mediaType === 'string' ? descriptor.mediaType : doc.mediaType;
  const isIndex =
    typeof type === 'string' ? INDEX_TYPES.has(type) : Array.isArray(doc.manifests) && !doc.layers;
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) fail(w, `${where} is an index without manifests`);
    doc.manifests.forEach((m, i) => {
      if (!isJSONObject(m)) fail(w, `${where}.manifests[${i}] is not a descriptor object`);
      checkManifest(w, m, `${where}.manifests[${i}]`, depth + 1);
    });
    return;
  }
  if (typeof type === 'string' && !MANIFEST_TYPES.has(type) && !Array.isArray(doc.layers))
    fail(w, `${where} has media type ${type}, not an image manifest or index`);
  checkBlob(w, doc.config, `${where} config`, false);
  if (!Array.isArray(doc.layers)) fail(w, `${where} has no layers list`);
  doc.layers.forEach((l, i) => checkBlob(w, l, `${where} layer ${i}`, false));
}

function refNames(m: JSONValue): string[] {
  if (!isJSONObject(m) || !isJSONObject(m.annotations)) return [];
  const a = m.annotations;
  return ['org.opencontainers.image.ref.name', 'io.containerd.image.name']
    .map((k) => a[k])
    .filter((v): v is string => typeof v === 'string');
}

/** OCI image layout: index.json → the one manifest (or the one named `ref`). */
function fromLayout(w: Walk, ref: string | undefined): HashDict {
  const layoutFile = w.store.read('oci-layout', MAX_JSON_BYTES);
  const layoutDoc = layoutFile && parseDoc(w, layoutFile, 'oci-layout');
  if (!layoutDoc || typeof layoutDoc.imageLayoutVersion !== 'string')
    fail(w, 'oci-layout has no imageLayoutVersion');
  const index = parseDoc(w, w.store.read('index.json', MAX_JSON_BYTES)!, 'index.json');
  if (!Array.isArray(index.manifests)) fail(w, 'index.json has no manifests list');
  let candidates = index.manifests.map((m, i) => ({ m, i }));
  if (ref !== undefined) candidates = candidates.filter(({ m }) => refNames(m).includes(ref));
  if (candidates.length !== 1) {
    const refs = index.manifests.flatMap(refNames);
    fail(
      w,
      ref !== undefined
        ? `no image named ${JSON.stringify(ref)} in index.json${candidates.length > 1 ? ' (several are)' : ''}`
        : `index.json lists ${index.manifests.length} images, not one`,
      refs.length ? `name one: ${refs.map((r) => `oci:PATH:${r}`).join(', ')}` : undefined
    );
  }
  const { m, i } = candidates[0];
  if (!isJSONObject(m)) fail(w, `index.json manifests[${i}] is not a descriptor object`);
  checkManifest(w, m, `index.json manifests[${i}]`, 0);
  const [algorithm, hex] = (m.digest as string).split(':') as [string, string];
  return { [algorithm]: hex };
}

/** Older `docker save`: manifest.json → config (the image ID) and layer tars checked against diff_ids. */
function fromDockerSave(w: Walk, ref: string | undefined): HashDict {
  const list = parseJSON(w.store.read('manifest.json', MAX_JSON_BYTES)!, {
    source: 'manifest.json',
  });
  if (!Array.isArray(list)) fail(w, 'manifest.json is not a list');
  const images = list.filter(
    (e) =>
      ref === undefined ||
      (isJSONObject(e) && Array.isArray(e.RepoTags) && e.RepoTags.includes(ref))
  );
  if (images.length !== 1)
    fail(
      w,
      ref !== undefined
        ? `no image tagged ${JSON.stringify(ref)} in manifest.json`
        : `manifest.json lists ${list.length} images, not one`,
      'name one as oci:PATH:REPO:TAG'
    );
  const image = images[0];
  if (!isJSONObject(image) || typeof image.Config !== 'string' || !Array.isArray(image.Layers))
    fail(w, 'manifest.json entry has no Config and Layers');
  const configName = posix.normalize(image.Config);
  const configBytes = w.store.read(configName, MAX_JSON_BYTES);
  if (!configBytes) fail(w, `config ${configName} is missing`);
  const id = createHash('sha256').update(configBytes).digest('hex');
  // The config file is named after its digest (<hex>.json, or blobs/sha256/<hex>).
  const named = /([0-9a-f]{64})(\.json)?$/.exec(configName)?.[1];
  if (named && named !== id)
    fail(
      w,
      `config ${configName} does not match its name: its content hashes to sha256:${id.slice(0, 12)}…`
    );
  w.blobs[`sha256:${id}`] = { sha256: id };
  const config = parseDoc(w, configBytes, configName);
  const diffIDs = isJSONObject(config.rootfs) ? config.rootfs.diff_ids : undefined;
  if (!Array.isArray(diffIDs) || diffIDs.length !== image.Layers.length)
    fail(
      w,
      `config ${configName}: rootfs.diff_ids does not list the ${image.Layers.length} layers`
    );
  image.Layers.forEach((layer, i) => {
    if (typeof layer !== 'string') fail(w, `manifest.json layer ${i} is not a path`);
    const h = createHash('sha256');
    if (w.store.stream(posix.normalize(layer), (c) => h.update(c)) === undefined)
      fail(w, `layer ${layer} is missing`);
    const actual = h.digest('hex');
    if (`sha256:${actual}` !== diffIDs[i])
      fail(
        w,
        `layer ${layer} does not match the config's diff_ids[${i}]: its content hashes to sha256:${actual.slice(0, 12)}…`,
        'the image was modified after it was saved'
      );
    w.blobs[`sha256:${actual}`] = { sha256: actual };
  });
  return { sha256: id };
}

/**
 * Reads and checks the image at `spec` (`PATH`, or `PATH:REF` to pick one of several images by its
 * `org.opencontainers.image.ref.name` or docker tag), relative to `base`.
 * @throws RecordError when it is not an image or any blob fails its check.
 */
export function resolveOCI(spec: string, base: string): OCIResult {
  const what = `oci:${spec}`;
  let path = spec;
  let ref: string | undefined;
  // PATH:REF as skopeo's oci: transport, unless the whole spec names something that exists.
  if (!statSync(resolve(base, spec), { throwIfNoEntry: false }) && spec.lastIndexOf(':') > 0) {
    path = spec.slice(0, spec.lastIndexOf(':'));
    ref = spec.slice(spec.lastIndexOf(':') + 1);
  }
  const abs = resolve(base, path);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st)
    throw new RecordError(`${what}: no such directory or tar file (${abs})`, {
      where: what,
      hint: 'oci: takes an OCI image layout directory or a docker save / OCI archive tar',
    });
  let store: Store;
  if (st.isDirectory()) store = new DirStore(abs);
  else if (st.isFile()) store = new TarStore(new TarArchive(abs));
  else throw new RecordError(`${what}: ${abs} is not a directory or a file`, { where: what });
  const w: Walk = { store, what, blobs: {} };
  try {
    let manifest: HashDict;
    if (store.exists('index.json')) manifest = fromLayout(w, ref);
    else if (store.exists('manifest.json')) manifest = fromDockerSave(w, ref);
    else
      fail(
        w,
        `${abs} is not an OCI image layout (no index.json) nor a docker save archive (no manifest.json)`,
        'docker save, buildx --output type=oci or skopeo copy … oci:DIR write one'
      );
    return { manifest, blobs: w.blobs };
  } finally {
    store.close();
  }
}
