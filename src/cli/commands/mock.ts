/** `intoto mock`: an unsigned `<name>.link` recording `.` before and after the command (in-toto-mock). */
import type { Command } from 'commander';
import { info, warn } from '../output.js';
import { ExitCode } from '../program.js';
import { UsageErrorLike } from '../usage.js';

export function register(program: Command): void {
  program
    .command('mock')
    .description(
      'try a step without keys: records . before and after, writes an unsigned <name>.link'
    )
    .requiredOption('-n, --name <name>', 'the step name')
    .option('--use-dsse', 'write a DSSE envelope')
    .argument('[command...]', 'the command to run, after --')
    .action(async (command: string[], flags: { name: string; useDsse?: boolean }) => {
      if (command.length === 0) throw new UsageErrorLike('no command given: put it after "--"');
      const lib = await import('../../index.js');
      const r = await lib
        .runStep({
          name: flags.name,
          materials: ['.'],
          products: ['.'],
          command,
          recordStreams: true,
          recordEnvironment: false, // byte-identical to in-toto-mock
          useDSSE: flags.useDsse,
          stdout: process.stdout,
          stderr: process.stderr,
          onWarning: (m) => warn(m),
        })
        .catch((err: unknown) => {
          if (err instanceof lib.CommandNotFoundError) {
            process.stderr.write(`error: ${err.message}; no link written\n`);
            throw new ExitCode(127);
          }
          throw err;
        });
      info(
        `wrote ${r.path} (unsigned; ${Object.keys(r.link.materials).length} materials, ${Object.keys(r.link.products).length} products)`
      );
      if (r.returnValue)
        throw new ExitCode(r.returnValue > 0 ? Math.min(r.returnValue, 255) : 128 - r.returnValue);
    });
}
