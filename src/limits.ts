/**
 * Resource limits for untrusted input (SECURITY.md C: endless-data and many-signatures DoS in
 * notation, cosign and rekor). One place for the defaults; every breach is a {@link LimitError}
 * naming the limit, the value seen and the option that raises it.
 */
import { LimitError } from './errors.js';

export interface Limits {
  /** Largest layout or link file read, in bytes (default 128 MiB). */
  maxMetadataBytes: number;
  /** Deepest nesting of JSON arrays/objects (default 64). */
  maxJSONDepth: number;
  /** Most artifacts (materials + products) in one link (default 1,000,000). */
  maxArtifactsPerLink: number;
  /** Most signatures in one envelope (default 64). */
  maxSignaturesPerEnvelope: number;
  /** Most link files considered for one step (default 1,024). */
  maxLinksPerStep: number;
  /** Seconds an inspection may run (default 60). */
  inspectionTimeoutSeconds: number;
  /** Seconds a whole verification may take, 0 = unlimited (default 0). */
  verifyTimeoutSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMetadataBytes: 128 * 1024 * 1024,
  maxJSONDepth: 64,
  maxArtifactsPerLink: 1_000_000,
  maxSignaturesPerEnvelope: 64,
  maxLinksPerStep: 1024,
  inspectionTimeoutSeconds: 60,
  verifyTimeoutSeconds: 0,
});

/** Fills unset fields with the defaults. */
export function resolveLimits(partial: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...partial };
}

/** Throws a {@link LimitError} when `value` exceeds `limit`. */
export function checkLimit(name: keyof Limits, value: number, limit: number, where: string): void {
  if (value > limit) {
    throw new LimitError(`${where}: ${value} exceeds the limit ${name} = ${limit}`, {
      where,
      hint: `raise it only for input you trust (library option limits.${name})`,
    });
  }
}
