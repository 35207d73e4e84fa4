// The least any verifier written for Node must do with a link directory: start Node, read every
// link and hash (SHA-512, OpenSSL) what its signature covers — here the whole file, before any
// parsing, rules or signature maths. bench/verify.mjs times it next to intoto and the reference:
// when this floor is slower than a target, no Node implementation can meet that target on the machine.
//
// With --canonical, the second floor: a Metablock's signature covers the canonical JSON of its
// `signed` value, not the file's bytes (which the reference writes indented), so those bytes must be
// written before the hash. This uses intoto's canonicalizing scanner (one pass over the bytes, no
// objects built) — the fastest canonicalizer we have in JavaScript; no rules, no artifacts read.
// Usage: node bench/verify-floor.mjs DIR [--canonical]
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
const canonical = process.argv.includes('--canonical');
const scan = canonical
  ? (await import('../dist/encoding/sorted-json.js')).scanSortedJSON
  : undefined;
for (const f of readdirSync(dir)) {
  if (!f.endsWith('.link')) continue;
  const bytes = readFileSync(join(dir, f));
  const s = scan?.(bytes, 64, 'signed');
  if (scan && !s?.span) throw new Error(`${f}: not sorted-keys JSON`);
  createHash('sha512')
    .update(s?.span ? s.canonical.subarray(s.span[0], s.span[1]) : bytes)
    .digest();
}
