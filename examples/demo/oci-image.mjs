// Writes a real, minimal OCI image layout (oci-layout, index.json, manifest, config and one
// tar+gzip layer) from a few files — deterministic, no network, no Docker. Any OCI tool reads it,
// e.g. `skopeo inspect oci:DIR`. Used by the demo and by the tests.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A ustar archive of `{path: content}` (regular files, mode 0644, mtime 0). */
export function tar(files) {
  const blocks = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const h = Buffer.alloc(512);
    const put = (s, off, len) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
    put(name, 0, 100);
    put('0000644\0', 100, 8);
    put('0000000\0', 108, 8);
    put('0000000\0', 116, 8);
    put(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12);
    put('00000000000\0', 136, 12);
    put('        ', 148, 8);
    put('0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Writes the image layout to `dir`; returns the manifest digest (`sha256:…`). */
export function writeImage(dir, files, { cmd = ['node', '/app/app.js'] } = {}) {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (buf) => {
    const hex = sha(buf);
    writeFileSync(join(blobs, hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const layerTar = tar(files);
  const layer = put(gzipSync(layerTar, { level: 9 }));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: cmd },
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layerTar)}`] },
      })
    )
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      })
    )
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    })
  );
  return { manifest: manifest.digest, layer: layer.digest, config: config.digest };
}

// As a script: node oci-image.mjs OUTDIR FILE... (files are read and put under app/ in the layer)
if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const [out, ...inputs] = process.argv.slice(2);
  const files = Object.fromEntries(inputs.map((f) => [`app/${basename(f)}`, readFileSync(f)]));
  const r = writeImage(out, files);
  console.log(`wrote OCI image ${out}: manifest ${r.manifest}`);
}
