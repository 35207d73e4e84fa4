/**
 * Layout lint: every problem at once (STYLE.md §2.10: a list of rules that collect findings). Works
 * on the raw `signed` object, so a layout the model would refuse still gets a full report.
 */
import { isJSONObject, type JSONObject, type JSONValue } from '../encoding/index.js';
import { Key } from '../crypto/index.js';
import { checkItemName, parseExpires, type ArtifactMap } from '../metadata/index.js';
import { applyRules, parseRule, type ArtifactRule, type ItemArtifacts } from '../rules/index.js';

export interface Finding {
  code: string;
  where: string;
  message: string;
  hint?: string;
}

export interface LintResult {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
}

export interface LintOptions {
  now?: Date;
  /** Links of a trial run, by step or inspection name: patterns that select nothing, artifacts no rule covers. */
  links?: ReadonlyMap<string, ItemArtifacts>;
}

interface Item {
  kind: 'step' | 'inspection';
  index: number;
  name: string;
  raw: JSONObject;
  where: string;
  rules: { materials: (ArtifactRule | undefined)[]; products: (ArtifactRule | undefined)[] };
  rawRules: { materials: JSONValue[]; products: JSONValue[] };
}

interface Ctx {
  layout: JSONObject;
  items: Item[];
  errors: Finding[];
  warnings: Finding[];
  options: LintOptions;
}

type Rule = (ctx: Ctx) => void;

const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'fish',
  'csh',
  'tcsh',
  'busybox',
  'python',
  'python3',
  'perl',
  'ruby',
  'node',
  'pwsh',
  'powershell',
  'cmd',
  'cmd.exe',
]);

const rulesList = (v: JSONValue | undefined): JSONValue[] => (Array.isArray(v) ? v : []);

