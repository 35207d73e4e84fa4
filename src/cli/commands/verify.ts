/**
 * `intoto verify`: the release gate, flag-compatible with in-toto-verify (REFERENCE.md §2).
 * Exit 0 pass, 1 the chain failed (including malformed or missing evidence), 2 bad invocation or an
 * unreadable layout/key file of the verifier's own.
 */
import type { Command } from 'commander';
import type { StepReport, VerificationReport } from '../../index.js';
import { loadKeys } from '../keys.js';
import { errChalk, outChalk, setQuiet, warn } from '../output.js';
import { ExitCode } from '../program.js';
import { collect, LAYOUT_HINT, UsageErrorLike } from '../usage.js';

interface VerifyFlags {
  layout: string;
  layoutKeys?: string[];
  verificationKeys?: string[];
  keyTypes?: string[];
  linkDir?: string;
  param?: string[];
  json?: boolean;
  strict?: boolean;
  inspectionTimeout?: string;
  allowSublayoutInspections?: boolean;
  allowEmptyLayout?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  gpg?: unknown;
  expectLayoutDigest?: string;
  requireRunId?: string;
  denyExcludes?: boolean;
}

const short = (h?: Record<string, string>) =>
  h
    ? Object.entries(h)
        .map(([a, d]) => `${a} ${d.slice(0, 12)}…`)
        .join(', ')
    : '(none)';

/** One line per step or inspection, then (on failure or with -v) what explains it. */
function printStep(s: StepReport, verbose: boolean, indent = ''): void {
  const out = process.stdout;
  // ✓ passed, ✗ where verification stopped, · not checked (verification stopped earlier).
  const mark = s.ok ? outChalk.green('✓') : s.failure ? outChalk.red('✗') : outChalk.dim('·');
  const counted = s.links?.filter((l) => l.status === 'counted').length ?? 0;
  const detail =
    s.type === 'step'
      ? `${counted}/${s.threshold} link${s.threshold === 1 ? '' : 's'}${s.signers?.length ? `, signed by ${s.signers.map((k) => k.slice(0, 8)).join(', ')}` : ''}${s.sublayout ? ' (sublayout)' : ''}`
      : `inspection: ${(s.command ?? []).join(' ')}${s.return_value !== undefined ? ` (exit ${s.return_value})` : ''}`;
  const state = s.ok || s.failure ? '' : ' — not checked';
  out.write(`${indent}${mark} ${s.name.padEnd(18)} ${outChalk.dim(detail + state)}\n`);
  const failed = !!s.failure;
  for (const l of s.links ?? []) {
    if (l.status === 'counted' ? verbose : verbose || (failed && l.status === 'rejected'))
      out.write(
        `${indent}    ${l.file}: ${l.status}${l.reason ? ` — ${l.reason}` : ''}${l.status === 'counted' ? ` (${l.keyid.slice(0, 8)})` : ''}\n`
      );
  }
  // The rule trace: every list with -v; on failure the list that failed, up to the failing rule.
  for (const kind of ['materials', 'products'] as const) {
    const list = s[kind];
    if (!list || !(verbose || (failed && s.failure?.kind === kind))) continue;
    for (const t of list.trace) {
      const hit = failed && s.failure?.kind === kind && t === list.trace[list.trace.length - 1];
      const line = `${kind} rule ${t.index + 1}: ${t.rule.join(' ')} → selected ${t.selected}, consumed ${t.consumed}, ${t.queueAfter} left`;
      out.write(`${indent}    ${hit ? outChalk.red(line) : outChalk.dim(line)}\n`);
    }
  }
  if (s.sublayout)
    for (const sub of [...s.sublayout.steps, ...s.sublayout.inspections])
      printStep(sub, verbose, `${indent}    `);
}

function printReport(report: VerificationReport, flags: VerifyFlags): void {
  const f = report.failure;
  if (flags.quiet) {
    if (f) {
      process.stderr.write(`${errChalk.red('FAILED:')} ${f.message}\n`);
      if (f.hint) process.stderr.write(`  ${errChalk.dim('hint:')} ${f.hint}\n`);
    }
    return;
  }
  if (flags.verbose && report.layout.expires)
    process.stdout.write(`  the layout expires ${report.layout.expires}\n`);
  for (const s of [...report.steps, ...report.inspections]) printStep(s, !!flags.verbose);
  for (const w of report.warnings) warn(w);
  if (!f) {
    process.stdout.write(
      `${outChalk.green('PASSED:')} the supply chain verified (${report.steps.length} step${report.steps.length === 1 ? '' : 's'}, ${report.inspections.length} inspection${report.inspections.length === 1 ? '' : 's'})${report.warnings.length ? `, ${report.warnings.length} warning(s)` : ''}\n`
    );
    return;
  }
  for (const a of f.artifacts ?? []) {
    process.stderr.write(`    ${a.path}: ${short(a.here)} here`);
    if (a.explanation)
      process.stderr.write(`; ${a.explanation}${a.there ? `: ${short(a.there)}` : ''}`);
    process.stderr.write('\n');
  }
  process.stderr.write(`${errChalk.red('FAILED:')} ${f.message}\n`);
  if (f.hint) process.stderr.write(`  ${errChalk.dim('hint:')} ${f.hint}\n`);
}

