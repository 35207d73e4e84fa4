// The least any verifier written for Node must do with a link directory: start Node, read every
// link and hash (SHA-512, OpenSSL) what its signature covers — here the whole file, before any
// parsing, rules or signature maths. bench/verify.mjs times it next to intoto and the reference:
// when this floor is slower than a target, no Node implementation can meet that target on the machine.
// Usage: node bench/verify-floor.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
for (const f of readdirSync(dir))
  if (f.endsWith('.link'))
    createHash('sha512')
      .update(readFileSync(join(dir, f)))
      .digest();
