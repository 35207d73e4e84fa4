/**
 * `inferLayout`: from the links of a trial run, propose a strict layout — steps in dependency order,
 * their signers as functionaries, MATCH rules where one step's products feed the next step's
 * materials, CREATE/MODIFY/DELETE from each step's own diff, the recorded commands, and a final
 * `DISALLOW *` everywhere. Whole directories become `dir/*` patterns when every file in them qualifies.
 */
import type { Key } from '../crypto/index.js';
import { UsageError } from '../errors.js';
import { Layout, Step, type ArtifactMap, type Link } from '../metadata/index.js';
import { equalHashDicts } from '../rules/index.js';
import { parseExpiry } from './builder.js';

export interface TrialLink {
  link: Link;
  /** The key that signed it (the step's functionary). */
  key: Key;
}

/** A path as an fnmatch pattern matching only itself (`*`, `?`, `[` put in brackets). */
export function escapePattern(path: string): string {
  return path.replace(/[*?[]/g, '[$&]');
}

/** Patterns covering exactly `chosen` among `universe`: `dir/*` for wholly chosen directories. */
export function compressPaths(chosen: ReadonlySet<string>, universe: Iterable<string>): string[] {
  const all = [...universe];
  const out: string[] = [];
  const covered = new Set<string>();
  const whole = (dir: string): boolean =>
    all.every((p) => !p.startsWith(`${dir}/`) || chosen.has(p));
  for (const p of [...chosen].sort()) {
    if (covered.has(p)) continue;
    const parts = p.split('/');
    let pattern = p;
    // The shortest directory prefix all of whose files are chosen.
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (whole(dir)) {
        pattern = `${escapePattern(dir)}/*`;
        break;
      }
    }
    if (pattern !== p) {
      const dir = parts.slice(0, pattern.split('/').length - 1).join('/');
      for (const q of all) if (q.startsWith(`${dir}/`)) covered.add(q);
      if (!out.includes(pattern)) out.push(pattern);
    } else {
      covered.add(p);
      out.push(escapePattern(p));
    }
  }
  return out;
}

export function inferLayout(
  trial: readonly TrialLink[],
  options: { expires?: string; readme?: string; now?: Date } = {}
): Layout {
  if (trial.length === 0)
    throw new UsageError('no links to infer a layout from', {
      hint: 'record a trial run with intoto run (or intoto mock) first',
    });
  const byName = new Map<string, TrialLink>();
  for (const t of trial) {
    if (byName.has(t.link.name))
      throw new UsageError(`two links for step ${t.link.name}: give one link per step`);
    byName.set(t.link.name, t);
  }
  // feeds(A, B): some material of B is, hash for hash, a product of A.
  const feeds = (a: Link, b: Link): string[] =>
    Object.keys(b.materials).filter((p) => equalHashDicts(a.products[p], b.materials[p]));
  // A comes before B when more of B's materials are A's products than the other way round. A step
  // that records the whole tree (`-m . -p .`, intoto mock) passes unchanged files on, so "some
  // overlap" holds both ways and would order steps by file name instead of by data flow.
  const flowsInto = (a: Link, b: Link): boolean => feeds(a, b).length > feeds(b, a).length;
  const names = [...byName.keys()];
  const deps = new Map(
    names.map((n) => [
      n,
      names.filter((m) => m !== n && flowsInto(byName.get(m)!.link, byName.get(n)!.link)),
    ])
  );
  // Dependency order (a stable topological sort; cycles keep the given order).
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string): void => {
    if (order.includes(n) || visiting.has(n)) return;
    visiting.add(n);
    for (const d of deps.get(n)!) visit(d);
    visiting.delete(n);
    order.push(n);
  };
  names.forEach(visit);

  const keys: Layout['keys'] = {};
  const steps: Step[] = [];
  for (const [idx, name] of order.entries()) {
    const { link, key } = byName.get(name)!;
    keys[key.keyID] = key.toPublicDict() as unknown as Layout['keys'][string];
    const materials: string[][] = [];
    const consumed = new Set<string>();
    // MATCH from the closest upstream step first (later in order = closer).
    for (const up of order.slice(0, idx).reverse()) {
      const fed = new Set(feeds(byName.get(up)!.link, link).filter((p) => !consumed.has(p)));
      if (!fed.size) continue;
      for (const pattern of compressPaths(
        fed,
        Object.keys(link.materials).filter((p) => !consumed.has(p))
      )) {
        materials.push(['MATCH', pattern, 'WITH', 'PRODUCTS', 'FROM', up]);
      }
      fed.forEach((p) => consumed.add(p));
    }
    const rest = (m: ArtifactMap, pred: (p: string) => boolean) =>
      new Set(Object.keys(m).filter(pred));
    const deleted = rest(link.materials, (p) => !consumed.has(p) && !(p in link.products));
    const otherMaterials = rest(link.materials, (p) => !consumed.has(p) && p in link.products);
    const remaining = Object.keys(link.materials).filter((p) => !consumed.has(p));
    for (const p of compressPaths(deleted, remaining)) materials.push(['DELETE', p]);
    for (const p of compressPaths(
      otherMaterials,
      remaining.filter((p) => !deleted.has(p))
    ))
      materials.push(['ALLOW', p]);
    materials.push(['DISALLOW', '*']);

    const products: string[][] = [];
    const all = Object.keys(link.products);
    const created = rest(link.products, (p) => !(p in link.materials));
    const modified = rest(
      link.products,
      (p) => p in link.materials && !equalHashDicts(link.materials[p], link.products[p])
    );
    const unchanged = rest(
      link.products,
      (p) => p in link.materials && equalHashDicts(link.materials[p], link.products[p])
    );
    for (const p of compressPaths(created, all)) products.push(['CREATE', p]);
    for (const p of compressPaths(
      modified,
      all.filter((p) => !created.has(p))
    ))
      products.push(['MODIFY', p]);
    for (const p of compressPaths(
      unchanged,
      all.filter((p) => !created.has(p) && !modified.has(p))
    ))
      products.push(['ALLOW', p]);
    products.push(['DISALLOW', '*']);
    steps.push(
      new Step({
        name,
        pubkeys: [key.keyID],
        threshold: 1,
        expectedCommand: link.command.map(String),
        expectedMaterials: materials,
        expectedProducts: products,
      })
    );
  }
  return new Layout({
    steps,
    inspect: [],
    keys,
    expires: parseExpiry(options.expires ?? '1y', options.now),
    readme: options.readme ?? 'inferred by intoto layout infer',
  });
}
