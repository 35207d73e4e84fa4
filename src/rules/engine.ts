/**
 * The artifact-rule engine, pure (REFERENCE.md §6; the reference's `verify_item_rules`): the queue
 * starts as the item's materials or products, each rule consumes some of it, DISALLOW fails on what
 * it matches, REQUIRE fails when its path is no longer queued. Nothing is implicit at the end (the
 * spec's implicit `ALLOW *`).
 *
 * Linear: each rule is one pass over the queue with a precompiled matcher (literal patterns are a
 * single lookup), and the trace keeps counts, not copies of the queue.
 */
import { compilePattern, isLiteralPattern } from './fnmatch.js';
import { packRule } from './parse.js';
import type { ArtifactMap, ArtifactRule, HashDict } from './types.js';

export interface ItemArtifacts {
  materials: ArtifactMap;
  products: ArtifactMap;
}

export interface ApplyRulesInput {
  kind: 'materials' | 'products';
  rules: readonly ArtifactRule[];
  materials: ArtifactMap;
  products: ArtifactMap;
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

export function equalHashDicts(a: HashDict | undefined, b: HashDict | undefined): boolean {
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

const own = (map: ArtifactMap, key: string): HashDict | undefined =>
  Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;

/** `os.path.join(a, b)` as the reference uses it for prefixes, then `\` → `/`. */
function pyJoin(a: string, b: string): string {
  const joined = b.startsWith('/') ? b : a === '' || a.endsWith('/') ? a + b : `${a}/${b}`;
  return joined.replace(/\\/g, '/');
}

/** Queue entries the pattern selects, as [queue path, path relative to the source prefix]. */
function select(queue: Set<string>, pattern: string, sourcePrefix = ''): [string, string][] {
  const out: [string, string][] = [];
  if (sourcePrefix) {
    const sp = pyJoin(sourcePrefix, '');
    const match = compilePattern(pattern);
    for (const p of queue)
      if (p.startsWith(sp) && match(p.slice(sp.length))) out.push([p, p.slice(sp.length)]);
    return out;
  }
  if (isLiteralPattern(pattern)) return queue.has(pattern) ? [[pattern, pattern]] : [];
  const match = compilePattern(pattern);
  for (const p of queue) if (match(p)) out.push([p, p]);
  return out;
}

/** Applies an item's rules for its materials or products. Pure; never throws on any input. */
export function applyRules(input: ApplyRulesInput): RuleResult {
  const source = input[input.kind];
  const queue = new Set(Object.keys(source));
  const trace: RuleTrace[] = [];
  const misses = new Map<string, MatchMiss>();
  const remaining = (): string[] => [...queue];

  for (const [index, rule] of input.rules.entries()) {
    const packed = packRule(rule);
    let selected = 0;
    let consumed = 0;
    const consume = (p: string): void => {
      if (queue.delete(p)) consumed++;
    };
    switch (rule.type) {
      case 'match': {
        const hits = select(queue, rule.pattern, rule.sourcePrefix);
        selected = hits.length;
        const dest = input.links.get(rule.destinationStep);
        for (const [path, rel] of hits) {
          const destinationPath = rule.destinationPrefix
            ? pyJoin(rule.destinationPrefix, rel)
            : rel;
          const base = {
            rule: packed,
            step: rule.destinationStep,
            destinationType: rule.destinationType,
            destinationPath,
          };
          if (!dest) {
            misses.set(path, { ...base, reason: 'no-link' });
            continue;
          }
          const sourcePath = rule.sourcePrefix ? pyJoin(rule.sourcePrefix, rel) : rel;
          const here = own(source, sourcePath);
          const there = own(dest[rule.destinationType], destinationPath);
          if (!there) misses.set(path, { ...base, reason: 'missing', here });
          else if (!equalHashDicts(here, there))
            misses.set(path, { ...base, reason: 'hash-mismatch', here, there });
          else consume(sourcePath);
        }
        break;
      }
      case 'create':
      case 'delete':
      case 'modify':
      case 'allow': {
        const hits = select(queue, rule.pattern);
        selected = hits.length;
        for (const [p] of hits) {
          const m = own(input.materials, p);
          const pr = own(input.products, p);
          const inM = m !== undefined;
          const inP = pr !== undefined;
          if (
            rule.type === 'allow' ||
            (rule.type === 'create' && inP && !inM) ||
            (rule.type === 'delete' && inM && !inP) ||
            (rule.type === 'modify' && inM && inP && !equalHashDicts(m, pr))
          ) {
            consume(p);
          }
        }
        break;
      }
      case 'disallow': {
        const hits = select(queue, rule.pattern);
        selected = hits.length;
        if (hits.length > 0) {
          const artifacts = hits.map(([p]) => p).sort();
          const explanations: Record<string, MatchMiss> = {};
          for (const a of artifacts) {
            const m = misses.get(a);
            if (m) explanations[a] = m;
          }
          trace.push({ rule: packed, index, selected, consumed, queueAfter: queue.size });
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
        selected = queue.has(rule.pattern) ? 1 : 0;
        if (!selected) {
          const explanations: Record<string, MatchMiss> = {};
          trace.push({ rule: packed, index, selected, consumed, queueAfter: queue.size });
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
    trace.push({ rule: packed, index, selected, consumed, queueAfter: queue.size });
  }
  return { ok: true, trace, remaining: remaining() };
}
