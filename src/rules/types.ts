/** Artifact maps and the normalised rule union (STYLE.md §2.8): the engine never sees raw strings. */
export type HashDict = Record<string, string>;
export type ArtifactMap = Record<string, HashDict>;
/** Artifacts as an object or as a Map (how the verifier reads large links); the engine takes both. */
export type ArtifactSource = ArtifactMap | ReadonlyMap<string, HashDict>;

export type SimpleRuleType = 'allow' | 'disallow' | 'create' | 'delete' | 'modify' | 'require';

export type ArtifactRule =
  | {
      type: 'match';
      pattern: string;
      /** '' when absent (REFERENCE §6). */
      sourcePrefix: string;
      destinationType: 'materials' | 'products';
      destinationPrefix: string;
      destinationStep: string;
    }
  | { type: SimpleRuleType; pattern: string };
