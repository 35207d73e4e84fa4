/**
 * Exclude patterns with the semantics of pathspec 0.11's `gitwildmatch` as python in-toto 1.3.1 uses
 * it (REFERENCE.md §3): a pattern without `/` matches a basename at any depth and everything below a
 * matched directory; a leading `/` anchors; a trailing `/` matches only what is below; `*` and `?` do
 * not cross `/`; `**` spans directories; `!` negates (the last matching pattern wins); `#` starts a
 * comment; `\` escapes. Why not the `ignore` package: it follows git, whose directory handling and
 * negation differ from pathspec's regex translation, and the reference is what must be matched.
 *
 * Translation to JS RegExp keeps Python's `re` semantics: `.` becomes `[^\n]` (Python's dot without
 * DOTALL), `$` becomes `(?=\n?$)` (Python's `$` also matches before a final newline), and the `u`
 * flag makes `?` match one code point as Python does.
 */
import { UsageError } from '../errors.js';

interface Compiled {
  regex: RegExp;
  include: boolean;
}

const DOT = '[^\\n]';
const END = '(?=\\n?$)';

function escapeChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** A glob segment to regex (pathspec `_translate_segment_glob`). */
function translateSegment(seg: string, original: string): string {
  let regex = '';
  let escape = false;
  let i = 0;
  const chars = Array.from(seg);
  const end = chars.length;
  while (i < end) {
    const ch = chars[i++];
    if (escape) {
      escape = false;
      regex += escapeChar(ch);
    } else if (ch === '\\') {
      escape = true;
    } else if (ch === '*') {
      regex += '[^/]*';
    } else if (ch === '?') {
      regex += '[^/]';
    } else if (ch === '[') {
      let j = i;
      if (j < end && chars[j] === '!') j++;
      if (j < end && chars[j] === ']') j++;
      while (j < end && chars[j] !== ']') j++;
      if (j < end) {
        j++;
        let expr = '[';
        if (chars[i] === '!') {
          expr += '^';
          i++;
        } else if (chars[i] === '^') {
          expr += '\\^';
          i++;
        }
        // Python's class syntax: a `]` first is literal; a backslash is doubled (literal).
        const body = chars.slice(i, j - 1);
        expr += body
          .map((c, k) =>
            c === '\\' ? '\\\\' : c === ']' && k === 0 ? '\\]' : c === '[' ? '\\[' : c
          )
          .join('');
        regex += `${expr}]`;
        i = j;
      } else {
        regex += '\\[';
      }
    } else {
      regex += escapeChar(ch);
    }
  }
  if (escape)
    throw new UsageError(
      `invalid exclude pattern ${JSON.stringify(original)}: it ends with an escape character`
    );
  return regex;
}

/** Compiles one pattern line; undefined for comments and blank lines. */
export function compileGitWildMatch(line: string): Compiled | undefined {
  const original = line;
  let pattern = line.trim();
  if (pattern === '' || pattern.startsWith('#') || pattern === '/') return undefined;
  let include = true;
  if (pattern.startsWith('!')) {
    include = false;
    pattern = pattern.slice(1);
  }
  let segs = pattern.split('/');
  for (let i = segs.length - 1; i > 0; i--)
    if (segs[i - 1] === '**' && segs[i] === '**') segs.splice(i, 1);
  let override: string | undefined;
  if (segs.length === 2 && segs[0] === '**' && segs[1] === '') override = `^${DOT}+/${DOT}*${END}`;
  if (segs[0] === '') segs = segs.slice(1);
  else if (segs.length === 1 || (segs.length === 2 && segs[1] === '')) {
    if (segs[0] !== '**') segs = ['**', ...segs];
  }
  if (segs.length === 0)
    throw new UsageError(`invalid exclude pattern ${JSON.stringify(original)}`);
  if (segs[segs.length - 1] === '' && segs.length > 1) segs[segs.length - 1] = '**';
  let source: string;
  if (override !== undefined) {
    source = override;
  } else {
    const out = ['^'];
    let needSlash = false;
    const last = segs.length - 1;
    segs.forEach((seg, i) => {
      if (seg === '**') {
        if (i === 0 && i === last) out.push(`[^/]+(?:/${DOT}*)?`);
        else if (i === 0) {
          out.push(`(?:${DOT}+/)?`);
          needSlash = false;
        } else if (i === last) out.push(`/${DOT}*`);
        else {
          out.push(`(?:/${DOT}+)?`);
          needSlash = true;
        }
      } else if (seg === '*') {
        if (needSlash) out.push('/');
        out.push('[^/]+');
        if (i === last) out.push(`(?:/${DOT}*)?`);
        needSlash = true;
      } else {
        if (needSlash) out.push('/');
        out.push(translateSegment(seg, original));
        if (i === last) out.push(`(?:/${DOT}*)?`);
        needSlash = true;
      }
    });
    out.push(END);
    source = out.join('');
  }
  try {
    return { regex: new RegExp(source, 'u'), include };
  } catch (err) {
    throw new UsageError(
      `invalid exclude pattern ${JSON.stringify(original)}: ${(err as Error).message}`
    );
  }
}

/** pathspec's `normalize_file` for matching: strip one leading `/` or `./`. */
function normalizeForMatch(path: string): string {
  if (path.startsWith('/')) return path.slice(1);
  if (path.startsWith('./')) return path.slice(2);
  return path;
}

/**
 * When every pattern is a plain name glob — no `/`, no `!`, no `[`, not `**` (the defaults `*.link*`,
 * `.git`, `*.pyc`, `*~` are) — one regex for the name alone: such a pattern matches a path exactly
 * when it matches one of its components, so for an entry of a directory that was not excluded
 * itself, only the entry's own name is left to test. Undefined otherwise.
 */
function nameRegex(lines: readonly string[]): RegExp | undefined {
  const alternatives: string[] = [];
  for (const line of lines) {
    const pattern = line.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    // `[!a]` and ranges like `[+-0]` match `/` in the reference's translation: a pattern with a
    // class can match across components, so it goes the long way too.
    if (/^!|[/[]/.test(pattern) || pattern === '**') return undefined;
    alternatives.push(pattern === '*' ? '[^/]+' : translateSegment(pattern, line));
  }
  return alternatives.length ? new RegExp(`^(?:${alternatives.join('|')})$`, 'u') : undefined;
}

/** A compiled list of exclude patterns; `matches(path)` is true when the last matching pattern includes. */
export class ExcludeFilter {
  readonly #patterns: Compiled[];
  readonly #names: RegExp | undefined;
  constructor(readonly lines: readonly string[]) {
    this.#patterns = lines.map(compileGitWildMatch).filter((p): p is Compiled => p !== undefined);
    this.#names = nameRegex(lines);
  }

  /**
   * `matches(path)` for `path`, the entry `name` of a directory being walked that was not excluded
   * itself (nor any directory above it): with plain name globs only the name is tested, ~4× less
   * work a file. A path with a newline goes the long way: the reference's `.` does not match one,
   * so a component after it is not tested there either.
   */
  matchesEntry(path: string, name: string): boolean {
    return this.#names && !path.includes('\n') ? this.#names.test(name) : this.matches(path);
  }

  get empty(): boolean {
    return this.#patterns.length === 0;
  }
  matches(path: string): boolean {
    const file = normalizeForMatch(path);
    let matched = false;
    for (const p of this.#patterns) if (p.regex.test(file)) matched = p.include;
    return matched;
  }
}
