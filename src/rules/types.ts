/** Artifact maps and the normalised rule union (STYLE.md §2.8): the engine never sees raw strings. */
export type HashDict = Record<string, string>;
export type ArtifactMap = Record<string, HashDict>;

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
