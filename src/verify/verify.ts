/**
 * `verifyLayout`: the in-toto verification workflow (spec §5.2; the reference's `in_toto_verify`,
 * REFERENCE.md §5), hardened per SECURITY.md. The body is the ordered list of steps; each check
 * throws a VerificationError subclass, which becomes the report's `failure`.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { recordArtifacts } from '../artifacts/index.js';
import { Key } from '../crypto/index.js';
import {
  EvidenceError,
  InTotoError,
  InspectionError,
  LayoutExpiredError,
  LinkNotFoundError,
  RuleVerificationError,
  SignatureVerificationError,
  ThresholdVerificationError,
  UsageError,
  VerificationError,
  FormatError,
  LimitError,
} from '../errors.js';
import { checkLimit, resolveLimits, type Limits } from '../limits.js';
import {
  runCommand,
  CommandNotFoundError,
  CommandTimeoutError,
  OWN_LINK_EXCLUDE_PATTERNS,
} from '../link/index.js';
import {
  type Inspection,
  Layout,
  Link,
  Metablock,
  parseExpires,
  parseMetadata,
  writeFileAtomic,
  type SignedMetadata,
  type Step,
} from '../metadata/index.js';
import {
  applyRules,
  artifactAt,
  artifactCount,
  artifactPaths,
  checkArtifactMap,
  equalHashDicts,
  formatRule,
  parseRule,
  type ArtifactRule,
  type ArtifactSource,
  type ItemArtifacts,
  type RuleResult,
} from '../rules/index.js';
import type {
  FailedArtifact,
  FailureReport,
  LinkReport,
  StepReport,
  VerificationReport,
} from './report.js';
import { checkParams, substitute } from './substitute.js';

export interface VerifyOptions {
  /** The owner's public keys: every one must have signed the layout. */
  layoutKeys: readonly Key[];
  /** Where the links are (default: the current directory). */
  linkDir?: string;
  /** `{NAME}` substitution parameters; substitution happens only when given. */
  params?: Record<string, string>;
  /** Turn warnings (command mismatch, no final DISALLOW, a MATCH that selected nothing) into failures. */
  strict?: boolean;
  /** Seconds an inspection may run (default 60). */
  inspectionTimeout?: number;
  /** Run inspections of sublayouts (signed by a functionary, not the owner). Default false. */
  allowSublayoutInspections?: boolean;
  /** Accept a layout with no steps and no inspections. Default false. */
  allowEmptyLayout?: boolean;
  /** The current time (tests). */
  now?: Date;
  /** Where inspections run and write their links (default: the current directory). */
  cwd?: string;
  /** Inspection output goes here (default: inherited). */
  inspectionStdout?: Writable;
  inspectionStderr?: Writable;
  onWarning?: (message: string) => void;
  limits?: Partial<Limits>;
  /** A label for the layout in messages and the report. */
  layoutPath?: string;
  /**
   * Pin the layout (SECURITY.md A-7, layout replay): the sha256 (or sha512) of the layout file's
   * bytes must equal `expected` (`sha256:<hex>`), checked before anything else.
   */
  layoutDigest?: { bytes: Uint8Array; expected: string };
  /** Every link must record this run id in `environment.run_id` (SECURITY.md A-8, link replay). */
  requireRunId?: string;
  /**
   * Every link must record its exclude patterns in `environment.excludes`, and they may only be
   * OWN_LINK_EXCLUDE_PATTERNS (none at all, or our own link files): nothing else was left out of its
   * materials and products (SECURITY.md A-3). Inspections then exclude only those too.
   */
  denyExcludes?: boolean;
}

/**
 * Compares the layout file's digest with the pinned one (SECURITY.md A-7).
 * @throws UsageError for a malformed `expected`, VerificationError (LAYOUT_DIGEST_MISMATCH) on a mismatch
 */
export function checkLayoutDigest(bytes: Uint8Array, expected: string, source = 'layout'): void {
  const m = /^(sha256|sha512):([0-9a-fA-F]+)$/.exec(expected);
  if (!m || m[2].length !== (m[1] === 'sha256' ? 64 : 128))
    throw new UsageError(
      `expected a layout digest like sha256:<64 hex digits>, got ${JSON.stringify(expected)}`
    );
  const actual = createHash(m[1]).update(bytes).digest('hex');
  if (actual !== m[2].toLowerCase())
    throw new VerificationError(
      `${source} is not the pinned layout: its ${m[1]} is ${actual}, expected ${m[2].toLowerCase()}`,
      {
        hint: 'an older or another validly signed layout was served: fetch the layout the pin names',
      },
      'LAYOUT_DIGEST_MISMATCH'
    );
}

