/**
 * `intoto run`: record one step — flag-compatible with in-toto-run (REFERENCE.md §2). Exits with the
 * wrapped command's own exit code (the reference exits 0), so `set -e` scripts stop on a failed step.
 */
import type { Command } from 'commander';
import { loadKeys } from '../keys.js';
import { info, warn } from '../output.js';
import { ExitCode } from '../program.js';
import {
  addRecordingOptions,
  progressReporter,
  recordingOptions,
  reportExcluded,
  type RecordingFlags,
} from '../recording.js';
import { LAYOUT_HINT, UsageErrorLike } from '../usage.js';

interface RunFlags extends RecordingFlags {
  stepName: string;
  key?: string;
  signingKey?: string;
  keyType?: string;
  password?: string | boolean;
  materials?: string[];
  products?: string[];
  recordStreams?: boolean;
  redactSecrets?: boolean;
  noCommand?: boolean;
  metadataDirectory?: string;
  useDsse?: boolean;
  runTimeout?: string;
  keyidFormat?: string;
  gpg?: unknown;
  quiet?: boolean;
  runId?: string;
  verifyMaterials?: string[];
  layout?: string;
  layoutKeys?: string[];
}

const short = (h: Record<string, string>) =>
  Object.entries(h)
    .map(([a, d]) => `${a} ${d.slice(0, 12)}`)
    .join(', ');

