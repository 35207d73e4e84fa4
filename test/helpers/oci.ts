/**
 * Real container images for tests, written from scratch: ustar archives, OCI image layouts
 * (oci-layout, index.json, manifest, config, gzipped layers) and legacy `docker save` tars — formats
 * skopeo reads, so the tests can check our digests against it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface TarInput {
  name: string;
  content?: Buffer | string;
  /** '0' file (default), '2' symlink, '5' directory. */
  type?: '0' | '2' | '5';
  linkName?: string;
}

function header(e: TarInput, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = Buffer.from(e.name, 'utf8');
  if (name.length > 100) throw new Error(`tar helper: name too long: ${e.name}`);
  name.copy(h, 0);
  const num = (v: number, at: number, len: number) =>
    h.write(`${v.toString(8).padStart(len - 1, '0')}\0`, at, len, 'ascii');
  num(e.type === '5' ? 0o755 : 0o644, 100, 8);
  num(0, 108, 8);
  num(0, 116, 8);
  num(size, 124, 12);
  num(0, 136, 12);
  h.write(e.type ?? '0', 156, 1, 'ascii');
  if (e.linkName) h.write(e.linkName, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 8, 'binary');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** An uncompressed ustar archive (deterministic: mtime 0, uid/gid 0). */
export function tarFile(entries: TarInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = Buffer.from(e.content ?? '');
    const size = e.type === '2' || e.type === '5' ? 0 : content.length;
    parts.push(header(e, size));
    if (size) {
      parts.push(content);
      parts.push(Buffer.alloc((512 - (size % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface WrittenImage {
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  manifest: Blob;
}

function putBlob(dir: string, bytes: Buffer, mediaType: string): Blob {
  const hex = sha256(bytes);
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs/sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/**
 * Adds one image (gzipped layers of the given files) to the OCI layout in `dir` and rewrites
 * index.json with all images added so far (pass `reset` to start over).
 */
export function writeOCIImage(
  dir: string,
  layers: Record<string, string>[],
  options: { ref?: string; reset?: boolean } = {}
): WrittenImage {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const layerBlobs: Blob[] = [];
  const diffIDs: string[] = [];
  for (const files of layers) {
    const tar = tarFile(Object.entries(files).map(([name, content]) => ({ name, content })));
    diffIDs.push(`sha256:${sha256(tar)}`);
    layerBlobs.push(
      putBlob(dir, gzipSync(tar, { level: 9 }), 'application/vnd.oci.image.layer.v1.tar+gzip')
    );
  }
  const config = putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/app'] },
        rootfs: { type: 'layers', diff_ids: diffIDs },
      })
    ),
    'application/vnd.oci.image.config.v1+json'
  );
  const manifest = putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: layerBlobs,
      })
    ),
    'application/vnd.oci.image.manifest.v1+json'
  );
  const indexPath = join(dir, 'index.json');
  const previous =
    options.reset || !existsSync(indexPath)
      ? []
      : (JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: unknown[] }).manifests;
  const entry = options.ref
    ? { ...manifest, annotations: { 'org.opencontainers.image.ref.name': options.ref } }
    : manifest;
  writeFileSync(
    indexPath,
    JSON.stringify({ schemaVersion: 2, manifests: [...previous, entry] }, null, 2)
  );
  return {
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layerDigests: layerBlobs.map((l) => l.digest),
    manifest,
  };
}

/** A legacy `docker save` archive (manifest.json, <id>.json config, <dir>/layer.tar). */
export function dockerSaveTar(
  layers: Record<string, string>[],
  tag = 'demo/app:1.0'
): { tar: Buffer; imageID: string } {
  const layerTars = layers.map((files) =>
    tarFile(Object.entries(files).map(([name, content]) => ({ name, content })))
  );
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/app'] },
      rootfs: { type: 'layers', diff_ids: layerTars.map((t) => `sha256:${sha256(t)}`) },
    })
  );
  const imageID = sha256(config);
  const entries: TarInput[] = [];
  const layerPaths: string[] = [];
  layerTars.forEach((t) => {
    const d = sha256(t);
    entries.push({ name: `${d}/`, type: '5' });
    entries.push({ name: `${d}/layer.tar`, content: t });
    entries.push({ name: `${d}/VERSION`, content: '1.0' });
    layerPaths.push(`${d}/layer.tar`);
  });
  entries.push({ name: `${imageID}.json`, content: config });
  entries.push({
    name: 'manifest.json',
    content: JSON.stringify([{ Config: `${imageID}.json`, RepoTags: [tag], Layers: layerPaths }]),
  });
  entries.push({
    name: 'repositories',
    content: JSON.stringify({
      [tag.split(':')[0]]: {
        [tag.split(':')[1]]: layerPaths.length ? sha256(layerTars[layerTars.length - 1]) : '',
      },
    }),
  });
  return { tar: tarFile(entries), imageID };
}

/** True when skopeo is installed; in CI it must be (.ci/run installs it). */
export function requireSkopeo(): boolean {
  if (existsSync('/usr/bin/skopeo')) return true;
  if (process.env.CI)
    throw new Error('skopeo is missing: .ci/run must install the Debian package skopeo');
  return false;
}

/** `skopeo inspect [--raw] <transport:path>` parsed. */
export function skopeoInspect(ref: string, raw = false): Record<string, unknown> {
  const r = spawnSync('/usr/bin/skopeo', ['inspect', ...(raw ? ['--raw'] : []), ref], {
    encoding: 'utf8',
    env: { ...process.env, HOME: process.env.HOME ?? '/tmp' },
  });
  if (r.status !== 0) throw new Error(`skopeo inspect ${ref} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
