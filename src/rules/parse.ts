/** Rule grammar exactly as the reference's `rulelib.unpack_rule` (REFERENCE.md §6). */
import { FormatError } from '../errors.js';
import type { ArtifactRule, SimpleRuleType } from './types.js';

const SIMPLE: readonly string[] = ['create', 'delete', 'modify', 'allow', 'disallow', 'require'];
const GRAMMAR =
  'rules are one of: CREATE|DELETE|MODIFY|ALLOW|DISALLOW <pattern>, REQUIRE <file>, ' +
  'MATCH <pattern> [IN <source-prefix>] WITH MATERIALS|PRODUCTS [IN <destination-prefix>] FROM <step>';

function bad(rule: readonly unknown[], path: string | undefined, why: string): never {
  const where = path ? `${path}: ` : '';
  throw new FormatError(`${where}${why}: ${JSON.stringify(rule)}`, { path, hint: GRAMMAR });
}

/**
 * Parses one rule (a list of strings; keywords case-insensitive).
 * @throws FormatError naming the path and showing the grammar.
 */
export function parseRule(rule: unknown, path?: string): ArtifactRule {
  if (!Array.isArray(rule) || !rule.every((e) => typeof e === 'string')) {
    throw new FormatError(
      `${path ? `${path}: ` : ''}a rule must be a list of strings, got ${JSON.stringify(rule)}`,
      { path, hint: GRAMMAR }
    );
  }
  const r = rule;
  const low = r.map((e) => e.toLowerCase());
  const kind = low[0] ?? '';
  if (r.length < 2 || !(SIMPLE.includes(kind) || kind === 'match'))
    bad(r, path, 'a rule must start with a rule keyword and name a pattern');
  if (kind !== 'match') {
    if (r.length !== 2) bad(r, path, `${kind.toUpperCase()} takes exactly one pattern`);
    return { type: kind as SimpleRuleType, pattern: r[1] };
  }
  let sourcePrefix = '';
  let destinationPrefix = '';
  let destType: string;
  let step: string;
  if (
    r.length === 10 &&
    low[2] === 'in' &&
    low[4] === 'with' &&
    low[6] === 'in' &&
    low[8] === 'from'
  ) {
    [sourcePrefix, destType, destinationPrefix, step] = [r[3], low[5], r[7], r[9]];
  } else if (r.length === 8 && low[2] === 'in' && low[4] === 'with' && low[6] === 'from') {
    [sourcePrefix, destType, step] = [r[3], low[5], r[7]];
  } else if (r.length === 8 && low[2] === 'with' && low[4] === 'in' && low[6] === 'from') {
    [destType, destinationPrefix, step] = [low[3], r[5], r[7]];
  } else if (r.length === 6 && low[2] === 'with' && low[4] === 'from') {
    [destType, step] = [low[3], r[5]];
  } else {
    bad(r, path, 'malformed MATCH rule');
  }
  if (destType !== 'materials' && destType !== 'products')
    bad(r, path, 'MATCH needs WITH MATERIALS or WITH PRODUCTS');
  return {
    type: 'match',
    pattern: r[1],
    sourcePrefix,
    destinationType: destType,
    destinationPrefix,
    destinationStep: step,
  };
}

/** The inverse of {@link parseRule}, with upper-case keywords. */
export function packRule(rule: ArtifactRule): string[] {
  if (rule.type !== 'match') return [rule.type.toUpperCase(), rule.pattern];
  const out = ['MATCH', rule.pattern];
  if (rule.sourcePrefix) out.push('IN', rule.sourcePrefix);
  out.push('WITH', rule.destinationType.toUpperCase());
  if (rule.destinationPrefix) out.push('IN', rule.destinationPrefix);
  out.push('FROM', rule.destinationStep);
  return out;
}

/** One line for messages: `MATCH foo/* WITH PRODUCTS FROM build`. */
export function formatRule(rule: ArtifactRule | readonly string[]): string {
  const parts = Array.isArray(rule) ? (rule as readonly string[]) : packRule(rule as ArtifactRule);
  return parts.map((p) => (/[\s"']/.test(p) || p === '' ? JSON.stringify(p) : p)).join(' ');
}

/** Splits like Python's `shlex.split` (POSIX mode): quotes, backslash escapes, whitespace. */
export function shlexSplit(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '\\"$`\n'.includes(text[i + 1]))
        cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < text.length) cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new FormatError(`unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (inWord) out.push(cur);
  return out;
}

/** A rule written as in the spec, e.g. `MATCH "my dir/*" WITH PRODUCTS FROM build`. */
export function parseRuleString(text: string): ArtifactRule {
  return parseRule(shlexSplit(text));
}
