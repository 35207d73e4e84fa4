/** `intoto record start|stop`: a step recorded in two halves, as in-toto-record (REFERENCE.md §2). */
import type { Command } from 'commander';
import { loadKeys } from '../keys.js';
import { info } from '../output.js';
import {
  addRecordingOptions,
  progressReporter,
  recordingOptions,
  reportExcluded,
  type RecordingFlags,
} from '../recording.js';
import { UsageErrorLike } from '../usage.js';

interface RecordFlags extends RecordingFlags {
  stepName: string;
  key?: string;
  signingKey?: string;
  keyType?: string;
  password?: string | boolean;
  materials?: string[];
  products?: string[];
  metadataDirectory?: string;
  useDsse?: boolean;
  keyidFormat?: string;
  command?: string;
  byproductsFrom?: string;
  quiet?: boolean;
  runId?: string;
}

function common(cmd: Command): Command {
  return addRecordingOptions(
    cmd
      .requiredOption('-n, --step-name <name>', 'the step name')
      .option('-k, --key <path>', "the functionary's private key")
      .option('--signing-key <path>', 'alias of --key')
      .option('-t, --key-type <type>', 'rsa, ed25519 or ecdsa (detected when omitted)')
      .option('-P, --password [password]', 'password of an encrypted key (bare -P prompts)')
      .option('--use-dsse', 'write a DSSE envelope')
      .option('--keyid-format <format>', 'legacy (default) or new')
      .option('-q, --quiet', 'print only errors')
  );
}

async function key(flags: RecordFlags) {
  const path = flags.key ?? flags.signingKey;
  if (!path) throw new UsageErrorLike('a signing key is required: -k/--key KEY');
  const [k] = await loadKeys([path], {
    keyType: flags.keyType,
    password: flags.password,
    keyidFormat: flags.keyidFormat,
  });
  return k;
}

export function register(program: Command): void {
  const record = program
    .command('record')
    .description('record a step in two halves: start (materials) and stop (products)');
  common(record.command('start').description('record materials and write a hidden unfinished link'))
    .option('-m, --materials <paths...>', 'files and directories to record')
    .option('--run-id <id>', 'record this pipeline run id (for verify --require-run-id)')
    .action(async (flags: RecordFlags) => {
      const lib = await import('../../index.js');
      if (flags.materials?.length) lib.prestartHashWorkers(); // booting while the key loads
      const progress = progressReporter('hashing materials');
      const r = await lib
        .recordStart({
          ...recordingOptions(flags),
          onProgress: progress.onProgress,
          name: flags.stepName,
          key: await key(flags),
          materials: flags.materials,
          useDSSE: flags.useDsse,
          runId: flags.runId,
        })
        .finally(progress.end);
      if (!flags.quiet) {
        reportExcluded(flags, r.materials);
        info(
          `recorded ${r.materials.sorted.size} materials in ${r.path}; run "intoto record stop -n ${flags.stepName}" when the step is done`
        );
      }
    });
  common(record.command('stop').description('record products, sign and write the link'))
    .option('-p, --products <paths...>', 'files and directories to record')
    .option('-d, --metadata-directory <dir>', 'where to write the link (created if missing)')
    .option(
      '--command <command>',
      'the command that ran between start and stop (recorded, shell-style split)'
    )
    .option('--byproducts-from <file>', 'record this file as the step output')
    .action(async (flags: RecordFlags) => {
      const lib = await import('../../index.js');
      if (flags.products?.length) lib.prestartHashWorkers(); // booting while the key loads
      const progress = progressReporter('hashing products');
      const r = await lib
        .recordStop({
          ...recordingOptions(flags),
          onProgress: progress.onProgress,
          name: flags.stepName,
          key: await key(flags),
          products: flags.products,
          metadataDirectory: flags.metadataDirectory,
          command: flags.command ? lib.shlexSplit(flags.command) : undefined,
          byproductsFrom: flags.byproductsFrom,
          useDSSE: flags.useDsse,
        })
        .finally(progress.end);
      if (!flags.quiet) {
        reportExcluded(flags, r.products);
        info(
          `wrote ${r.path} (${Object.keys(r.link.materials).length} materials, ${Object.keys(r.link.products).length} products)`
        );
      }
    });
}