/** Why a link's recorded environment fails --require-run-id or --deny-excludes, if it does. */
function environmentProblem(link: Link, options: VerifyOptions): string | undefined {
  const env = link.environment;
  if (options.requireRunId !== undefined) {
    const id = env.run_id;
    if (id === undefined) return `records no run id (--require-run-id ${options.requireRunId})`;
    if (id !== options.requireRunId)
      return `was recorded in run ${JSON.stringify(id)}, not ${JSON.stringify(options.requireRunId)} (replayed from another run?)`;
  }
  if (options.denyExcludes) {
    const ex = env.excludes;
    if (!Array.isArray(ex))
      return 'does not record its exclude patterns, so what it left out is unknown (--deny-excludes)';
    // Only the exact patterns of our own link files may appear (`--exclude-only-links`): anything
    // else, e.g. the reference's `*.link*`, may have hidden a product such as postinstall.link.js.
    const hiding = ex.filter(
      (p) => typeof p !== 'string' || !OWN_LINK_EXCLUDE_PATTERNS.includes(p)
    );
    if (hiding.length > 0)
      return `was recorded with exclude patterns ${hiding.map((p) => JSON.stringify(p)).join(', ')}: files matching them are not in it (--deny-excludes)`;
  }
  return undefined;
}

interface Context {
  options: VerifyOptions;
  limits: Limits;
  report: VerificationReport;
  warn: (message: string) => void;
  deadline: number;
  /** The step or inspection being checked: a failure thrown now is attributed to it. */
  at?: StepReport;
  /** Reused for reading each link (see readWhole); dropped with the context. */
  scratch: { buffer: Buffer };
}

/** The total-time limit (limits.verifyTimeoutSeconds), checked between stages. */
function checkDeadline(ctx: Context): void {
  if (Date.now() > ctx.deadline)
    throw new LimitError(
      `verification took longer than ${ctx.limits.verifyTimeoutSeconds} s (limits.verifyTimeoutSeconds)`,
      { hint: 'raise the limit, or find the step whose links are unusually large' }
    );
}

function warnOrFail(ctx: Context, message: string, hint?: string): void {
  if (ctx.options.strict) throw new VerificationError(`${message} (--strict)`, { hint });
  ctx.warn(message);
}

// --- 1. layout signatures (spec §5.2 step 1; REFERENCE §5.1) ---------------------------------------
function verifyLayoutSignatures(env: SignedMetadata, keys: readonly Key[], source: string): void {
  if (keys.length === 0)
    throw new SignatureVerificationError(
      'no layout key given: at least one owner key must verify the layout',
      { hint: 'pass the owner public key with -k' }
    );
  for (const key of keys) {
    const status = env.verifySignature(key);
    if (status === 'missing') {
      throw new SignatureVerificationError(
        `${source}: no signature by key ${key.keyID.slice(0, 8)}`,
        {
          hint: 'the layout was not signed by this key: check that -k names the project owner key',
        }
      );
    }
    if (status === 'invalid') {
      throw new SignatureVerificationError(
        `${source}: the signature by key ${key.keyID.slice(0, 8)} is invalid`,
        {
          hint: 'the layout was changed after signing (or the signature was forged): do not trust it',
        }
      );
    }
  }
}

// --- 2. expiry (spec §5.2 step 2) -------------------------------------------------------------------
function verifyExpiry(layout: Layout, now: Date, source: string): void {
  const expires = parseExpires(layout.expires);
  // Expired at the stated second already (python HEAD; 1.3.1 used `<`): see docs/DIFFERENCES.md.
  if (!expires || expires.getTime() <= now.getTime()) {
    throw new LayoutExpiredError(`${source}: the layout expired at ${layout.expires}`, {
      hint: 'the owner must renew it (intoto layout set-expires) and sign it again',
    });
  }
}

// --- 3. parameter substitution (REFERENCE §7) --------------------------------------------------------
function substituteLayout(layout: Layout, params: Record<string, string>): void {
  checkParams(params);
  const subRules = (rules: string[][], where: string) =>
    rules.map((r, i) => r.map((s) => substitute(s, params, `${where}[${i}]`)));
  for (const s of layout.steps) {
    s.expectedMaterials = subRules(s.expectedMaterials, `step ${s.name} expected_materials`);
    s.expectedProducts = subRules(s.expectedProducts, `step ${s.name} expected_products`);
    s.expectedCommand = s.expectedCommand.map((c) =>
      substitute(c, params, `step ${s.name} expected_command`)
    );
  }
  for (const i of layout.inspect) {
    i.expectedMaterials = subRules(i.expectedMaterials, `inspection ${i.name} expected_materials`);
    i.expectedProducts = subRules(i.expectedProducts, `inspection ${i.name} expected_products`);
    i.run = i.run.map((c) => substitute(c, params, `inspection ${i.name} run`));
  }
}

