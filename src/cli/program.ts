/**
 * Builds the commander program from the command modules and runs it inside the one error boundary
 * that maps error classes to exit codes (0 pass, 1 verification failed, 2 usage or input).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { reportError } from './output.js';
import { COMMANDS } from './commands/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Thrown by a command to end with a given exit code after it has printed its own result. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * The program for `argv`: when it starts with a command's name, with that command only (with all
 * of them, building the program took ~7 ms of each start; with `run` alone, ~4.5 ms); with all of
 * them for anything else (the overview, `help`, a mistyped command to suggest a name for).
 */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('intoto')
    .description('in-toto supply-chain integrity: record steps, author layouts, verify the chain')
    .version(`intoto ${version()}`, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  const named = argv.length > 0 && Object.hasOwn(COMMANDS, argv[0]) ? COMMANDS[argv[0]] : undefined;
  for (const register of named ? [named] : Object.values(COMMANDS)) register(program);
  program.commands.forEach(function override(cmd: Command): void {
    cmd.exitOverride();
    // commander reports a missing required option before an unknown one, so a mistyped flag
    // (`verify --layuot x`) read as "required option -l not specified". Required options are
    // checked after the unknown-option check instead (preAction runs after it).
    const required = cmd.options.filter((o) => o.mandatory);
    for (const o of required) o.mandatory = false;
    if (required.length > 0)
      cmd.hook('preAction', (hooked) => {
        for (const o of required)
          if (hooked.getOptionValue(o.attributeName()) === undefined)
            hooked.error(`error: required option '${o.flags}' not specified`, {
              code: 'commander.missingMandatoryOptionValue',
            });
      });
    cmd.commands.forEach(override);
  });
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. Never throws. */
export async function runCLI(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      // Help and version displays are not errors; every other commander error is bad usage.
      if (
        err.exitCode === 0 ||
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version'
      )
        return EXIT_OK;
      return EXIT_USAGE;
    }
    return reportError(err);
  }
}
