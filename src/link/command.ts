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
  /** Kill the command after this many seconds (SIGTERM, then SIGKILL 5 s later). */
  timeoutSeconds?: number;
  /** Capture stdout/stderr as well as passing them through. */
  recordStreams?: boolean;
  /** Where the command's output goes live (default: inherited file descriptors). */
  stdout?: Writable;
  stderr?: Writable;
  /** Pass the command's output through (default true). */
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
  const piped = capture || options.stdout !== undefined || options.stderr !== undefined || !pass;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['inherit', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'],
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
    tee(child.stdout, options.stdout ?? process.stdout, out);
    tee(child.stderr, options.stderr ?? process.stderr, err);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutSeconds !== undefined && options.timeoutSeconds > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }, options.timeoutSeconds * 1000);
    }
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        reject(
          new CommandNotFoundError(
            `command not found: ${file}${e.code === 'EACCES' ? ' (not executable)' : ''}`,
            {
              hint: 'check the command after "--" and your PATH',
              cause: e,
            }
          )
        );
      } else reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) {
        reject(
          new CommandTimeoutError(
            `${argv.join(' ')} ran longer than ${options.timeoutSeconds} s and was stopped`,
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
    });
  });
}
