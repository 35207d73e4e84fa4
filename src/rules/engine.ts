/**
 * The artifact-rule engine, pure (REFERENCE.md §6; the reference's `verify_item_rules`): the queue
 * starts as the item's materials or products, each rule consumes some of it, DISALLOW fails on what
 * it matches, REQUIRE fails when its path is no longer queued. Nothing is implicit at the end (the
 * spec's implicit `ALLOW *`).
 *
 * Linear: each rule is one pass over the queue with a precompiled matcher (literal patterns are a
 * single lookup), and the trace keeps counts, not copies of the queue.
 */
import { onlySHA256 } from '../encoding/index.js';
import { compilePattern, isLiteralPattern } from './fnmatch.js';
import { packRule } from './parse.js';
import type { ArtifactRule, ArtifactSource, HashDict } from './types.js';

export interface ItemArtifacts {
  materials: ArtifactSource;
  products: ArtifactSource;
}

export interface ApplyRulesInput {
  kind: 'materials' | 'products';
  rules: readonly ArtifactRule[];
  materials: ArtifactSource;
  products: ArtifactSource;
  /** Links (or inspection results) by step name, for MATCH ... FROM. */
  links: ReadonlyMap<string, ItemArtifacts>;
}

export interface RuleTrace {
  rule: string[];
  index: number;
  /** Queue entries the pattern selected. */
  selected: number;
  consumed: number;
  queueAfter: number;
  /** Up to three of the paths the rule consumed (absent when it consumed none). */
  sample?: string[];
}

/** Why an earlier MATCH selected an artifact but did not consume it. */
export interface MatchMiss {
  rule: string[];
  step: string;
  destinationType: 'materials' | 'products';
  destinationPath: string;
  reason: 'no-link' | 'missing' | 'hash-mismatch';
  here?: HashDict;
  there?: HashDict;
}

export interface RuleFailure {
  rule: string[];
  index: number;
  reason: 'disallow' | 'require';
  /** Sorted artifact paths the failing rule hit (for REQUIRE: the required path). */
  artifacts: string[];
  /** For artifacts an earlier MATCH selected but could not consume: why. */
  explanations: Record<string, MatchMiss>;
}

export type RuleResult =
  | { ok: true; trace: RuleTrace[]; remaining: string[] }
  | { ok: false; trace: RuleTrace[]; remaining: string[]; failure: RuleFailure };

/**
 * Python `dict ==` on hash dicts: same algorithms, same values (REFERENCE.md §10 gotcha 12). A dict
 * with an extra or a missing algorithm is unequal, so `{sha256, md5}` never matches `{md5}` on the
 * weaker hash alone (SECURITY.md B, GHSA-pgpm).
 */
export function equalHashDicts(a: HashDict | undefined, b: HashDict | undefined): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  // One sha256 on each side (almost every link): no loops.
  const sa = onlySHA256(a);
  if (sa !== undefined) {
    const sb = onlySHA256(b);
    if (sb !== undefined) return sa === sb;
  }
  // for…in without Object.keys: no arrays per comparison (this runs once per MATCHed artifact).
  let n = 0;
  for (const k in a) {
    if (!hasOwn(a, k)) continue;
    if (!hasOwn(b, k) || a[k] !== b[k]) return false;
    n++;
  }
  for (const k in b) if (hasOwn(b, k)) n--;
  return n === 0;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** The hash dict of `key` in an artifact map, object or Map (own keys only). */
export const artifactAt = (map: ArtifactSource, key: string): HashDict | undefined =>
  map instanceof Map
    ? (map as ReadonlyMap<string, HashDict>).get(key)
    : hasOwn(map, key)
      ? (map as Record<string, HashDict>)[key]
      : undefined;

/** The paths of an artifact map, object or Map. */
export function artifactPaths(
  map: Record<string, unknown> | ReadonlyMap<string, unknown>
): Iterable<string> {
  return map instanceof Map ? (map as ReadonlyMap<string, unknown>).keys() : Object.keys(map);
}

/** How many artifacts a map holds, object or Map. */
export function artifactCount(map: ArtifactSource): number {
  return map instanceof Map ? map.size : Object.keys(map).length;
}

/** `os.path.join(a, b)` as the reference uses it for prefixes, then `\` → `/`. */
function pyJoin(a: string, b: string): string {
  const joined = b.startsWith('/') ? b : a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;
  return joined.replace(/\\/g, '/');
}

