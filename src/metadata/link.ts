/** The Link model (REFERENCE.md §1.2): what one step consumed and produced. */
import { SortedDict, type JSONObject, type JSONValue } from '../encoding/index.js';
import { artifactsAt, fail, listAt, objectAt, stringAt, unrecognized } from './fields.js';

export type HashDict = Record<string, string>;
export type ArtifactMap = Record<string, HashDict>;
/**
 * Artifacts as an object, as a Map (how the verifier reads large links, sorted-json.ts) or as a
 * SortedDict (as `runStep` records them, for the encoders).
 */
export type ArtifactSource = ArtifactMap | ReadonlyMap<string, HashDict> | SortedDict<HashDict>;

/** An artifact source as an object: a Map or SortedDict becomes one, an object stays. */
function asObject(source: ArtifactSource): ArtifactMap {
  if (source instanceof SortedDict) return source.toObject();
  return source instanceof Map
    ? Object.fromEntries(source as ReadonlyMap<string, HashDict>)
    : (source as ArtifactMap);
}

/** How many artifacts a source holds. */
function countOf(source: ArtifactSource): number {
  if (source instanceof SortedDict || source instanceof Map) return source.size;
  return Object.keys(source).length;
}

const KNOWN = [
  '_type',
  'name',
  'materials',
  'products',
  'byproducts',
  'command',
  'environment',
] as const;

export interface LinkInit {
  name: string;
  materials?: ArtifactMap;
  products?: ArtifactMap;
  byproducts?: JSONObject;
  command?: JSONValue[];
  environment?: JSONObject;
}

export class Link {
  name: string;
  #materials: ArtifactSource;
  #products: ArtifactSource;
  byproducts: JSONObject;
  command: JSONValue[];
  environment: JSONObject;
  /** Fields this model does not know, kept for byte-exact round trips. */
  unrecognized: JSONObject;

  constructor(
    init: Omit<LinkInit, 'materials' | 'products'> & {
      materials?: ArtifactSource;
      products?: ArtifactSource;
    },
    unrecognizedFields: JSONObject = {}
  ) {
    this.name = init.name;
    this.#materials = init.materials ?? {};
    this.#products = init.products ?? {};
    this.byproducts = init.byproducts ?? {};
    this.command = init.command ?? [];
    this.environment = init.environment ?? {};
    this.unrecognized = unrecognizedFields;
  }

  /** What the step consumed, as an object (made from the Map on first use if read as one). */
  get materials(): ArtifactMap {
    return (this.#materials = asObject(this.#materials));
  }

  set materials(value: ArtifactMap) {
    this.#materials = value;
  }

  /** What the step produced, as an object (made from the Map on first use if read as one). */
  get products(): ArtifactMap {
    return (this.#products = asObject(this.#products));
  }

  set products(value: ArtifactMap) {
    this.#products = value;
  }

  /** Materials or products as read, Map or object: for the verifier, which takes either. */
  artifacts(kind: 'materials' | 'products'): ArtifactMap | ReadonlyMap<string, HashDict> {
    const source = kind === 'materials' ? this.#materials : this.#products;
    return source instanceof SortedDict ? this[kind] : source;
  }

  /** How many materials or products the link lists (without making an object of them). */
  count(kind: 'materials' | 'products'): number {
    return countOf(kind === 'materials' ? this.#materials : this.#products);
  }

  /**
   * Validates a link object. Missing optional fields take the reference's defaults; unlike the
   * reference, `name` must be a string (it is compared with the step name when verifying).
   * @throws FormatError naming the JSON path.
   */
  static fromJSON(value: unknown, path = 'signed'): Link {
    const obj = objectAt(value, path);
    if (obj._type !== 'link') fail(`${path}._type`, '"link"', obj._type);
    return new Link(
      {
        name: stringAt(obj.name, `${path}.name`),
        materials:
          obj.materials === undefined ? {} : artifactsAt(obj.materials, `${path}.materials`),
        products: obj.products === undefined ? {} : artifactsAt(obj.products, `${path}.products`),
        byproducts:
          obj.byproducts === undefined ? {} : objectAt(obj.byproducts, `${path}.byproducts`),
        command: obj.command === undefined ? [] : listAt(obj.command, `${path}.command`),
        environment:
          obj.environment === undefined ? {} : objectAt(obj.environment, `${path}.environment`),
      },
      unrecognized(obj, KNOWN, path)
    );
  }

  /**
   * What {@link toJSON} gives, but with the artifacts as held (a SortedDict as recorded, a Map as
   * read) instead of objects: for the encoders, which write those without sorting a key again.
   */
  toEncodable(): Record<string, unknown> {
    return this.#fields(this.#materials, this.#products);
  }

  /** All seven fields the reference writes (so python verifies what we sign), plus unknown ones. */
  toJSON(): JSONObject {
    return this.#fields(this.materials, this.products) as JSONObject;
  }

  #fields(materials: unknown, products: unknown): Record<string, unknown> {
    return {
      ...this.unrecognized,
      _type: 'link',
      byproducts: this.byproducts,
      command: this.command,
      environment: this.environment,
      materials,
      name: this.name,
      products,
    };
  }
}
