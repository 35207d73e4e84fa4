// The release inspection: re-reads the OCI image layout, re-hashes every blob, prints the digest.
// Exits non-zero when the image is not intact (a swapped layer, a missing blob).
import { resolveOCI } from '../../dist/index.js';

try {
  const r = resolveOCI(process.argv[2] ?? 'image', process.cwd());
  console.log(
    `image intact: manifest sha256:${r.manifest.sha256}, ${Object.keys(r.blobs).length} blobs verified`
  );
} catch (err) {
  console.error(`image check failed: ${err.message}`);
  process.exit(1);
}
