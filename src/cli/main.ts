#!/usr/bin/env node
/**
 * The `intoto` command line: the single error boundary and the only place that sets the exit code.
 *
 * Start-up is kept small: `--version` answers before anything is loaded, and each command's module
 * loads the library (`../index.js`) only when that command runs.
 *
 * Exit codes: 0 pass, 1 verification failed, 2 bad usage or unreadable input.
 */
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`intoto ${pkg.version}\n`);
} else {
  const { runCLI } = await import('./program.js');
  process.exitCode = await runCLI(argv);
}
