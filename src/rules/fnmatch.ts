/**
 * Rule patterns with Python's `fnmatch.fnmatchcase` semantics (Python 3.11 `fnmatch.translate`,
 * REFERENCE.md §6): whole-string match; `*` matches anything including `/` and leading dots; `?` one
 * character including `/`; `[seq]`; `[!seq]` negates while `[^seq]` does NOT (`^` is literal,
 * SECURITY.md A-2); `]` first in a set is literal; an unclosed `[` is literal; backslash is an
 * ordinary character; reversed ranges match nothing; case-sensitive on every OS.
 *
 * Matching runs on code points with the classic single-star backtracking algorithm: O(n·m) at worst,
 * never exponential, whatever the pattern (a regex with many `.*` can take exponential time).
 */

type Token =
  | { t: 'star' }
  | { t: 'any' }
  | { t: 'lit'; cp: number }
  | { t: 'set'; test: (cp: number) => boolean };

interface SetSpec {
  negate: boolean;
  singles: Set<number>;
  ranges: [number, number][];
}

/** Python 3.11's handling of the text between `[` and `]` (chunks split on `-`, empty ranges dropped). */
function buildSet(cps: number[], i: number, j: number): Token {
  // cps[i..j) is the set body; i may point at '!'.
  const body = cps.slice(i, j);
  const DASH = 45;
  let chunks: number[][];
  if (!body.includes(DASH)) {
    chunks = [body];
  } else {
    chunks = [];
    let start = 0;
    let k = body[0] === 33 /* ! */ ? 2 : 1;
    for (;;) {
      let found = -1;
      for (let x = k; x < body.length; x++)
        if (body[x] === DASH) {
          found = x;
          break;
        }
      if (found < 0) break;
      chunks.push(body.slice(start, found));
      start = found + 1;
      k = found + 3;
    }
    const last = body.slice(start);
    if (last.length) chunks.push(last);
    else chunks[chunks.length - 1].push(DASH);
    for (let k2 = chunks.length - 1; k2 > 0; k2--) {
      const prev = chunks[k2 - 1];
      const cur = chunks[k2];
      if (prev[prev.length - 1] > cur[0]) {
        chunks[k2 - 1] = [...prev.slice(0, -1), ...cur.slice(1)];
        chunks.splice(k2, 1);
      }
    }
  }
  // The joined "stuff": chunks joined by range dashes.
  const flat = chunks.flat();
  if (flat.length === 0 && chunks.length <= 1) return { t: 'set', test: () => false };
  const spec: SetSpec = { negate: false, singles: new Set(), ranges: [] };
  // Negation is decided on the first character of the joined text, as Python does.
  const first = chunks[0]?.[0];
  let skipFirst = false;
  if (first === 33 /* ! */) {
    if (chunks.length === 1 && chunks[0].length === 1) return { t: 'set', test: () => true };
    spec.negate = true;
    skipFirst = true;
  }
  chunks.forEach((chunk, c) => {
    chunk.forEach((cp, x) => {
      if (c === 0 && x === 0 && skipFirst) return;
      const isRangeEnd = x === chunk.length - 1 && c < chunks.length - 1;
      const isRangeStart = x === 0 && c > 0;
      if (!isRangeEnd && !isRangeStart) spec.singles.add(cp);
    });
    if (c > 0) {
      const prev = chunks[c - 1];
      const lo = prev[prev.length - 1];
      const hi = chunk[0];
      // A range whose low end is the negating '!' still starts at '!' in Python's regex.
      if (lo !== undefined && hi !== undefined) spec.ranges.push([lo, hi]);
    }
  });
  const { negate, singles, ranges } = spec;
  return {
    t: 'set',
    test: (cp) => {
      let hit = singles.has(cp);
      for (let r = 0; !hit && r < ranges.length; r++)
        hit = cp >= ranges[r][0] && cp <= ranges[r][1];
      return hit !== negate;
    },
  };
}

function tokenize(pattern: string): Token[] {
  const cps = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  const n = cps.length;
  const out: Token[] = [];
  let i = 0;
  while (i < n) {
    const c = cps[i++];
    if (c === 42 /* * */) {
      if (out[out.length - 1]?.t !== 'star') out.push({ t: 'star' });
    } else if (c === 63 /* ? */) {
      out.push({ t: 'any' });
    } else if (c === 91 /* [ */) {
      let j = i;
      if (j < n && cps[j] === 33) j++;
      if (j < n && cps[j] === 93) j++;
      while (j < n && cps[j] !== 93) j++;
      if (j >= n) out.push({ t: 'lit', cp: 91 });
      else {
        out.push(buildSet(cps, i, j));
        i = j + 1;
      }
    } else {
      out.push({ t: 'lit', cp: c });
    }
  }
  return out;
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

function matchTokens(tokens: Token[], name: string): boolean {
  const s = HAS_SURROGATE.test(name) ? Array.from(name, (ch) => ch.codePointAt(0)!) : undefined;
  const n = s ? s.length : name.length;
  const at = s ? (k: number) => s[k] : (k: number) => name.charCodeAt(k);
  const m = tokens.length;
  let p = 0;
  let k = 0;
  let starP = -1;
  let starK = 0;
  while (k < n) {
    const tok = tokens[p];
    if (
      tok &&
      tok.t !== 'star' &&
      (tok.t === 'any' || (tok.t === 'lit' ? tok.cp === at(k) : tok.test(at(k))))
    ) {
      p++;
      k++;
    } else if (tok?.t === 'star') {
      starP = p++;
      starK = k;
    } else if (starP >= 0) {
      p = starP + 1;
      k = ++starK;
    } else return false;
  }
  while (p < m && tokens[p].t === 'star') p++;
  return p === m;
}

export type Matcher = (name: string) => boolean;

const cache = new Map<string, Matcher>();
const CACHE_LIMIT = 4096;

/** Compiles a pattern once into a matcher (cached). */
export function compilePattern(pattern: string): Matcher {
  let m = cache.get(pattern);
  if (m) return m;
  if (!/[*?[]/.test(pattern)) {
    m = (name) => name === pattern;
  } else if (pattern === '*' || /^\*+$/.test(pattern)) {
    m = () => true;
  } else if (/^\*+[^*?[]+$/.test(pattern)) {
    const suffix = pattern.replace(/^\*+/, '');
    m = (name) => name.endsWith(suffix);
  } else if (/^[^*?[]+\*+$/.test(pattern)) {
    const prefix = pattern.replace(/\*+$/, '');
    m = (name) => name.startsWith(prefix);
  } else {
    const tokens = tokenize(pattern);
    m = (name) => matchTokens(tokens, name);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, m);
  return m;
}

/** Python's `fnmatch.fnmatchcase(name, pattern)`. */
export function fnmatch(name: string, pattern: string): boolean {
  return compilePattern(pattern)(name);
}

/** True when the pattern has no wildcard: it names exactly one path (fast lookup). */
export function isLiteralPattern(pattern: string): boolean {
  return !/[*?[]/.test(pattern);
}