const checks: Rule[] = [
  function names(ctx) {
    const seen = new Map<string, string>();
    for (const it of ctx.items) {
      const problem = typeof it.raw.name === 'string' ? checkItemName(it.name) : 'is not a string';
      if (problem)
        ctx.errors.push({
          code: 'unsafe-name',
          where: it.where,
          message: `name ${JSON.stringify(it.raw.name)} ${problem}`,
          hint: 'names become file names: use letters, digits, "-" and "_"',
        });
      const prior = seen.get(it.name);
      if (prior)
        ctx.errors.push({
          code: 'duplicate-name',
          where: it.where,
          message: `name ${JSON.stringify(it.name)} is also used by ${prior}`,
          hint: 'step and inspection names must be unique',
        });
      seen.set(it.name, it.where);
    }
  },
  function expiry(ctx) {
    const exp =
      typeof ctx.layout.expires === 'string' ? parseExpires(ctx.layout.expires) : undefined;
    const now = ctx.options.now ?? new Date();
    if (!exp) {
      ctx.errors.push({
        code: 'bad-expires',
        where: 'expires',
        message: `expires ${JSON.stringify(ctx.layout.expires ?? null)} is not YYYY-MM-DDTHH:MM:SSZ`,
        hint: 'intoto layout set-expires 1y',
      });
    } else if (exp.getTime() <= now.getTime()) {
      ctx.errors.push({
        code: 'expired',
        where: 'expires',
        message: `the layout expired at ${JSON.stringify(ctx.layout.expires)}`,
        hint: 'intoto layout set-expires 1y, then sign again',
      });
    } else if (exp.getTime() - now.getTime() < 30 * 86400_000) {
      const days = Math.ceil((exp.getTime() - now.getTime()) / 86400_000);
      ctx.warnings.push({
        code: 'expiring',
        where: 'expires',
        message: `the layout expires in ${days} day(s), at ${JSON.stringify(ctx.layout.expires)}`,
        hint: 'renew it with intoto layout set-expires',
      });
    }
  },
  function keysAndThresholds(ctx) {
    const keys = isJSONObject(ctx.layout.keys) ? ctx.layout.keys : {};
    const fingerprints = new Map<string, string>();
    for (const [id, dict] of Object.entries(keys)) {
      try {
        const k = Key.fromPublicDict(
          { ...(isJSONObject(dict) ? dict : {}), keyid: id },
          `keys.${id.slice(0, 8)}`
        );
        if (id !== k.keyIDs.legacy && id !== k.keyIDs.new)
          ctx.errors.push({
            code: 'keyid-mismatch',
            where: `keys.${id.slice(0, 8)}`,
            message: `keyid ${id.slice(0, 8)} does not match its key material`,
          });
        fingerprints.set(id, k.fingerprint);
      } catch (err) {
        ctx.errors.push({
          code: 'bad-key',
          where: `keys.${id.slice(0, 8)}`,
          message: (err as Error).message,
        });
      }
    }
    for (const it of ctx.items.filter((i) => i.kind === 'step')) {
      const pubkeys = Array.isArray(it.raw.pubkeys)
        ? it.raw.pubkeys.filter((k): k is string => typeof k === 'string')
        : [];
      const distinct = new Set<string>();
      for (const id of pubkeys) {
        const fp = fingerprints.get(id);
        if (fp) distinct.add(fp);
        else if (!(id in keys))
          ctx.errors.push({
            code: 'unknown-pubkey',
            where: `${it.where}.pubkeys`,
            message: `pubkey ${id.slice(0, 8)} is not in the layout's keys`,
            hint: 'intoto layout add-key PUBKEY',
          });
      }
      const t = it.raw.threshold ?? 1;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) {
        ctx.errors.push({
          code: 'bad-threshold',
          where: `${it.where}.threshold`,
          message: `threshold ${JSON.stringify(t)} must be a whole number ≥ 1`,
        });
      } else if (t > distinct.size) {
        ctx.errors.push({
          code: 'threshold-unreachable',
          where: `${it.where}.threshold`,
          message: `threshold ${t} needs ${t} distinct keys, the step lists ${distinct.size}`,
          hint: 'add keys or lower the threshold',
        });
      }
    }
  },
  function rules(ctx) {
    const names = new Set(ctx.items.map((i) => i.name));
    const inspections = new Set(
      ctx.items.filter((i) => i.kind === 'inspection').map((i) => i.name)
    );
    for (const it of ctx.items) {
      for (const kind of ['materials', 'products'] as const) {
        const raw = it.rawRules[kind];
        raw.forEach((r, i) => {
          const rule = it.rules[kind][i];
          const where = `${it.where}.expected_${kind}[${i}]`;
          if (!rule) {
            try {
              parseRule(r);
            } catch (err) {
              ctx.errors.push({
                code: 'bad-rule',
                where,
                message: (err as Error).message,
                hint: (err as { hint?: string }).hint,
              });
            }
            return;
          }
          if (
            rule.type === 'match' &&
            it.kind === 'step' &&
            inspections.has(rule.destinationStep)
          ) {
            // Step rules are checked before any inspection runs and see step links only
            // (REFERENCE.md §5 steps 10-12): this MATCH can never consume anything.
            ctx.errors.push({
              code: 'match-from-inspection',
              where,
              message: `MATCH ... FROM ${rule.destinationStep}: a step cannot match from an inspection (inspections run after step rules are checked)`,
              hint: 'match from a step, or move the rule into an inspection',
            });
          } else if (rule.type === 'match' && !names.has(rule.destinationStep)) {
            ctx.errors.push({
              code: 'unknown-step',
              where,
              message: `MATCH ... FROM ${rule.destinationStep}: there is no step or inspection of that name`,
              hint: `known: ${[...names].join(', ')}`,
            });
          }
        });
        const last = it.rules[kind][it.rules[kind].length - 1];
        if (raw.length > 0 && last?.type !== 'disallow') {
          ctx.warnings.push({
            code: 'no-final-disallow',
            where: `${it.where}.expected_${kind}`,
            message: `expected_${kind} does not end in DISALLOW: anything not consumed is allowed (implicit ALLOW *)`,
            hint: 'end the list with DISALLOW *',
          });
        }
      }
      if (it.rawRules.materials.length === 0 && it.rawRules.products.length === 0) {
        ctx.warnings.push({
          code: 'no-rules',
          where: it.where,
          message: `${it.kind} ${it.name} has no artifact rules: it constrains nothing`,
          hint: 'add rules ending in DISALLOW *',
        });
      }
    }
  },
  function inspections(ctx) {
    for (const it of ctx.items.filter((i) => i.kind === 'inspection')) {
      const run = Array.isArray(it.raw.run) ? it.raw.run : [];
      if (run.length === 0) {
        ctx.errors.push({
          code: 'empty-run',
          where: `${it.where}.run`,
          message: `inspection ${it.name} has an empty run`,
          hint: 'intoto layout add-inspection NAME --run "COMMAND"',
        });
        continue;
      }
      // `env [VAR=value...] sh -c …` still runs a shell; `gcc -c` / `grep -c` do not.
      const base = (a: JSONValue | undefined) =>
        (typeof a === 'string' ? a : '').split('/').pop() ?? '';
      const argv =
        base(run[0]) === 'env'
          ? run.slice(1).filter((a) => !(typeof a === 'string' && a.includes('=')))
          : run;
      const prog = base(argv[0]);
      if (SHELLS.has(prog)) {
        ctx.warnings.push({
          code: 'shell-inspection',
          where: `${it.where}.run`,
          message: `inspection ${it.name} runs an interpreter (${prog}): the verifier executes whatever it is given`,
          hint: 'run a program with fixed arguments instead',
        });
      }
    }
  },
  function reachability(ctx) {
    if (ctx.items.length < 2) return;
    const linked = new Set<string>();
    for (const it of ctx.items) {
      for (const r of [...it.rules.materials, ...it.rules.products]) {
        if (r?.type === 'match' && r.destinationStep !== it.name) {
          linked.add(it.name);
          linked.add(r.destinationStep);
        }
      }
    }
    for (const it of ctx.items.filter((i) => i.kind === 'step')) {
      if (!linked.has(it.name)) {
        ctx.warnings.push({
          code: 'unreachable',
          where: it.where,
          message: `step ${it.name} is connected to no other step by a MATCH rule: nothing ties its artifacts to the rest of the chain`,
          hint: 'MATCH its materials from the step before, or its products in the step after',
        });
      }
    }
  },
  function sampleLinks(ctx) {
    const links = ctx.options.links;
    if (!links) return;
    // Step rules see step links only; inspection rules see all (REFERENCE.md §5 steps 10, 12).
    const stepNames = new Set(ctx.items.filter((i) => i.kind === 'step').map((i) => i.name));
    const stepLinks = new Map([...links].filter(([n]) => stepNames.has(n)));
    for (const it of ctx.items) {
      const own = links.get(it.name);
      // A trial run has no inspection links (the verifier makes them): not worth a warning.
      if (!own && it.kind === 'inspection') continue;
      if (!own) {
        ctx.warnings.push({
          code: 'no-sample',
          where: it.where,
          message: `no sample link for ${it.name}`,
        });
        continue;
      }
      for (const kind of ['materials', 'products'] as const) {
        const rules = it.rules[kind].filter((r): r is ArtifactRule => r !== undefined);
        const result = applyRules({
          kind,
          rules,
          materials: own.materials,
          products: own.products,
          links: it.kind === 'step' ? stepLinks : links,
        });
        for (const t of result.trace) {
          if (t.selected === 0 && t.rule[0] !== 'DISALLOW' && t.rule[0] !== 'REQUIRE') {
            ctx.warnings.push({
              code: 'selects-nothing',
              where: `${it.where}.expected_${kind}[${t.index}]`,
              message: `'${t.rule.join(' ')}' selects nothing in the sample ${kind} of ${it.name}`,
            });
          }
        }
        if (!result.ok) {
          ctx.errors.push({
            code: 'sample-fails',
            where: `${it.where}.expected_${kind}`,
            message: `the sample ${kind} of ${it.name} fail: '${result.failure.rule.join(' ')}' hit ${result.failure.artifacts.slice(0, 3).join(', ')}`,
          });
        } else if (result.remaining.length && rules[rules.length - 1]?.type !== 'disallow') {
          ctx.warnings.push({
            code: 'uncovered',
            where: `${it.where}.expected_${kind}`,
            message: `no rule covers ${result.remaining.length} sample artifact(s), e.g. ${result.remaining.slice(0, 3).join(', ')}`,
          });
        }
      }
    }
  },
];

