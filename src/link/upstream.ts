/**
 * Upstream links for `intoto run --verify-materials` (SECURITY.md A-4, GHSA-p86f-xmg6-9q4x): a
 * functionary checks what it is about to build on before its command runs, instead of leaving it to
 * the final verification — by then a tampered input may already have run code on the build machine.
 */
import { readFileSync } from 'node:fs';
import {
  EvidenceError,
  FormatError,
  InputError,
  LimitError,
  SignatureVerificationError,
} from '../errors.js';
import { Key } from '../crypto/index.js';
import { Layout, Link, parseMetadata, type SignedMetadata } from '../metadata/index.js';
import type { UpstreamLink } from './run.js';

export interface LoadUpstreamOptions {
  /**
   * The layout: each upstream link must be a link of one of its steps, validly signed by a key the
   * layout authorises for that step. Without it the links are taken as they are.
   */
  layout?: SignedMetadata;
  /** The owner keys: when given, every one must have signed the layout. */
  layoutKeys?: readonly Key[];
}

function readLink(path: string): SignedMetadata {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(
      `${path}: cannot read the upstream link (${(err as { code?: string }).code ?? String(err)})`
    );
  }
  try {
    return parseMetadata(bytes, { source: path });
  } catch (err) {
    if (err instanceof FormatError || err instanceof LimitError)
      throw new EvidenceError(`${path} is not valid metadata: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Reads upstream links and, with a layout, checks who signed them.
 * @throws InputError (unreadable file), EvidenceError / SignatureVerificationError (exit 1)
 */
export function loadUpstreamLinks(
  paths: readonly string[],
  options: LoadUpstreamOptions = {}
): UpstreamLink[] {
  let layout: Layout | undefined;
  if (options.layout) {
    for (const key of options.layoutKeys ?? []) {
      if (options.layout.verifySignature(key) !== 'valid')
        throw new SignatureVerificationError(
          `the layout is not validly signed by key ${key.keyID.slice(0, 8)}`,
          { hint: 'check that the layout and the owner key are the ones of this project' }
        );
    }
    if (options.layout.payload._type !== 'layout')
      throw new EvidenceError('the file given with --layout is not a layout');
    try {
      layout = Layout.fromJSON(options.layout.payload, 'signed');
    } catch (err) {
      throw new EvidenceError(`the layout is malformed: ${(err as Error).message}`);
    }
  }
  return paths.map((path) => {
    const env = readLink(path);
    if (env.payload._type !== 'link')
      throw new EvidenceError(
        `${path} is not a link (its _type is ${JSON.stringify(env.payload._type)})`
      );
    let link: Link;
    try {
      link = Link.fromJSON(env.payload, path);
    } catch (err) {
      throw new EvidenceError(`${path}: ${(err as Error).message}`);
    }
    if (layout) {
      const step = layout.steps.find((s) => s.name === link.name);
      if (!step)
        throw new EvidenceError(
          `${path} is a link of ${JSON.stringify(link.name)}, which is not a step of the layout`
        );
      const signer = step.pubkeys.find((keyid) => {
        const dict = layout.keys[keyid];
        if (!dict) return false;
        try {
          return env.verifySignature(Key.fromPublicDict({ ...dict, keyid })) === 'valid';
        } catch {
          return false; // a malformed layout key authorises nothing
        }
      });
      if (!signer)
        throw new SignatureVerificationError(
          `${path} is not validly signed by a functionary the layout authorises for step ${step.name}`,
          { hint: 'do not build on it: it was changed after signing, or signed by someone else' }
        );
    }
    return { link, source: path };
  });
}
