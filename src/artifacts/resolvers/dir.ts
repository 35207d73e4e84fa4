/**
 * `dir:PATH` (ITE-4, REFERENCE.md §3): one artifact for a whole directory — sha256 over the lines
 * `<sha256>  <relpath>\n` of every regular file below PATH (symlinks not followed, hidden files
 * included), sorted bytewise: what `find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum |
 * sha256sum` prints inside PATH.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RecordError } from '../../errors.js';
import { hashFiles, type HashDict } from '../hash.js';

export async function resolveDir(path: string, base: string): Promise<HashDict> {
  const root = join(base, path);
  const files: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (err) {
      throw new RecordError(
        `dir:${path}: cannot list ${rel || path} (${(err as { code?: string }).code ?? String(err)})`
      );
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk('');
  // LC_ALL=C sort: bytewise over UTF-8.
  files.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const digests = await hashFiles(files.map((f) => join(root, f)));
  const h = createHash('sha256');
  files.forEach((f, i) => h.update(`${digests[i].sha256}  ${f}\n`, 'utf8'));
  return { sha256: h.digest('hex') };
}