/** Lints a layout (`signed` object or a Layout's JSON). */
export function lintLayout(layout: JSONObject, options: LintOptions = {}): LintResult {
  const items: Item[] = [];
  const collect = (list: JSONValue | undefined, kind: 'step' | 'inspection', field: string) =>
    (Array.isArray(list) ? list : []).forEach((raw, index) => {
      const obj = isJSONObject(raw) ? raw : {};
      const name = typeof obj.name === 'string' ? obj.name : '';
      const parse = (rs: JSONValue[]) =>
        rs.map((r) => {
          try {
            return parseRule(r);
          } catch {
            return undefined;
          }
        });
      const materials = rulesList(obj.expected_materials);
      const products = rulesList(obj.expected_products);
      items.push({
        kind,
        index,
        name,
        raw: obj,
        where: `${field}[${index}] ${name}`,
        rules: { materials: parse(materials), products: parse(products) },
        rawRules: { materials, products },
      });
    });
  collect(layout.steps, 'step', 'steps');
  collect(layout.inspect, 'inspection', 'inspect');
  const ctx: Ctx = { layout, items, errors: [], warnings: [], options };
  if (items.length === 0)
    ctx.errors.push({
      code: 'empty',
      where: 'layout',
      message: 'the layout has no steps and no inspections: it verifies nothing',
      hint: 'intoto layout add-step',
    });
  for (const check of checks) check(ctx);
  return { ok: ctx.errors.length === 0, errors: ctx.errors, warnings: ctx.warnings };
}

export type { ArtifactMap };
