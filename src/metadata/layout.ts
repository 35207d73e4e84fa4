/**
 * The Layout model (REFERENCE.md §1.3) with Step and Inspection. Validation is stricter than the
 * reference's (docs/DIFFERENCES.md): `expires` must be `YYYY-MM-DDTHH:MM:SSZ` and a real date; a
 * threshold must be an integer ≥ 1 (not `true`, `1.0` or `"2"`); step and inspection names must be
 * unique across both lists and safe as file names (they become link file names, SECURITY.md H-2).
 */
import { isJSONObject, type JSONObject } from '../encoding/index.js';
import { FormatError } from '../errors.js';
import { fail, listAt, objectAt, stringAt, stringListAt, unrecognized } from './fields.js';

export type RuleValidator = (rule: string[], path: string) => void;

const STEP_KNOWN = [
  '_type',
  'name',
  'expected_materials',
  'expected_products',
  'pubkeys',
  'expected_command',
  'threshold',
] as const;
const INSPECTION_KNOWN = [
  '_type',
  'name',
  'expected_materials',
  'expected_products',
  'run',
] as const;
const LAYOUT_KNOWN = ['_type', 'steps', 'inspect', 'keys', 'expires', 'readme'] as const;

const EXPIRES = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Parses `YYYY-MM-DDTHH:MM:SSZ` into a Date, or undefined when malformed or not a real instant. */
export function parseExpires(text: string): Date | undefined {
  const m = EXPIRES.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  )
    return undefined;
  return date;
}

export function formatExpires(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Why `name` is not safe as a step/inspection name (a file-name component), or undefined. */
export function checkItemName(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('/') || name.includes('\\')) return 'contains a path separator';
  if (name.includes('\0')) return 'contains NUL';
  if (name.startsWith('.')) return 'starts with "."';
  if (/^[A-Za-z]:/.test(name)) return 'looks like a drive letter';
  return undefined;
}

function rulesAt(value: unknown, path: string, validate?: RuleValidator): string[][] {
  if (value === undefined) return [];
  return listAt(value, path).map((rule, i) => {
    const p = `${path}[${i}]`;
    const r = stringListAt(rule, p);
    if (r.length === 0) fail(p, 'a non-empty rule', rule);
    validate?.(r, p);
    return r;
  });
}

function nameAt(value: unknown, path: string): string {
  const name = stringAt(value, path);
  const problem = checkItemName(name);
  if (problem)
    throw new FormatError(
      `${path}: name ${JSON.stringify(name)} ${problem}; names become file names`,
      { path, hint: 'use letters, digits, "-" and "_"' }
    );
  return name;
}

export interface StepInit {
  name: string;
  expectedMaterials?: string[][];
  expectedProducts?: string[][];
  pubkeys?: string[];
  expectedCommand?: string[];
  threshold?: number;
}

export class Step {
  name: string;
  expectedMaterials: string[][];
  expectedProducts: string[][];
  pubkeys: string[];
  expectedCommand: string[];
  threshold: number;
  unrecognized: JSONObject;

  constructor(init: StepInit, unrecognizedFields: JSONObject = {}) {
    this.name = init.name;
    this.expectedMaterials = init.expectedMaterials ?? [];
    this.expectedProducts = init.expectedProducts ?? [];
    this.pubkeys = init.pubkeys ?? [];
    this.expectedCommand = init.expectedCommand ?? [];
    this.threshold = init.threshold ?? 1;
    this.unrecognized = unrecognizedFields;
  }

  static fromJSON(value: unknown, path: string, validateRule?: RuleValidator): Step {
    const obj = objectAt(value, path);
    if (obj._type !== undefined && obj._type !== 'step') fail(`${path}._type`, '"step"', obj._type);
    const threshold = obj.threshold === undefined ? 1 : obj.threshold;
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) {
      fail(`${path}.threshold`, 'a positive integer', threshold);
    }
    return new Step(
      {
        name: nameAt(obj.name, `${path}.name`),
        expectedMaterials: rulesAt(
          obj.expected_materials,
          `${path}.expected_materials`,
          validateRule
        ),
        expectedProducts: rulesAt(obj.expected_products, `${path}.expected_products`, validateRule),
        pubkeys: obj.pubkeys === undefined ? [] : stringListAt(obj.pubkeys, `${path}.pubkeys`),
        expectedCommand:
          obj.expected_command === undefined
            ? []
            : stringListAt(obj.expected_command, `${path}.expected_command`),
        threshold,
      },
      unrecognized(obj, STEP_KNOWN, path)
    );
  }

  toJSON(): JSONObject {
    return {
      ...this.unrecognized,
      _type: 'step',
      expected_command: this.expectedCommand,
      expected_materials: this.expectedMaterials,
      expected_products: this.expectedProducts,
      name: this.name,
      pubkeys: this.pubkeys,
      threshold: this.threshold,
    };
  }
}