// --- 4. validation before anything runs ------------------------------------------------------------
interface ValidatedLayout {
  layout: Layout;
  keys: Map<string, Key>;
  rules: Map<string, { materials: ArtifactRule[]; products: ArtifactRule[] }>;
}

function validateLayout(layout: Layout, ctx: Context): ValidatedLayout {
  const keys = new Map<string, Key>();
  for (const [keyid, dict] of Object.entries(layout.keys)) {
    let key: Key;
    try {
      key = Key.fromPublicDict({ ...dict, keyid }, `keys.${keyid.slice(0, 8)}`);
    } catch (err) {
      throw new EvidenceError(
        `layout key ${keyid.slice(0, 8)} is not a usable public key: ${(err as Error).message}`
      );
    }
    if (dict.keyid !== undefined && dict.keyid !== keyid) {
      throw new EvidenceError(
        `layout key listed as ${keyid.slice(0, 8)} says its keyid is ${JSON.stringify(dict.keyid).slice(0, 10)}`
      );
    }
    // SECURITY.md D-1: a keyid must be derived from the key it names, or one key could be listed twice.
    if (keyid !== key.keyIDs.legacy && keyid !== key.keyIDs.new) {
      throw new EvidenceError(
        `layout key ${keyid.slice(0, 8)} does not match its key material (its ids are ${key.keyIDs.legacy.slice(0, 8)} / ${key.keyIDs.new.slice(0, 8)})`,
        {
          hint: 'the layout lists a key under a forged keyid',
        }
      );
    }
    keys.set(keyid, key);
  }
  const rules = new Map<string, { materials: ArtifactRule[]; products: ArtifactRule[] }>();
  const parse = (item: Step | Inspection, kind: string, list: string[][]) =>
    list.map((r, i) => {
      try {
        return parseRule(r, `${item.name}.expected_${kind}[${i}]`);
      } catch (err) {
        throw new EvidenceError((err as Error).message, { hint: (err as InTotoError).hint });
      }
    });
  for (const item of [...layout.steps, ...layout.inspect]) {
    rules.set(item.name, {
      materials: parse(item, 'materials', item.expectedMaterials),
      products: parse(item, 'products', item.expectedProducts),
    });
  }
  for (const step of layout.steps) {
    checkLimit(
      'maxLinksPerStep',
      step.pubkeys.length,
      ctx.limits.maxLinksPerStep,
      `step ${step.name} pubkeys`
    );
    const distinct = new Set<string>();
    for (const keyid of step.pubkeys) {
      const key = keys.get(keyid);
      if (!key)
        throw new EvidenceError(
          `step ${step.name}: pubkey ${keyid.slice(0, 8)} is not in the layout's keys`,
          { hint: 'add the key to the layout (intoto layout add-key)' }
        );
      distinct.add(key.fingerprint);
    }
    if (step.threshold > distinct.size) {
      throw new EvidenceError(
        `step ${step.name}: threshold ${step.threshold} can never be met: only ${distinct.size} distinct key(s) may sign it`
      );
    }
  }
  for (const insp of layout.inspect) {
    if (insp.run.length === 0)
      throw new EvidenceError(`inspection ${insp.name} has an empty run: nothing to execute`, {
        hint: 'give the inspection a command',
      });
  }
  if (layout.steps.length === 0 && layout.inspect.length === 0 && !ctx.options.allowEmptyLayout) {
    throw new EvidenceError('the layout has no steps and no inspections: it verifies nothing', {
      hint: 'pass --allow-empty-layout if that is really intended',
    });
  }
  // SECURITY.md H-4: without a final DISALLOW, whatever the rules do not consume passes (the spec's
  // implicit ALLOW *). One warning per layout, naming every such list, so real layouts stay readable.
  const open: string[] = [];
  for (const item of [...layout.steps, ...layout.inspect]) {
    for (const [kind, list] of [
      ['materials', item.expectedMaterials],
      ['products', item.expectedProducts],
    ] as const) {
      const last = list[list.length - 1];
      if (!last || last[0]?.toUpperCase() !== 'DISALLOW') open.push(`${item.name} ${kind}`);
    }
  }
  if (open.length) {
    warnOrFail(
      ctx,
      `${open.length} rule list(s) do not end in DISALLOW, so anything their rules do not consume is allowed (implicit ALLOW *): ${open.join(', ')}`,
      'end each rule list with ["DISALLOW", "*"]'
    );
  }
  return { layout, keys, rules };
}