export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'verify a supply chain: the layout, its links, their signatures, the artifact rules and inspections'
    )
    .requiredOption('-l, --layout <path>', 'the signed layout')
    .option(
      '-k, --layout-keys <paths...>',
      'public keys of the project owner (every one must have signed the layout)'
    )
    .option('--verification-keys <paths...>', 'alias of --layout-keys (in-toto >= 2.2)')
    .option('-t, --key-types <types...>', 'rsa, ed25519 or ecdsa per key (detected when omitted)')
    .option('--link-dir <dir>', 'where the links are (default .)')
    .option('--param <NAME=VALUE>', 'substitute {NAME} in the layout (repeatable)', collect)
    .option('--json', 'print the report as JSON on stdout')
    .option(
      '--strict',
      'fail on warnings: command mismatch, rule lists without a final DISALLOW, a MATCH that selected nothing'
    )
    .option('--inspection-timeout <seconds>', 'seconds an inspection may run (default 60)')
    .option(
      '--allow-sublayout-inspections',
      'run inspections of sublayouts (signed by a functionary, not the owner)'
    )
    .option('--allow-empty-layout', 'accept a layout with no steps and no inspections')
    .option(
      '--expect-layout-digest <sha256:hex>',
      "pin the layout: its file's sha256 must be this (stops replay of an older signed layout)"
    )
    .option(
      '--require-run-id <id>',
      'every link must record this run id (intoto run --run-id): stops replay of old links'
    )
    .option(
      '--deny-excludes',
      'fail links recorded with exclude patterns other than our own link files (record with --exclude-only-links)'
    )
    .option('-v, --verbose', 'show every link and rule')
    .option('-q, --quiet', 'print nothing but errors')
    .option('-g, --gpg <ids...>', 'not supported (GPG keys)')
    .action(async (flags: VerifyFlags) => {
      if (flags.gpg !== undefined)
        throw new UsageErrorLike(
          'GPG keys are not supported',
          'pass PEM or securesystemslib public keys with -k'
        );
      if (flags.verbose && flags.quiet) throw new UsageErrorLike('-v and -q cannot be combined');
      const keyPaths = [...(flags.layoutKeys ?? []), ...(flags.verificationKeys ?? [])];
      if (keyPaths.length === 0)
        throw new UsageErrorLike('give the project owner public key(s) with -k/--layout-keys');
      let params: Record<string, string> | undefined;
      for (const p of flags.param ?? []) {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new UsageErrorLike(`--param takes NAME=VALUE, got ${JSON.stringify(p)}`);
        params = { ...params, [p.slice(0, eq)]: p.slice(eq + 1) };
      }
      const timeout =
        flags.inspectionTimeout === undefined ? undefined : Number(flags.inspectionTimeout);
      if (timeout !== undefined && !(timeout > 0))
        throw new UsageErrorLike(
          `--inspection-timeout must be a positive number of seconds, got ${flags.inspectionTimeout}`
        );
      if (
        flags.expectLayoutDigest !== undefined &&
        !/^(sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128})$/.test(flags.expectLayoutDigest)
      )
        throw new UsageErrorLike(
          `--expect-layout-digest takes sha256:<64 hex digits>, got ${JSON.stringify(flags.expectLayoutDigest)}`,
          'compute it with: sha256sum root.layout'
        );
      if (flags.quiet) setQuiet(true);
      const lib = await import('../../index.js');
      const { readFileSync, statSync } = await import('node:fs');
      let bytes: Buffer;
      try {
        if (statSync(flags.layout).size > lib.DEFAULT_LIMITS.maxMetadataBytes)
          throw new lib.InputError(
            `${flags.layout}: larger than ${lib.DEFAULT_LIMITS.maxMetadataBytes} bytes`
          );
        bytes = readFileSync(flags.layout);
      } catch (err) {
        if (err instanceof lib.InTotoError) throw err;
        throw new lib.InputError(
          `${flags.layout}: cannot read the layout (${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : String((err as Error).message)})`,
          { hint: LAYOUT_HINT }
        );
      }
      const keys = await loadKeys(keyPaths, { keyType: flags.keyTypes });
      let report: VerificationReport;
      // The header comes first: inspections may print while verification runs.
      if (!flags.json && !flags.quiet)
        process.stdout.write(
          `${outChalk.bold('Verifying')} ${flags.layout} with key ${keys.map((k) => k.keyID.slice(0, 8)).join(', ')}\n`
        );
      try {
        // SECURITY.md A-7: the pin comes first, before the served bytes are even parsed.
        if (flags.expectLayoutDigest !== undefined)
          lib.checkLayoutDigest(bytes, flags.expectLayoutDigest, flags.layout);
        const env = lib.parseMetadata(bytes, { source: flags.layout });
        report = await lib.verifyLayout(env, {
          layoutKeys: keys,
          linkDir: flags.linkDir,
          params,
          strict: flags.strict,
          inspectionTimeout: timeout,
          allowSublayoutInspections: flags.allowSublayoutInspections,
          allowEmptyLayout: flags.allowEmptyLayout,
          layoutPath: flags.layout,
          requireRunId: flags.requireRunId,
          denyExcludes: flags.denyExcludes,
          // Keep stdout for the JSON document: inspection output goes to stderr then.
          inspectionStdout: flags.json || flags.quiet ? process.stderr : undefined,
        });
      } catch (err) {
        const failed = (failure: VerificationReport['failure']): VerificationReport => ({
          ok: false,
          layout: { path: flags.layout, keyids: keys.map((k) => k.keyID) },
          steps: [],
          inspections: [],
          warnings: [],
          failure,
        });
        if (err instanceof lib.VerificationError && err.code === 'LAYOUT_DIGEST_MISMATCH')
          report = failed({ code: err.code, message: err.message, hint: err.hint });
        else if (err instanceof lib.FormatError || err instanceof lib.LimitError)
          report = failed({
            code: 'EVIDENCE_ERROR',
            message: err.message,
            hint: 'the layout file is corrupt or hostile',
          });
        else throw err;
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report, flags);
      if (!report.ok) throw new ExitCode(1);
    });
}