export interface InspectionInit {
  name: string;
  expectedMaterials?: string[][];
  expectedProducts?: string[][];
  run?: string[];
}

export class Inspection {
  name: string;
  expectedMaterials: string[][];
  expectedProducts: string[][];
  run: string[];
  unrecognized: JSONObject;

  constructor(init: InspectionInit, unrecognizedFields: JSONObject = {}) {
    this.name = init.name;
    this.expectedMaterials = init.expectedMaterials ?? [];
    this.expectedProducts = init.expectedProducts ?? [];
    this.run = init.run ?? [];
    this.unrecognized = unrecognizedFields;
  }

  static fromJSON(value: unknown, path: string, validateRule?: RuleValidator): Inspection {
    const obj = objectAt(value, path);
    if (obj._type !== undefined && obj._type !== 'inspection')
      fail(`${path}._type`, '"inspection"', obj._type);
    return new Inspection(
      {
        name: nameAt(obj.name, `${path}.name`),
        expectedMaterials: rulesAt(
          obj.expected_materials,
          `${path}.expected_materials`,
          validateRule
        ),
        expectedProducts: rulesAt(obj.expected_products, `${path}.expected_products`, validateRule),
        run: obj.run === undefined ? [] : stringListAt(obj.run, `${path}.run`),
      },
      unrecognized(obj, INSPECTION_KNOWN, path)
    );
  }

  toJSON(): JSONObject {
    return {
      ...this.unrecognized,
      _type: 'inspection',
      expected_materials: this.expectedMaterials,
      expected_products: this.expectedProducts,
      name: this.name,
      run: this.run,
    };
  }
}

export interface LayoutInit {
  steps?: Step[];
  inspect?: Inspection[];
  keys?: Record<string, JSONObject>;
  expires: string;
  readme?: string;
}

export class Layout {
  steps: Step[];
  inspect: Inspection[];
  keys: Record<string, JSONObject>;
  expires: string;
  readme: string;
  unrecognized: JSONObject;

  constructor(init: LayoutInit, unrecognizedFields: JSONObject = {}) {
    this.steps = init.steps ?? [];
    this.inspect = init.inspect ?? [];
    this.keys = init.keys ?? {};
    this.expires = init.expires;
    this.readme = init.readme ?? '';
    this.unrecognized = unrecognizedFields;
  }

  /** @throws FormatError naming the JSON path of the first problem. */
  static fromJSON(value: unknown, path = 'signed', validateRule?: RuleValidator): Layout {
    const obj = objectAt(value, path);
    if (obj._type !== 'layout') fail(`${path}._type`, '"layout"', obj._type);
    const expires = stringAt(obj.expires, `${path}.expires`);
    if (!parseExpires(expires)) fail(`${path}.expires`, 'a date as YYYY-MM-DDTHH:MM:SSZ', expires);
    const steps = (obj.steps === undefined ? [] : listAt(obj.steps, `${path}.steps`)).map((s, i) =>
      Step.fromJSON(s, `${path}.steps[${i}]`, validateRule)
    );
    const inspect = (obj.inspect === undefined ? [] : listAt(obj.inspect, `${path}.inspect`)).map(
      (s, i) => Inspection.fromJSON(s, `${path}.inspect[${i}]`, validateRule)
    );
    const names = new Set<string>();
    [...steps, ...inspect].forEach((item) => {
      if (names.has(item.name)) {
        throw new FormatError(
          `${path}: the name ${JSON.stringify(item.name)} is used twice (step and inspection names must be unique)`,
          { path }
        );
      }
      names.add(item.name);
    });
    const keys = obj.keys === undefined ? {} : objectAt(obj.keys, `${path}.keys`);
    for (const [keyid, key] of Object.entries(keys)) {
      if (!/^[0-9a-f]+$/.test(keyid)) fail(`${path}.keys`, 'lowercase hex keyids', keyid);
      if (!isJSONObject(key)) fail(`${path}.keys.${keyid}`, 'a public key object', key);
      if (
        isJSONObject(key.keyval) &&
        typeof key.keyval.private === 'string' &&
        key.keyval.private !== ''
      ) {
        throw new FormatError(`${path}.keys.${keyid}: contains a private key`, {
          path: `${path}.keys.${keyid}`,
          hint: 'add only public keys to a layout',
        });
      }
    }
    const readme = obj.readme === undefined ? '' : stringAt(obj.readme, `${path}.readme`);
    return new Layout(
      { steps, inspect, keys: keys as Record<string, JSONObject>, expires, readme },
      unrecognized(obj, LAYOUT_KNOWN, path)
    );
  }

  /** Every field the reference writes (its 1.3.1 loader requires `steps` and `inspect`). */
  toJSON(): JSONObject {
    return {
      ...this.unrecognized,
      _type: 'layout',
      expires: this.expires,
      inspect: this.inspect.map((i) => i.toJSON()),
      keys: this.keys,
      readme: this.readme,
      steps: this.steps.map((s) => s.toJSON()),
    };
  }
}
