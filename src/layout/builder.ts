/**
 * A typed layout builder (the `intoto layout` commands use it): rules are written as in the spec,
 * `MATCH "my dir/*" WITH PRODUCTS FROM build`, and checked as they are added.
 */
import type { JSONObject } from '../encoding/index.js';
import { UsageError } from '../errors.js';
import type { Key } from '../crypto/index.js';
import {
  Inspection,
  Layout,
  Step,
  checkItemName,
  formatExpires,
  parseExpires,
} from '../metadata/index.js';
import { packRule, parseRuleString, shlexSplit } from '../rules/index.js';

/** `1y`, `6m`, `30d`, `12h`, a date `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SSZ` → the expiry string. */
export function parseExpiry(text: string, now: Date = new Date()): string {
  const rel = /^(\d+)\s*([ymdh])$/i.exec(text.trim());
  if (rel) {
    const n = Number(rel[1]);
    const d = new Date(now.getTime());
    const unit = rel[2].toLowerCase();
    if (unit === 'y') d.setUTCFullYear(d.getUTCFullYear() + n);
    else if (unit === 'm') d.setUTCMonth(d.getUTCMonth() + n);
    else if (unit === 'd') d.setUTCDate(d.getUTCDate() + n);
    else d.setUTCHours(d.getUTCHours() + n);
    return formatExpires(new Date(Math.floor(d.getTime() / 1000) * 1000));
  }
  const full = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  if (!parseExpires(full))
    throw new UsageError(`cannot read the expiry ${JSON.stringify(text)}`, {
      hint: 'use 1y, 6m, 30d, 2030-01-31 or 2030-01-31T00:00:00Z',
    });
  return full;
}

/** Parses rule strings, naming the flag in the error. */
export function parseRules(rules: readonly string[], flag: string): string[][] {
  return rules.map((r) => {
    try {
      return packRule(parseRuleString(r));
    } catch (err) {
      throw new UsageError(`${flag} ${JSON.stringify(r)}: ${(err as Error).message}`, {
        hint: (err as { hint?: string }).hint,
      });
    }
  });
}

function checkName(name: string): void {
  const problem = checkItemName(name);
  if (problem)
    throw new UsageError(`the name ${JSON.stringify(name)} ${problem}; names become file names`, {
      hint: 'use letters, digits, "-" and "_"',
    });
}

export interface StepOptions {
  name: string;
  keys: readonly Key[];
  threshold?: number;
  /** The expected command, as a string (split like a shell) or argv. */
  expectedCommand?: string | readonly string[];
  materials?: readonly string[];
  products?: readonly string[];
}

export interface InspectionOptions {
  name: string;
  run: string | readonly string[];
  materials?: readonly string[];
  products?: readonly string[];
}

export class LayoutBuilder {
  constructor(readonly layout: Layout) {}

  addKey(key: Key): this {
    this.layout.keys[key.keyID] = key.toPublicDict() as unknown as JSONObject;
    return this;
  }

  #checkNew(name: string): void {
    checkName(name);
    if ([...this.layout.steps, ...this.layout.inspect].some((i) => i.name === name)) {
      throw new UsageError(
        `the layout already has a step or inspection named ${JSON.stringify(name)}`,
        { hint: 'remove it first or choose another name' }
      );
    }
  }

  addStep(options: StepOptions): this {
    this.#checkNew(options.name);
    if (options.keys.length === 0)
      throw new UsageError(`step ${options.name}: give at least one functionary key (--key)`);
    const threshold = options.threshold ?? 1;
    if (
      !Number.isInteger(threshold) ||
      threshold < 1 ||
      threshold > new Set(options.keys.map((k) => k.fingerprint)).size
    ) {
      throw new UsageError(
        `step ${options.name}: threshold must be a whole number from 1 to the number of distinct keys (${options.keys.length})`
      );
    }
    for (const k of options.keys) this.addKey(k);
    const cmd = options.expectedCommand;
    this.layout.steps.push(
      new Step({
        name: options.name,
        pubkeys: options.keys.map((k) => k.keyID),
        threshold,
        expectedCommand:
          cmd === undefined ? [] : typeof cmd === 'string' ? shlexSplit(cmd) : [...cmd],
        expectedMaterials: parseRules(options.materials ?? [], '--material'),
        expectedProducts: parseRules(options.products ?? [], '--product'),
      })
    );
    return this;
  }

  addInspection(options: InspectionOptions): this {
    this.#checkNew(options.name);
    const run = typeof options.run === 'string' ? shlexSplit(options.run) : [...options.run];
    if (run.length === 0) throw new UsageError(`inspection ${options.name}: --run is empty`);
    this.layout.inspect.push(
      new Inspection({
        name: options.name,
        run,
        expectedMaterials: parseRules(options.materials ?? [], '--material'),
        expectedProducts: parseRules(options.products ?? [], '--product'),
      })
    );
    return this;
  }

  remove(name: string): this {
    const before = this.layout.steps.length + this.layout.inspect.length;
    this.layout.steps = this.layout.steps.filter((s) => s.name !== name);
    this.layout.inspect = this.layout.inspect.filter((s) => s.name !== name);
    if (before === this.layout.steps.length + this.layout.inspect.length)
      throw new UsageError(`the layout has no step or inspection named ${JSON.stringify(name)}`);
    // Keys no step uses any more are dropped with it.
    const used = new Set(this.layout.steps.flatMap((s) => s.pubkeys));
    for (const id of Object.keys(this.layout.keys)) if (!used.has(id)) delete this.layout.keys[id];
    return this;
  }

  setExpires(text: string, now?: Date): this {
    this.layout.expires = parseExpiry(text, now);
    return this;
  }

  setReadme(text: string): this {
    this.layout.readme = text;
    return this;
  }

  build(): Layout {
    return this.layout;
  }
}

/** Starts a new layout (default expiry: one year). */
export function createLayout(
  options: { expires?: string; readme?: string; now?: Date } = {}
): LayoutBuilder {
  return new LayoutBuilder(
    new Layout({
      expires: parseExpiry(options.expires ?? '1y', options.now),
      readme: options.readme ?? '',
    })
  );
}
