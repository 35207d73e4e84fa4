/**
 * The shapes recorded artifacts take. Structural twins of `src/rules/types.ts` and the metadata
 * models (artifacts and rules are leaf modules and may not import each other).
 */

/** Algorithm name (`sha256`, …) → lowercase hex digest. */
export type HashDict = Record<string, string>;

/** Recorded path (or ITE-4 name) → its hashes. Insertion order is the walk order. */
export type ArtifactMap = Record<string, HashDict>;
