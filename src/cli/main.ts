#!/usr/bin/env node
/**
 * The `intoto` command line: the single error boundary and the only place that sets the exit code.
 *
 * Start-up is kept small: `--version` answers before anything is loaded, and each command's module
 * loads the library (`../index.js`) only when that command runs.
 *
 * Exit codes: 0 pass, 1 verification failed, 2 bad usage or unreadable input.
 */
import { existsSync, readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
// A reader that stops early (`intoto verify --json | head -1`) closes the pipe: the rest of the
// output has nowhere to go, which is no error of the command — it finishes, and exits with its own
// code, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`intoto ${pkg.version}\n`);
} else {
  await prestartHashing();
  const { loadProgram } = await import('./bundle.js');
  const program = await loadProgram();
  const code = await program.runCLI(argv);
  // Everything the command does is done when runCLI returns: exit once what it printed is out,
  // rather than after the engine's end-of-run chores (a last garbage collection, the hashing
  // workers' teardown): ~20 ms of each run (medians here, a 1-file and a 20k-file run alike).
  let pending = 2;
  const exit = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', exit);
  process.stderr.write('', exit);
}

/**
 * For a command that will hash files (`run` or `record` with -m/-p), starts the hashing worker now
 * — its boot (~50–80 ms) then overlaps loading the program — and leaves it where the library's
 * hash pool takes it from (hash.ts, prestartHashWorkers). Unref'd: if nothing takes it, it keeps
 * nothing alive. Any failure just leaves the library to start its own.
 */
async function prestartHashing(): Promise<void> {
  if (argv[0] !== 'run' && argv[0] !== 'record') return;
  if (!argv.some((a) => /^(?:-[mp]|--materials|--products)$/.test(a))) return;
  try {
    const [{ Worker }, { availableParallelism }] = await Promise.all([
      import('node:worker_threads'),
      import('node:os'),
    ]);
    const script = new URL('./hash-worker.cjs', import.meta.url);
    // Only the build writes it; a worker started from a missing file would fail after being taken.
    if (availableParallelism() < 2 || !existsSync(script)) return;
    // As the library's newHashWorker (hash.ts): without the parent's flags if a worker refuses them.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    let worker: InstanceType<typeof Worker>;
    try {
      worker = new Worker(script, { execArgv });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
      worker = new Worker(script, { execArgv: [] });
    }
    worker.unref();
    const list = ((globalThis as Record<symbol, unknown>)[
      Symbol.for('intoto.prestartedHashWorkers')
    ] ??= []) as InstanceType<typeof Worker>[];
    const drop = () => list.splice(list.indexOf(worker) >>> 0, 1);
    worker.once('error', drop).once('exit', drop);
    list.push(worker);
  } catch {
    // no worker threads: the library decides
  }
}
