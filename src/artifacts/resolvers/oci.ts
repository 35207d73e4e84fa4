/**
 * `oci:PATH`: an OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) or a
 * tar of one (`docker save` writes OCI layouts since Docker 25). The artifact is the manifest
 * digest; every blob the manifest reaches is re-hashed and must match its name, so a swapped layer
 * is an error even though the digest in index.json did not change (notation CVE-2023-33959 class:
 * never trust a descriptor without hashing what it names).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordError } from '../../errors.js';
import type { HashDict } from '../hash.js';

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
}

export interface OCIResult {
  /** The image manifest digest (of the first manifest in index.json). */
  manifest: HashDict;
  /** Every blob reached, by `sha256:<hex>`. */
  blobs: Record<string, HashDict>;
}

/** Reads a file set: a directory, or a tar archive (ustar/pax) read into memory entry by entry. */
interface Store {
  read(name: string): Buffer | undefined;
}

function dirStore(root: string): Store {
  return {
    read: (name) => (existsSync(join(root, name)) ? readFileSync(join(root, name)) : undefined),
  };
}

function tarStore(file: string): Store {
  const entries = new Map<string, Buffer>();
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(512);
    let pos = 0;
    let longName: string | undefined;
    for (;;) {
      if (readSync(fd, header, 0, 512, pos) < 512) break;
      if (header.every((b) => b === 0)) break;
      const field = (off: number, len: number) =>
        header
          .subarray(off, off + len)
          .toString('utf8')
          .replace(/\0.*$/s, '');
      const size = parseInt(field(124, 12).trim() || '0', 8);
      const type = String.fromCharCode(header[156]);
      const prefix = field(345, 155);
      let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      longName = undefined;
      const body = Buffer.alloc(size);
      readSync(fd, body, 0, size, pos + 512);
      pos += 512 + Math.ceil(size / 512) * 512;
      if (type === 'x') {
        const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
        if (m) longName = m[1];
        continue;
      }
      if (type === 'L') {
        longName = body.toString('utf8').replace(/\0.*$/s, '');
        continue;
      }
      name = name.replace(/^\.\//, '');
      if (type === '0' || type === '\0') entries.set(name, body);
    }
  } finally {
    closeSync(fd);
  }
  return { read: (name) => entries.get(name) };
}

function parseJSONFile(store: Store, name: string, where: string): Record<string, unknown> {
  const raw = store.read(name);
  if (!raw)
    throw new RecordError(`${where}: ${name} is missing: not an OCI image layout`, {
      hint: 'docker save (Docker ≥ 25) or skopeo copy … oci:DIR writes one',
    });
  try {
    return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RecordError(`${where}: ${name} is not JSON`);
  }
}

function blob(store: Store, d: Descriptor, where: string): Buffer {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(d.digest);
  if (!m) throw new RecordError(`${where}: unsupported digest ${JSON.stringify(d.digest)}`);
  const data = store.read(`blobs/${m[1]}/${m[2]}`);
  if (!data) throw new RecordError(`${where}: blob ${d.digest} is missing`);
  if (createHash(m[1]).update(data).digest('hex') !== m[2]) {
    throw new RecordError(
      `${where}: blob ${d.digest} does not match its digest: the image was altered`,
      { hint: 'do not use this image; rebuild or re-pull it' }
    );
  }
  if (d.size !== undefined && d.size !== data.length)
    throw new RecordError(
      `${where}: blob ${d.digest} has ${data.length} bytes, the descriptor says ${d.size}`
    );
  return data;
}

const hashDict = (digest: string): HashDict => {
  const [alg, hex] = digest.split(':') as [string, string];
  return { [alg]: hex };
};

export function resolveOCI(path: string, base: string): OCIResult {
  const full = join(base, path);
  const where = `oci:${path}`;
  if (!existsSync(full)) throw new RecordError(`${where}: no such directory or tar file`);
  const store = statSync(full).isDirectory() ? dirStore(full) : tarStore(full);
  const layoutFile = parseJSONFile(store, 'oci-layout', where);
  if (typeof layoutFile.imageLayoutVersion !== 'string')
    throw new RecordError(`${where}: oci-layout has no imageLayoutVersion`);
  const index = parseJSONFile(store, 'index.json', where);
  const manifests = (Array.isArray(index.manifests) ? index.manifests : []) as Descriptor[];
  if (manifests.length === 0) throw new RecordError(`${where}: index.json lists no manifests`);
  const blobs: Record<string, HashDict> = {};
  const visit = (d: Descriptor): void => {
    const data = blob(store, d, where);
    blobs[d.digest] = hashDict(d.digest);
    if (d.mediaType && /manifest|index/.test(d.mediaType)) {
      const doc = JSON.parse(data.toString('utf8')) as {
        config?: Descriptor;
        layers?: Descriptor[];
        manifests?: Descriptor[];
      };
      for (const child of [
        ...(doc.config ? [doc.config] : []),
        ...(doc.layers ?? []),
        ...(doc.manifests ?? []),
      ])
        visit(child);
    }
  };
  manifests.forEach(visit);
  return { manifest: hashDict(manifests[0].digest), blobs };
}
