/**
 * `intoto match-products`: before building on them, check that the files here are the products of
 * the upstream link (SECURITY.md A-4, GHSA-p86f-xmg6-9q4x). Exit 0 equal, 1 different, 2 unreadable.
 */
import type { Command } from 'commander';
import { outChalk } from '../output.js';
import { ExitCode } from '../program.js';
import { addRecordingOptions, recordingOptions, type RecordingFlags } from '../recording.js';

interface Flags extends RecordingFlags {
  link: string;
  paths?: string[];
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('match-products')
    .description("check that local files are exactly a link's products (exit 1 on any difference)")
    .requiredOption('-l, --link <path>', 'the upstream link')
    .option('-p, --paths <paths...>', 'files and directories to compare (default .)')
    .option('--json', 'print the differences as JSON');
  addRecordingOptions(cmd).action(async (flags: Flags) => {
    const lib = await import('../../index.js');
    const { readFileSync } = await import('node:fs');
    let bytes: Buffer;
    try {
      bytes = readFileSync(flags.link);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new lib.InputError(
        `${flags.link}: cannot read the link (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? String(err))})`,
        { hint: "pass the upstream step's link file with -l (named <step>.<keyid8>.link)" }
      );
    }
    const env = lib.parseMetadata(bytes, { source: flags.link });
    const link = lib.Link.fromJSON(env.payload, flags.link);
    const r = await lib.matchProducts(link, { ...recordingOptions(flags), paths: flags.paths });
    const same = !r.onlyInLink.length && !r.onlyOnDisk.length && !r.differ.length;
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: same, only_in_link: r.onlyInLink, only_on_disk: r.onlyOnDisk, differ: r.differ }, null, 2)}\n`
      );
    } else if (same) {
      process.stdout.write(
        `${outChalk.green('✓')} the files match the products of ${flags.link} (${Object.keys(link.products).length} artifacts)\n`
      );
    } else {
      for (const p of r.onlyInLink) process.stdout.write(`only in link:  ${p}\n`);
      for (const p of r.onlyOnDisk) process.stdout.write(`only on disk:  ${p}\n`);
      for (const d of r.differ) {
        // The entries that differ, so a mode-only change (--record-mode, SECURITY.md A-5) shows as
        // `mode 0755` vs `mode 4755` rather than as two equal sha256 prefixes.
        const keys = [...new Set([...Object.keys(d.link), ...Object.keys(d.disk)])];
        const changed = keys.filter((k) => d.link[k] !== d.disk[k]);
        const short = (v: string) => (v.length > 16 ? `${v.slice(0, 16)}…` : v);
        const side = (h: Record<string, string>) =>
          changed.map((k) => `${k} ${h[k] === undefined ? '-' : short(h[k])}`).join(', ');
        process.stdout.write(
          `differs:       ${d.path}  link ${side(d.link)}  disk ${side(d.disk)}\n`
        );
      }
      process.stderr.write(
        `FAILED: the files here are not the products of ${flags.link}; do not build on them\n`
      );
    }
    if (!same) throw new ExitCode(1);
  });
}
