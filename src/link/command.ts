/**
 * Running a step's command: argv only (no shell), stdin inherited, stdout/stderr always reaching the
 * terminal live. With `recordStreams` the output is also captured, with newlines normalised as the
 * reference's text-mode reading does (`\r\n` and `\r` → `\n`, REFERENCE.md §4). No timeout unless
 * one is asked for: a build must not be killed after the reference's 10 seconds.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { InTotoError, type ErrorOptions } from '../errors.js';

/** The command could not be started (exit 127 in the CLI, as a shell would). */
export class CommandNotFoundError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('COMMAND_NOT_FOUND', message, options);
  }
}

/** The command ran past its timeout and was killed. */
export class CommandTimeoutError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('COMMAND_TIMEOUT', message, options);
  }
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Kill the command after this many seconds: SIGTERM to its whole process group, SIGKILL 5 s later.
   * With a timeout the command runs in its own session (so the group can be killed, children
   * included); it then has no controlling terminal, and SIGINT/SIGTERM/SIGHUP sent to us are
   * forwarded to its group.
   */
  timeoutSeconds?: number;
  /** Capture stdout/stderr (newlines normalised) as well as passing them on. */
  recordStreams?: boolean;
  /**
   * Where the command's output goes live when it has to be piped (when recording, or when given).
   * Without a sink the command writes straight to our file descriptors (inherited), which keeps a
   * terminal a terminal for it; when recording without a sink the output is only captured. The
   * library never writes to process.stdout itself: the CLI passes process.stdout/stderr.
   */
  stdout?: Writable;
  stderr?: Writable;
  /** Pass the command's output on (default true); false discards what is not captured. */
  passThrough?: boolean;
}

export interface CommandResult {
  /** Exit code, or the negative signal number when killed by a signal (as Python reports it). */
  returnValue: number;
  stdout: string;
  stderr: string;
}

/** `\r\n` and lone `\r` → `\n`, as Python's universal newlines. */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/**
 * How long to keep reading the pipes after the command itself exited. Python returns when the
 * process exits; a background child still holding the pipes must not keep us waiting forever.
 */
const DRAIN_GRACE_MS = 200;

/** Milliseconds from SIGTERM to SIGKILL on timeout. */
const KILL_GRACE_MS = 5000;

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Signals a whole process group; a group that is already gone is not an error. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: every member has exited already.
  }
}

/** Runs `argv` and resolves with its exit status. @throws CommandNotFoundError, CommandTimeoutError */
export function runCommand(
  argv: readonly string[],
  options: RunCommandOptions = {}
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined || file === '')
    return Promise.reject(new CommandNotFoundError('no command given'));
  const capture = options.recordStreams ?? false;
  const pass = options.passThrough ?? true;
  const timeoutSeconds =
    options.timeoutSeconds !== undefined && options.timeoutSeconds > 0
      ? options.timeoutSeconds
      : undefined;
  // A stream is piped when we must see it (capture, a sink) or drop it; otherwise it is inherited.
  const mode = (sink: Writable | undefined): 'pipe' | 'inherit' | 'ignore' =>
    capture || (pass && sink) ? 'pipe' : pass ? 'inherit' : 'ignore';
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['inherit', mode(options.stdout), mode(options.stderr)],
      // Its own process group, so a timeout can stop grandchildren too (`sh -c 'make'`).
      detached: timeoutSeconds !== undefined,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const tee = (
      stream: NodeJS.ReadableStream | null,
      sink: Writable | undefined,
      into: Buffer[]
    ): void => {
      stream?.on('data', (chunk: Buffer) => {
        if (capture) into.push(chunk);
        if (pass) sink?.write(chunk);
      });
    };
    tee(child.stdout, options.stdout, out);
    tee(child.stderr, options.stderr, err);

    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    // Detached, the command no longer gets the terminal's Ctrl-C: pass such signals on, then let
    // them take their default course on us (no link is written for an interrupted step).
    const forward = (signal: NodeJS.Signals): void => {
      killGroup(child.pid, signal);
      cleanup();
      process.kill(process.pid, signal);
    };
    const cleanup = (): void => {
      for (const t of timers) clearTimeout(t);
      if (timeoutSeconds !== undefined)
        for (const s of FORWARDED) process.removeListener(s, forward);
    };
    let exitStatus: [number | null, NodeJS.Signals | null] = [null, 'SIGKILL'];
    if (timeoutSeconds !== undefined) {
      for (const s of FORWARDED) process.on(s, forward);
      timers.push(
        setTimeout(() => {
          timedOut = true;
          killGroup(child.pid, 'SIGTERM');
          timers.push(
            setTimeout(() => {
              killGroup(child.pid, 'SIGKILL');
              timers.push(setTimeout(() => finish(...exitStatus), DRAIN_GRACE_MS));
            }, KILL_GRACE_MS)
          );
        }, timeoutSeconds * 1000)
      );
    }

    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      cleanup();
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (timedOut) {
        reject(
          new CommandTimeoutError(
            `${argv.join(' ')} ran longer than ${timeoutSeconds} s and was stopped`,
            { hint: 'raise --run-timeout or drop it' }
          )
        );
        return;
      }
      resolve({
        returnValue: code ?? -signalNumber(signal ?? 'SIGKILL'),
        stdout: capture ? normalizeNewlines(Buffer.concat(out).toString('utf8')) : '',
        stderr: capture ? normalizeNewlines(Buffer.concat(err).toString('utf8')) : '',
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        reject(
          new CommandNotFoundError(
            `command not found: ${file}${e.code === 'EACCES' ? ' (not executable)' : ''}`,
            { hint: 'check the command after "--" and your PATH', cause: e }
          )
        );
      } else reject(e);
    });
    // 'close' = exited and both pipes at EOF. If something the command left running in the
    // background still holds the pipes, stop reading shortly after the command itself exited.
    child.on('close', finish);
    child.on('exit', (code, signal) => {
      exitStatus = [code, signal];
      // After a timeout the group gets until the SIGKILL to let go of the pipes.
      if (!timedOut) timers.push(setTimeout(() => finish(code, signal), DRAIN_GRACE_MS));
    });
  });
}
