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

/** What to do when the layout given cannot be read (verify, run --verify-materials). */
export const LAYOUT_HINT =
  'check the path of the layout; the project owner makes it with intoto layout init and signs it with intoto layout sign';
