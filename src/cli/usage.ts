/**
 * A usage error raised by the CLI layer itself (before the library is loaded). The error boundary
 * treats it like the library's UsageError: one line, exit 2.
 */
export class UsageErrorLike extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** Collects repeated option values (`--param a=1 --param b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
