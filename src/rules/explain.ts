/**
 * One-line explanations of why a MATCH rule selected an artifact but did not consume it, for the
 * messages of a later DISALLOW failure (the reference only prints the queue after each rule, which
 * leaves the reader to work out which step changed the file).
 */
import type { MatchMiss } from './engine.js';
import { formatRule } from './parse.js';
import type { HashDict } from './types.js';

/** `sha256 ab12cd34…` (several algorithms joined by `, `; sorted, so the output is stable). */
export function abbreviateHashes(hashes: HashDict | undefined): string {
  if (!hashes) return 'no hashes';
  const parts = Object.keys(hashes)
    .sort()
    .map((alg) => {
      const v = String(hashes[alg]);
      return `${alg} ${v.length > 12 ? `${v.slice(0, 8)}…` : v}`;
    });
  return parts.length ? parts.join(', ') : 'no hashes';
}

/**
 * E.g. `foo.py: sha256 ab12cd34… in this link, sha256 cd34ef56… in products of update-version
 * (MATCH foo.py WITH PRODUCTS FROM update-version)`.
 */
export function formatMatchMiss(path: string, miss: MatchMiss): string {
  const rule = formatRule(miss.rule);
  const as = miss.destinationPath === path ? '' : ` as ${miss.destinationPath}`;
  switch (miss.reason) {
    case 'no-link':
      return `${path}: step ${miss.step} has no link (${rule})`;
    case 'missing':
      return `${path}: not among ${miss.step}'s ${miss.destinationType}${as} (${rule})`;
    case 'hash-mismatch': {
      let here = abbreviateHashes(miss.here);
      let there = abbreviateHashes(miss.there);
      // Same abbreviations but different dicts: show the full values.
      if (here === there) [here, there] = [JSON.stringify(miss.here), JSON.stringify(miss.there)];
      return `${path}: ${here} in this link, ${there} in ${miss.destinationType} of ${miss.step}${as} (${rule})`;
    }
  }
}
