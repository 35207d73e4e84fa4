/** Path helpers that reproduce Python's `posixpath` exactly (the reference's recorded keys). */

/** `os.path.normpath` on POSIX: `./a`→`a`, `a/../b`→`b`, `sub/`→`sub`, leading `..` kept, `//x` kept. */
export function normpath(path: string): string {
  if (path === '') return '.';
  const initialSlashes = path.startsWith('/')
    ? path.startsWith('//') && !path.startsWith('///')
      ? 2
      : 1
    : 0;
  const out: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (
      comp !== '..' ||
      (initialSlashes === 0 && out.length === 0) ||
      (out.length > 0 && out[out.length - 1] === '..')
    ) {
      out.push(comp);
    } else if (out.length > 0) {
      out.pop();
    }
  }
  const joined = out.join('/');
  const result = '/'.repeat(initialSlashes) + joined;
  return result === '' ? '.' : result;
}

/** `os.path.join(a, b)` for the two-argument case used when walking. */
export function joinPath(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  if (a === '' || a.endsWith('/')) return a + b;
  return `${a}/${b}`;
}

/** `os.path.basename`. */
export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}