// --- 5. links: load, check signatures, count thresholds ---------------------------------------------
interface StepEvidence {
  /** The link (or a sublayout's summary) used for the rules. */
  artifacts: ItemArtifacts;
  link?: Link;
  sublayout?: VerificationReport;
  links: LinkReport[];
  signers: string[];
}

/** What a non-file is, for the message. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  return st.isSocket() ? 'a socket' : 'a device';
}

/**
 * A link's bytes, or undefined when there is no such file. One open and one fstat decide: a FIFO,
 * socket, device or directory is refused unread (O_NONBLOCK: a FIFO cannot block the open), a file
 * over the size limit unread, and a file that grows is never read past the limit. The bytes land
 * in one buffer per verification, grown as needed: parsing copies what it keeps (strings, the
 * canonical bytes), so the next link can reuse it. Fresh memory is slow to touch on small VMs
 * (~3 ms per MiB here), and links of 100k artifacts are 10–25 MiB each.
 */
function readEvidenceBytes(path: string, ctx: Context): Buffer | undefined {
  const limit = ctx.limits.maxMetadataBytes;
  const unreadable = (why: string, hint = 'a link must be a readable file: re-record the step') =>
    new EvidenceError(`${path} cannot be read: ${why}`, { hint });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (!existsSync(path)) return undefined;
    throw unreadable((err as Error).message);
  }
  try {
    const st = fstatSync(fd);
    // A FIFO would block a read until someone writes to it, a device never ends: neither is a link.
    if (!st.isFile())
      throw unreadable(
        `it is ${kindOf(st)}, not a file`,
        'a link must be a regular file: re-record the step'
      );
    if (st.size > limit)
      throw new LimitError(`${path}: ${st.size} bytes exceeds the limit of ${limit}`);
    const holder = ctx.scratch;
    let scratch = holder.buffer;
    if (scratch.length < st.size + 1)
      scratch = holder.buffer = Buffer.allocUnsafe(Math.max(st.size + 1, 1 << 16));
    let n = 0;
    // Up to one byte past the size, so a file that grew since the fstat is read whole as well.
    for (;;) {
      if (n > limit)
        throw new LimitError(`${path}: more than ${limit} bytes, the limit for metadata`);
      if (n === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, n);
        scratch = holder.buffer = bigger;
      }
      let r: number;
      try {
        r = readSync(fd, scratch, n, scratch.length - n, null);
      } catch (err) {
        throw unreadable((err as Error).message);
      }
      if (r === 0) break;
      n += r;
    }
    return scratch.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function readEvidence(path: string, ctx: Context): SignedMetadata | undefined {
  const bytes = readEvidenceBytes(path, ctx);
  if (!bytes) return undefined;
  try {
    return parseMetadata(bytes, {
      source: path,
      maxDepth: ctx.limits.maxJSONDepth,
      maxSignatures: ctx.limits.maxSignaturesPerEnvelope,
      // Links' artifacts as Maps: the one representation the rules need, several times cheaper.
      liftArtifacts: true,
    });
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError) {
      throw new EvidenceError(`${path} is not valid metadata: ${err.message}`, {
        hint: 'the file is corrupt or hostile: re-record the step',
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Files named like a link of this step but under a keyid prefix the step does not list: named in the
 * failure, because "a functionary who is not authorised signed it" is the usual cause. Never read.
 */
function strayLinks(step: Step, linkDir: string): string[] {
  const expected = new Set(step.pubkeys.map((k) => `${step.name}.${k.slice(0, 8)}.link`));
  let names: string[];
  try {
    names = readdirSync(linkDir);
  } catch {
    return [];
  }
  const re = /^[0-9a-f]{8}$/;
  return names
    .filter(
      (n) =>
        n.startsWith(`${step.name}.`) &&
        n.endsWith('.link') &&
        re.test(n.slice(step.name.length + 1, -5)) &&
        !expected.has(n)
    )
    .slice(0, 5);
}

function sameArtifacts(a: ArtifactSource, b: ArtifactSource): boolean {
  if (artifactCount(a) !== artifactCount(b)) return false;
  for (const k of artifactPaths(a))
    if (!equalHashDicts(artifactAt(a, k), artifactAt(b, k))) return false;
  return true;
}

async function verifyStepLinks(
  step: Step,
  v: ValidatedLayout,
  linkDir: string,
  ctx: Context,
  r: StepReport
): Promise<StepEvidence> {
  // Filled in as files are read, so a failure still shows what was found.
  const links: LinkReport[] = [];
  r.links = links;
  const counted: { keyid: string; fingerprint: string; link?: Link; env: SignedMetadata }[] = [];
  let found = 0;
  const seenFiles = new Set<string>();
  for (const keyid of step.pubkeys) {
    const key = v.keys.get(keyid)!;
    const file = join(linkDir, `${step.name}.${keyid.slice(0, 8)}.link`);
    const env = readEvidence(file, ctx);
    if (!env) {
      links.push({ file, keyid, status: 'missing' });
      continue;
    }
    if (!seenFiles.has(file)) found++;
    seenFiles.add(file);
    const reject = (reason: string) => links.push({ file, keyid, status: 'rejected', reason });
    const status = env.verifySignature(key);
    if (status !== 'valid') {
      reject(
        status === 'missing'
          ? `not signed by ${keyid.slice(0, 8)}`
          : `invalid signature by ${keyid.slice(0, 8)} (changed after signing, or forged)`
      );
      continue;
    }
    const type = env.payload._type;
    if (type === 'layout') {
      counted.push({ keyid, fingerprint: key.fingerprint, env });
      links.push({ file, keyid, status: 'counted' });
      continue;
    }
    let link: Link;
    try {
      link = Link.fromJSON(env.payload, file);
    } catch (err) {
      reject(`malformed link: ${(err as Error).message}`);
      continue;
    }
    // SECURITY.md H-5 / GHSA-g9jx: the link must say it is this step's.
    if (link.name !== step.name) {
      reject(`its name is ${JSON.stringify(link.name)}, not ${JSON.stringify(step.name)}`);
      continue;
    }
    const envProblem = environmentProblem(link, ctx.options);
    if (envProblem) {
      reject(envProblem);
      continue;
    }
    // SECURITY.md A-1: one file must have one name.
    const bad = [
      ...checkArtifactMap(link.artifacts('materials')),
      ...checkArtifactMap(link.artifacts('products')),
    ];
    if (bad.length) {
      reject(`non-canonical artifact path ${JSON.stringify(bad[0].path)} (${bad[0].reason})`);
      continue;
    }
    const n =
      artifactCount(link.artifacts('materials')) + artifactCount(link.artifacts('products'));
    if (n > ctx.limits.maxArtifactsPerLink) {
      reject(`${n} artifacts exceed the limit of ${ctx.limits.maxArtifactsPerLink}`);
      continue;
    }
    // SECURITY.md D-1: count keys, not keyids.
    if (counted.some((c) => c.fingerprint === key.fingerprint)) {
      reject(`same key as another counted link (one key listed under two keyids counts once)`);
      continue;
    }
    counted.push({ keyid, fingerprint: key.fingerprint, link, env });
    links.push({ file, keyid, status: 'counted' });
  }

  const reasons = links.filter((l) => l.status === 'rejected').map((l) => `${l.file}: ${l.reason}`);
  if (found < step.threshold) {
    const strays = strayLinks(step, linkDir);
    throw new LinkNotFoundError(
      `step ${step.name} needs ${step.threshold} link(s), found ${found} in ${linkDir}${found === 0 && !existsSync(linkDir) ? ' (the directory does not exist)' : ''}${strays.length ? ` (${strays.join(', ')} ${strays.length === 1 ? 'is' : 'are'} there, but signed under a keyid the layout does not authorise for ${step.name})` : ''}`,
      {
        hint: `expected ${step.pubkeys.map((k) => `${step.name}.${k.slice(0, 8)}.link`).join(' or ')}${reasons.length ? `; ${reasons.join('; ')}` : ''}`,
      }
    );
  }
  if (counted.length < step.threshold) {
    throw new ThresholdVerificationError(
      `step ${step.name} needs ${step.threshold} link(s) validly signed by distinct authorised functionaries, found ${counted.length}${reasons.length ? `: ${reasons.join('; ')}` : ''}`,
      { hint: 'a link was tampered with, signed by the wrong key, or recorded for another step' }
    );
  }
  // REFERENCE §5.8: with a threshold above one, the counted links must agree on what they saw.
  if (step.threshold > 1) {
    const first = counted[0].link;
    for (const c of counted.slice(1)) {
      if (
        !first ||
        !c.link ||
        !sameArtifacts(first.artifacts('materials'), c.link.artifacts('materials')) ||
        !sameArtifacts(first.artifacts('products'), c.link.artifacts('products'))
      ) {
        throw new ThresholdVerificationError(
          `step ${step.name}: the links of ${counted[0].keyid.slice(0, 8)} and ${c.keyid.slice(0, 8)} disagree on materials or products`,
          {
            hint: 'the functionaries did not build the same thing',
          }
        );
      }
    }
  }
  const chosen = counted[0];
  const signers = counted.map((c) => c.keyid);
  r.signers = signers;
  // --- 6. sublayouts (spec §4.5) ---
  if (!chosen.link) {
    const sublayoutReport = await verifySublayout(step, chosen.keyid, chosen.env, v, linkDir, ctx);
    return {
      artifacts: summaryOf(sublayoutReport),
      sublayout: sublayoutReport.report,
      links,
      signers,
    };
  }
  return {
    artifacts: {
      materials: chosen.link.artifacts('materials'),
      products: chosen.link.artifacts('products'),
    },
    link: chosen.link,
    links,
    signers,
  };
}

interface SublayoutResult {
  report: VerificationReport;
  summary: ItemArtifacts;
}

function summaryOf(r: SublayoutResult): ItemArtifacts {
  return r.summary;
}

async function verifySublayout(
  step: Step,
  keyid: string,
  env: SignedMetadata,
  v: ValidatedLayout,
  linkDir: string,
  ctx: Context
): Promise<SublayoutResult> {
  const dir = join(linkDir, `${step.name}.${keyid.slice(0, 8)}`);
  const sub = await verifyInternal(env, {
    ...ctx.options,
    layoutKeys: [v.keys.get(keyid)!],
    linkDir: dir,
    params: undefined,
    layoutPath: `sublayout ${step.name} (${dir})`,
    isSublayout: true,
  });
  // Shown under the step even when it failed, so the nested failure can be located.
  if (ctx.at) ctx.at.sublayout = sub.report;
  ctx.report.warnings.push(...sub.report.warnings.map((w) => `sublayout ${step.name}: ${w}`));
  if (!sub.report.ok) {
    const f = sub.report.failure!;
    throw new VerificationError(`sublayout of step ${step.name}: ${f.message}`, { hint: f.hint });
  }
  return sub;
}

// --- 8–11. rules and inspections ---------------------------------------------------------------------
function ruleFailure(
  item: string,
  kind: 'materials' | 'products',
  result: Extract<RuleResult, { ok: false }>,
  own: ItemArtifacts
): RuleVerificationError {
  const f = result.failure;
  const rule = formatRule(f.rule);
  const artifacts: FailedArtifact[] = f.artifacts.map((path) => {
    const miss = f.explanations[path];
    const here = artifactAt(own[kind], path);
    if (!miss) return { path, here };
    const explanation =
      miss.reason === 'no-link'
        ? `${formatRule(miss.rule)} found no link for ${miss.step}`
        : miss.reason === 'missing'
          ? `not among the ${miss.destinationType} of ${miss.step} (${formatRule(miss.rule)})`
          : `differs from ${miss.destinationPath} in the ${miss.destinationType} of ${miss.step} (${formatRule(miss.rule)})`;
    return { path, here, there: miss.there, explanation, match: miss };
  });
  const what =
    f.reason === 'require'
      ? `'${rule}' did not find ${f.artifacts[0]}`
      : `'${rule}' matched ${f.artifacts.length} artifact(s): ${f.artifacts.slice(0, 5).join(', ')}${f.artifacts.length > 5 ? ', …' : ''}`;
  const err = new RuleVerificationError(`${item} ${kind}: ${what}`, {
    hint: artifacts.some((a) => a.explanation)
      ? 'an artifact changed between steps: find who modified it'
      : f.reason === 'require'
        ? 'the required artifact is missing or was consumed by an earlier rule'
        : 'an artifact appeared that no rule allows: find out where it came from',
  });
  (err as RuleVerificationError & { details?: unknown }).details = {
    step: item,
    kind,
    rule: f.rule,
    artifacts,
  };
  return err;
}

function checkRules(
  item: string,
  rules: { materials: ArtifactRule[]; products: ArtifactRule[] },
  own: ItemArtifacts,
  links: Map<string, ItemArtifacts>,
  report: StepReport,
  ctx: Context
): void {
  for (const kind of ['materials', 'products'] as const) {
    const result = applyRules({
      kind,
      rules: rules[kind],
      materials: own.materials,
      products: own.products,
      links,
    });
    report[kind] = { rules: rules[kind].length, trace: result.trace };
    if (!result.ok) throw ruleFailure(item, kind, result, own);
    for (const t of result.trace) {
      if (t.rule[0] === 'MATCH' && t.selected === 0 && artifactCount(own[kind]) > 0) {
        warnOrFail(
          ctx,
          `${item}: '${formatRule(t.rule)}' selected nothing in its ${kind}`,
          'check the pattern and the step name'
        );
      }
    }
  }
}

/** The environment an inspection runs with: only what a command needs to be found and to run. */
function inspectionEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const k of ['HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ'])
    if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

async function runInspection(
  insp: Inspection,
  ctx: Context,
  r: StepReport
): Promise<{ link: Link; returnValue: number }> {
  const cwd = ctx.options.cwd ?? process.cwd();
  // Under --deny-excludes inspections hide nothing but our own link files (SECURITY.md A-3).
  const rec = {
    basePath: cwd,
    onWarning: ctx.warn,
    excludePatterns: ctx.options.denyExcludes ? OWN_LINK_EXCLUDE_PATTERNS : undefined,
  };
  const materials = await recordArtifacts(['.'], rec);
  let result;
  try {
    result = await runCommand(insp.run, {
      cwd,
      env: inspectionEnv(),
      timeoutSeconds: ctx.options.inspectionTimeout ?? ctx.limits.inspectionTimeoutSeconds,
      stdout: ctx.options.inspectionStdout,
      stderr: ctx.options.inspectionStderr,
    });
  } catch (err) {
    if (err instanceof CommandNotFoundError || err instanceof CommandTimeoutError) {
      throw new InspectionError(`inspection ${insp.name}: ${err.message}`, { hint: err.hint });
    }
    // Anything else means the command could not be started at all (Node refuses an argument with
    // a NUL byte, for one): the inspection failed, rather than verifyLayout crashing.
    throw new InspectionError(`inspection ${insp.name} cannot be run: ${(err as Error).message}`, {
      hint: "check the inspection's run in the layout",
      cause: err,
    });
  }
  const products = await recordArtifacts(['.'], rec);
  const link = new Link({
    name: insp.name,
    materials: materials.artifacts,
    products: products.artifacts,
    byproducts: {
      stdout: result.stdout,
      stderr: result.stderr,
      'return-value': result.returnValue,
    },
    command: [...insp.run],
  });
  // Persisted unsigned as `<name>.link` in the working directory, like the reference.
  writeFileAtomic(join(cwd, `${insp.name}.link`), new Metablock(link.toJSON()).toFileBytes());
  r.return_value = result.returnValue;
  if (result.returnValue !== 0) {
    throw new InspectionError(
      `inspection ${insp.name}: ${insp.run.join(' ')} exited ${result.returnValue}`,
      { hint: 'the inspection found a problem: read its output above' }
    );
  }
  return { link, returnValue: result.returnValue };
}

// --- the pipeline -------------------------------------------------------------------------------------
function failureOf(err: VerificationError): FailureReport {
  const details = (
    err as VerificationError & {
      details?: { step: string; kind: string; rule: string[]; artifacts: FailedArtifact[] };
    }
  ).details;
  return { code: err.code, message: err.message, hint: err.hint, ...(details ?? {}) };
}

type InternalOptions = VerifyOptions & { isSublayout?: boolean };

async function verifyInternal(
  env: SignedMetadata,
  options: InternalOptions
): Promise<SublayoutResult> {
  const source = options.layoutPath ?? 'layout';
  const report: VerificationReport = {
    ok: false,
    layout: { path: options.layoutPath, keyids: options.layoutKeys.map((k) => k.keyID) },
    steps: [],
    inspections: [],
    warnings: [],
  };
  const limits = resolveLimits({
    ...options.limits,
    ...(options.inspectionTimeout !== undefined
      ? { inspectionTimeoutSeconds: options.inspectionTimeout }
      : {}),
  });
  const ctx: Context = {
    options,
    limits,
    report,
    warn: (m) => {
      report.warnings.push(m);
      options.onWarning?.(m);
    },
    deadline:
      limits.verifyTimeoutSeconds > 0 ? Date.now() + limits.verifyTimeoutSeconds * 1000 : Infinity,
    scratch: { buffer: Buffer.alloc(0) },
  };
  const summary: ItemArtifacts = { materials: {}, products: {} };
  try {
    if (options.layoutDigest && !options.isSublayout)
      checkLayoutDigest(options.layoutDigest.bytes, options.layoutDigest.expected, source);
    verifyLayoutSignatures(env, options.layoutKeys, source);
    if (env.payload._type !== 'layout')
      throw new EvidenceError(
        `${source} is not a layout (its _type is ${JSON.stringify(env.payload._type)})`
      );
    let layout: Layout;
    try {
      layout = Layout.fromJSON(env.payload, 'signed');
    } catch (err) {
      throw new EvidenceError(`${source}: ${(err as Error).message}`, {
        hint: (err as InTotoError).hint,
      });
    }
    report.layout.expires = layout.expires;
    verifyExpiry(layout, options.now ?? new Date(), source);
    if (options.params !== undefined) substituteLayout(layout, options.params);
    const v = validateLayout(layout, ctx);
    // Every step and inspection is in the report from here on: `ok` false without `failure` means
    // verification stopped before reaching it.
    const items = new Map<string, StepReport>();
    for (const step of layout.steps) {
      const r: StepReport = { name: step.name, type: 'step', ok: false, threshold: step.threshold };
      report.steps.push(r);
      items.set(step.name, r);
    }
    for (const insp of layout.inspect) {
      const r: StepReport = { name: insp.name, type: 'inspection', ok: false, command: insp.run };
      report.inspections.push(r);
      items.set(insp.name, r);
    }
    if (options.isSublayout && layout.inspect.length > 0 && !options.allowSublayoutInspections) {
      throw new VerificationError(
        `the sublayout has ${layout.inspect.length} inspection(s), which would run commands chosen by a functionary on this machine`,
        {
          hint: 'pass --allow-sublayout-inspections only if you trust that functionary',
        }
      );
    }
    const linkDir = options.linkDir ?? '.';
    const evidence = new Map<string, StepEvidence>();
    const stepLinks = new Map<string, ItemArtifacts>();
    for (const step of layout.steps) {
      const r = items.get(step.name)!;
      ctx.at = r;
      const e = await verifyStepLinks(step, v, linkDir, ctx, r);
      r.sublayout = e.sublayout;
      evidence.set(step.name, e);
      stepLinks.set(step.name, e.artifacts);
      checkDeadline(ctx);
    }
    ctx.at = undefined;
    // 7. command alignment: a warning (the reference's behaviour), a failure with --strict.
    for (const step of layout.steps) {
      const link = evidence.get(step.name)?.link;
      if (!link) continue;
      const cmd = link.command.map(String);
      ctx.at = items.get(step.name)!;
      ctx.at.command = cmd;
      if (
        step.expectedCommand.length &&
        JSON.stringify(cmd) !== JSON.stringify(step.expectedCommand)
      ) {
        warnOrFail(
          ctx,
          `step ${step.name}: ran ${JSON.stringify(cmd)}, the layout expects ${JSON.stringify(step.expectedCommand)}`
        );
      }
    }
    // 8. step rules, in layout order, against the step links only.
    for (const step of layout.steps) {
      const r = items.get(step.name)!;
      ctx.at = r;
      checkRules(step.name, v.rules.get(step.name)!, stepLinks.get(step.name)!, stepLinks, r, ctx);
      r.ok = true;
      checkDeadline(ctx);
    }
    // 9–10. inspections run (all first), then their rules see step links and every inspection.
    const all = new Map(stepLinks);
    const inspectionResults: { insp: Inspection; link: Link; r: StepReport }[] = [];
    for (const insp of layout.inspect) {
      const r = items.get(insp.name)!;
      ctx.at = r;
      const { link, returnValue } = await runInspection(insp, ctx, r);
      r.return_value = returnValue;
      all.set(insp.name, { materials: link.materials, products: link.products });
      inspectionResults.push({ insp, link, r });
    }
    for (const { insp, link, r } of inspectionResults) {
      ctx.at = r;
      checkRules(
        insp.name,
        v.rules.get(insp.name)!,
        { materials: link.materials, products: link.products },
        all,
        r,
        ctx
      );
      r.ok = true;
    }
    ctx.at = undefined;
    if (layout.steps.length) {
      summary.materials = stepLinks.get(layout.steps[0].name)!.materials;
      summary.products = stepLinks.get(layout.steps[layout.steps.length - 1].name)!.products;
    }
    report.ok = true;
  } catch (err) {
    if (err instanceof UsageError || !(err instanceof InTotoError)) throw err;
    report.failure =
      err instanceof VerificationError
        ? failureOf(err)
        : { code: err.code, message: err.message, hint: err.hint };
    // The step or inspection being checked when it failed carries the failure too (same object).
    if (ctx.at) {
      report.failure.step ??= ctx.at.name;
      ctx.at.failure = report.failure;
    }
  }
  return { report, summary };
}

/**
 * Verifies a supply chain against a signed layout. Returns a report (`ok` and, when not, `failure`);
 * throws only for the caller's own mistakes (UsageError).
 */
export async function verifyLayout(
  layout: SignedMetadata,
  options: VerifyOptions
): Promise<VerificationReport> {
  return (await verifyInternal(layout, options)).report;
}