/**
 * The rule queue: the source's paths minus those consumed. Built over the source's own keys instead of
 * a copy (a 100k-entry Set per rule list was a tenth of a large verification); only what rules
 * consume is stored, and a rule that takes everything just marks the queue empty.
 */
class Queue implements Iterable<string> {
  readonly #base: ReadonlySet<string> | ReadonlyMap<string, HashDict>;
  readonly #source: ArtifactSource;
  readonly #gone = new Set<string>();
  #cleared = false;

  constructor(source: ArtifactSource) {
    this.#source = source;
    this.#base =
      source instanceof Map
        ? (source as ReadonlyMap<string, HashDict>)
        : new Set(Object.keys(source));
  }

  /** Each queued path with its hash dict, in order (the callback must not change the queue). */
  forEach(visit: (path: string, hashes: HashDict) => void): void {
    if (this.#cleared) return;
    const gone = this.#gone;
    const base = this.#base;
    if (base instanceof Map) {
      // Map.forEach: no [key, value] array per entry, and no second lookup for the value.
      (base as ReadonlyMap<string, HashDict>).forEach((v, k) => {
        if (gone.size === 0 || !gone.has(k)) visit(k, v);
      });
      return;
    }
    const record = this.#source as Record<string, HashDict>;
    for (const k of base as ReadonlySet<string>)
      if (gone.size === 0 || !gone.has(k)) visit(k, record[k]);
  }

  get size(): number {
    return this.#cleared ? 0 : this.#base.size - this.#gone.size;
  }

  has(p: string): boolean {
    return !this.#cleared && this.#base.has(p) && !this.#gone.has(p);
  }

  delete(p: string): boolean {
    if (!this.has(p)) return false;
    this.#gone.add(p);
    return true;
  }

  clear(): void {
    this.#cleared = true;
  }

  *[Symbol.iterator](): Iterator<string> {
    if (this.#cleared) return;
    const gone = this.#gone;
    if (gone.size === 0) yield* this.#base.keys();
    else for (const p of this.#base.keys()) if (!gone.has(p)) yield p;
  }
}

/**
 * Calls `visit` for each queue entry the pattern selects (no prefix) and returns how many.
 */
function eachSelected(
  queue: Queue,
  pattern: string,
  visit: (path: string, hashes?: HashDict) => void
): number {
  if (isLiteralPattern(pattern)) {
    if (!queue.has(pattern)) return 0;
    visit(pattern);
    return 1;
  }
  const match = compilePattern(pattern);
  let n = 0;
  queue.forEach((p, h) => {
    if (match(p)) {
      n++;
      visit(p, h);
    }
  });
  return n;
}

const SAMPLE = 3;

/** Applies an item's rules for its materials or products. Pure; never throws on any input. */
export function applyRules(input: ApplyRulesInput): RuleResult {
  const source = input[input.kind];
  const queue = new Queue(source);
  const trace: RuleTrace[] = [];
  // Path → the last MATCH that selected it without consuming it (explains a later DISALLOW).
  const misses = new Map<string, MatchMiss>();
  const remaining = (): string[] => [...queue];

  for (const [index, rule] of input.rules.entries()) {
    const packed = packRule(rule);
    let selected = 0;
    let consumed = 0;
    let sample: string[] | undefined;
    // What the rule consumes is removed after its pass, as the reference subtracts its consumed set
    // afterwards: the pass sees the queue as it was, and a rule that takes everything (the usual
    // `MATCH *`) empties the Set at once instead of deleting entry by entry.
    const taken: string[] = [];
    // False when a taken path may not be a distinct queue entry (prefixed MATCH on odd paths).
    let distinct = true;
    const consume = (p: string): void => {
      taken.push(p);
    };
    const settle = (): void => {
      if (distinct && taken.length === queue.size && taken.length > 0) {
        consumed = taken.length;
        queue.clear();
      } else for (const p of taken) if (queue.delete(p)) consumed++;
      if (consumed > 0) sample = taken.slice(0, SAMPLE);
    };
    const entry = (): RuleTrace => ({
      rule: packed,
      index,
      selected,
      consumed,
      queueAfter: queue.size,
      ...(sample ? { sample } : {}),
    });
    switch (rule.type) {
      case 'match': {
        const dest = input.links.get(rule.destinationStep);
        const there = dest?.[rule.destinationType];
        const miss = (
          path: string,
          destinationPath: string,
          reason: MatchMiss['reason'],
          here?: HashDict,
          other?: HashDict
        ): void => {
          misses.set(path, {
            rule: packed,
            step: rule.destinationStep,
            destinationType: rule.destinationType,
            destinationPath,
            reason,
            ...(here ? { here } : {}),
            ...(other ? { there: other } : {}),
          });
        };
        // One selected artifact: `rel` is its path below the source prefix (REFERENCE.md §6).
        // `known`: the hash dict of `sourcePath` when the caller has it already.
        const pair = (path: string, rel: string, sourcePath: string, known?: HashDict): void => {
          const destinationPath = rule.destinationPrefix
            ? joinPrefix(destPrefix, rule.destinationPrefix, rel)
            : rel;
          if (!there) return miss(path, destinationPath, 'no-link');
          const here = known ?? artifactAt(source, sourcePath);
          const other = artifactAt(there, destinationPath);
          if (!other) miss(path, destinationPath, 'missing', here);
          else if (!equalHashDicts(here, other))
            miss(path, destinationPath, 'hash-mismatch', here, other);
          else {
            if (sourcePath !== path) distinct = false;
            consume(sourcePath);
          }
        };
        const destPrefix = rule.destinationPrefix ? pyJoin(rule.destinationPrefix, '') : '';
        if (!rule.sourcePrefix) {
          selected = eachSelected(queue, rule.pattern, (p, h) => pair(p, p, p, h));
          break;
        }
        // With a source prefix the consumed path is join(prefix, rel), which differs from the queue
        // entry only for non-canonical paths (`lib//x` → `/x`, a backslash).
        const sp = pyJoin(rule.sourcePrefix, '');
        const visit = (p: string, h?: HashDict): void => {
          const rel = p.slice(sp.length);
          // p is sp + rel already: reuse it (its hash is cached) unless the join would differ.
          if (rel.startsWith('/') || rel.includes('\\'))
            pair(p, rel, pyJoin(rule.sourcePrefix, rel));
          else pair(p, rel, p, h);
        };
        if (isLiteralPattern(rule.pattern)) {
          // Literal: the only candidate is prefix + pattern.
          if (queue.has(sp + rule.pattern)) {
            selected = 1;
            visit(sp + rule.pattern);
          }
        } else {
          const match = compilePattern(rule.pattern);
          queue.forEach((p, h) => {
            if (p.startsWith(sp) && match(p.slice(sp.length))) {
              selected++;
              visit(p, h);
            }
          });
        }
        break;
      }
      case 'create':
      case 'delete':
      case 'modify':
      case 'allow': {
        const { materials, products } = input;
        const type = rule.type;
        selected = eachSelected(queue, rule.pattern, (p) => {
          if (type === 'allow') return consume(p);
          const m = artifactAt(materials, p);
          const pr = artifactAt(products, p);
          if (
            (type === 'create' && pr !== undefined && m === undefined) ||
            (type === 'delete' && m !== undefined && pr === undefined) ||
            (type === 'modify' && m !== undefined && pr !== undefined && !equalHashDicts(m, pr))
          )
            consume(p);
        });
        break;
      }
      case 'disallow': {
        const hits: string[] = [];
        selected = eachSelected(queue, rule.pattern, (p) => hits.push(p));
        if (hits.length > 0) {
          const artifacts = hits.sort();
          const explanations: Record<string, MatchMiss> = {};
          for (const a of artifacts) {
            const m = misses.get(a);
            if (m) explanations[a] = m;
          }
          trace.push(entry());
          return {
            ok: false,
            trace,
            remaining: remaining(),
            failure: { rule: packed, index, reason: 'disallow', artifacts, explanations },
          };
        }
        break;
      }
      case 'require': {
        // REQUIRE names one path, never a pattern, and looks only at what is still queued.
        selected = queue.has(rule.pattern) ? 1 : 0;
        if (!selected) {
          const explanations: Record<string, MatchMiss> = {};
          trace.push(entry());
          return {
            ok: false,
            trace,
            remaining: remaining(),
            failure: {
              rule: packed,
              index,
              reason: 'require',
              artifacts: [rule.pattern],
              explanations,
            },
          };
        }
        break;
      }
    }
    settle();
    trace.push(entry());
  }
  return { ok: true, trace, remaining: remaining() };
}

/**
 * `join(prefix, rel)` with `\` → `/`, given `joined = pyJoin(prefix, '')`: for the canonical case
 * (rel neither absolute nor holding a backslash) that is plain concatenation, without a regex.
 */
function joinPrefix(joined: string, prefix: string, rel: string): string {
  return rel.startsWith('/') || rel.includes('\\') ? pyJoin(prefix, rel) : joined + rel;
}
