/**
 * Error classes of the library. One base class, subclassed by *who is at fault*, so the CLI's single
 * error boundary can map a class to an exit code without string matching:
 *
 * - {@link VerificationError} and its subclasses: the supply chain failed verification (exit 1) —
 *   including malformed, hostile or missing evidence (layout or link content, a bad signature).
 * - {@link UsageError}, {@link InputError}, {@link FormatError}, {@link KeyError}, {@link RecordError}:
 *   the invocation is wrong or an input cannot be used (exit 2).
 *
 * Every error carries a machine-readable `code` and may carry a `hint` (what to do next), which the CLI
 * prints under the message.
 */

export interface ErrorOptions {
  cause?: unknown;
  /** What the person should do next; one short sentence. */
  hint?: string;
  /** Where the problem is: a file name, a JSON path, a step name. */
  where?: string;
}

export class InTotoError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly where: string | undefined;

  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.where = options.where;
  }
}

/** The command line itself is wrong (unknown flag, missing argument, conflicting options). */
export class UsageError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('USAGE_ERROR', message, options);
  }
}

/** An input the caller owns cannot be read or used (missing file, unreadable directory). */
export class InputError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('INPUT_ERROR', message, options);
  }
}

/**
 * Data is not well-formed: invalid JSON, a duplicate key, a float where canonical JSON needs an
 * integer, a field of the wrong type. `path` is the JSON path of the offending value
 * (e.g. `signed.steps[2].threshold`) when known.
 */
export class FormatError extends InTotoError {
  readonly path: string | undefined;
  constructor(message: string, options: ErrorOptions & { path?: string } = {}) {
    super('FORMAT_ERROR', message, options);
    this.path = options.path;
  }
}

/** A key cannot be loaded or used: malformed, encrypted without a password, wrong password, unsupported. */
export class KeyError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('KEY_ERROR', message, options);
  }
}

/** Recording artifacts failed (unreadable file, conflicting lstrip prefixes, a path collision). */
export class RecordError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('RECORD_ERROR', message, options);
  }
}

/** A configured limit was exceeded (file size, JSON depth, artifacts per link, …). */
export class LimitError extends InTotoError {
  constructor(message: string, options?: ErrorOptions) {
    super('LIMIT_ERROR', message, options);
  }
}

/** The supply chain failed verification. Subclasses say which check failed. */
export class VerificationError extends InTotoError {
  constructor(message: string, options?: ErrorOptions, code = 'VERIFICATION_ERROR') {
    super(code, message, options);
  }
}

export class SignatureVerificationError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'SIGNATURE_VERIFICATION_ERROR');
  }
}

export class LayoutExpiredError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'LAYOUT_EXPIRED');
  }
}

export class LinkNotFoundError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'LINK_NOT_FOUND');
  }
}

export class ThresholdVerificationError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'THRESHOLD_VERIFICATION_ERROR');
  }
}

export class RuleVerificationError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'RULE_VERIFICATION_ERROR');
  }
}

export class InspectionError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'INSPECTION_ERROR');
  }
}

/**
 * `intoto run --verify-materials`: a material differs from what the upstream step produced, so the
 * command was not run (SECURITY.md A-4).
 */
export class MaterialsMismatchError extends VerificationError {
  /** Each material that differs, with both hash dicts. */
  readonly differences: readonly {
    path: string;
    source: string;
    upstream: Record<string, string>;
    here: Record<string, string>;
  }[];
  constructor(
    message: string,
    differences: MaterialsMismatchError['differences'],
    options?: ErrorOptions
  ) {
    super(message, options, 'MATERIALS_MISMATCH');
    this.differences = differences;
  }
}

/** Evidence (a layout or link) is malformed or hostile: verification fails (exit 1), not a usage error. */
export class EvidenceError extends VerificationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'EVIDENCE_ERROR');
  }
}