async function readLayout(path: string) {
  const lib = await import('../../index.js');
  const { readFileSync } = await import('node:fs');
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new lib.InputError(
      `${path}: cannot read the layout (${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : String((err as Error).message)})`,
      { hint: LAYOUT_HINT }
    );
  }
  return lib.parseMetadata(bytes, { source: path });
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'record a step: hash materials, run the command, hash products, write a signed link'
    )
    .usage('-n NAME -k KEY [options] -- COMMAND [ARGS...]')
    .requiredOption('-n, --step-name <name>', 'the step name (link file <name>.<keyid8>.link)')
    .option('-k, --key <path>', "the functionary's private key")
    .option('--signing-key <path>', 'alias of --key')
    .option('-t, --key-type <type>', 'rsa, ed25519 or ecdsa (detected when omitted)')
    .option('-P, --password [password]', 'password of an encrypted key (bare -P prompts)')
    .option('-m, --materials <paths...>', 'files and directories to record before the command')
    .option('-p, --products <paths...>', 'files and directories to record after the command')
    .option(
      '-s, --record-streams',
      "also record the command's stdout and stderr (they are always shown)"
    )
    .option(
      '--redact-secrets',
      'with -s: replace values of $*TOKEN*, $*PASSWORD*, … in the recorded output'
    )
    .option('-x, --no-command', 'run nothing, only record materials and products')
    .option('-d, --metadata-directory <dir>', 'where to write the link (created if missing)')
    .option('--use-dsse', 'write a DSSE envelope instead of a Metablock')
    .option(
      '--run-timeout <seconds>',
      'stop the command after this many seconds (default: no limit)'
    )
    .option('--keyid-format <format>', 'legacy (default) or new')
    .option('--run-id <id>', 'record this pipeline run id (for verify --require-run-id)')
    .option(
      '--verify-materials <links...>',
      'before running, check the materials against these upstream links: any difference stops the step'
    )
    .option(
      '--layout <path>',
      'with --verify-materials: the upstream links must be signed by functionaries of this layout'
    )
    .option('--layout-keys <paths...>', 'with --layout: owner keys that must have signed it')
    .option('-g, --gpg [id]', 'not supported (GPG signing)')
    .option('-q, --quiet', 'print only errors')
    .argument('[command...]', 'the command to run, after --');
  addRecordingOptions(cmd).action(async (command: string[], flags: RunFlags) => {
    if (flags.gpg !== undefined)
      throw new UsageErrorLike(
        'GPG keys are not supported',
        'use a PEM or securesystemslib key with -k'
      );
    const keyPath = flags.key ?? flags.signingKey;
    if (!keyPath) throw new UsageErrorLike('a signing key is required: -k/--key KEY');
    // commander turns -x/--no-command into command === false on the options object.
    const noCommand = (flags as { command?: boolean }).command === false;
    if (!noCommand && command.length === 0)
      throw new UsageErrorLike(
        'no command given: put it after "--", or pass -x to record without one'
      );
    const timeout = flags.runTimeout === undefined ? undefined : Number(flags.runTimeout);
    if (timeout !== undefined && !(timeout > 0))
      throw new UsageErrorLike(
        `--run-timeout must be a positive number of seconds, got ${flags.runTimeout}`
      );
    const lib = await import('../../index.js');
    // Hashing threads boot while the key loads, and hash from the first file found.
    if (flags.materials?.length) lib.prestartHashWorkers();
    const [key] = await loadKeys([keyPath], {
      keyType: flags.keyType,
      password: flags.password,
      keyidFormat: flags.keyidFormat,
    });
    if ((flags.layout || flags.layoutKeys) && !flags.verifyMaterials?.length)
      throw new UsageErrorLike('--layout and --layout-keys go with --verify-materials');
    if (flags.layoutKeys && !flags.layout) throw new UsageErrorLike('--layout-keys needs --layout');
    const upstream = flags.verifyMaterials?.length
      ? lib.loadUpstreamLinks(flags.verifyMaterials, {
          layout: flags.layout ? await readLayout(flags.layout) : undefined,
          layoutKeys: flags.layoutKeys ? await loadKeys(flags.layoutKeys, {}) : undefined,
        })
      : undefined;
    if (upstream && !flags.layout && !flags.quiet)
      warn(
        'the upstream links were not checked for signatures: pass --layout to require authorised functionaries'
      );
    // The layout names who may sign upstream links; unsigned-checked, it could name anyone.
    if (upstream && flags.layout && !flags.layoutKeys && !flags.quiet)
      warn("the layout's own signature was not checked: pass --layout-keys with the owner's key");
    const progress = progressReporter('hashing');
    const result = await lib
      .runStep({
        ...recordingOptions(flags),
        ...(flags.quiet ? { onWarning: () => undefined } : {}),
        name: flags.stepName,
        key,
        materials: flags.materials,
        products: flags.products,
        command: noCommand ? [] : command,
        recordStreams: flags.recordStreams,
        redactSecrets: flags.redactSecrets,
        useDSSE: flags.useDsse,
        runTimeout: timeout,
        metadataDirectory: flags.metadataDirectory,
        runId: flags.runId,
        upstream,
        onProgress: progress.onProgress,
        onPhase: (phase) => {
          if (phase !== 'command') return progress.phase(phase);
          progress.end();
          // Booted while the command runs, ready for its products.
          if (flags.products?.length) lib.prestartHashWorkers();
        },
        // Only recorded output must be piped (and teed back); otherwise the command keeps our
        // terminal, so colours and interactive prompts work as without intoto.
        ...(flags.recordStreams ? { stdout: process.stdout, stderr: process.stderr } : {}),
      })
      .catch((err: unknown) => {
        progress.end();
        if (err instanceof lib.MaterialsMismatchError) {
          // Every difference, so the functionary can see what was changed.
          for (const d of err.differences)
            process.stderr.write(
              `  ${d.path}: ${short(d.here)} here, ${short(d.upstream)} in ${d.source}\n`
            );
        }
        if (err instanceof lib.CommandNotFoundError) {
          process.stderr.write(`error: ${err.message}; no link written\n`);
          throw new ExitCode(127);
        }
        throw err;
      });
    progress.end();
    if (!flags.quiet) {
      reportExcluded(flags, result.materials, result.products);
      info(
        `wrote ${result.path} (${result.link.count('materials')} materials, ${result.link.count('products')} products${result.returnValue !== undefined ? `, command exited ${result.returnValue}` : ''})`
      );
    }
    if (result.returnValue !== undefined && result.returnValue !== 0)
      throw new ExitCode(
        result.returnValue > 0 ? Math.min(result.returnValue, 255) : 128 - result.returnValue
      );
  });
}
