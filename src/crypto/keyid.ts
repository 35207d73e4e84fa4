/**
 * Key ids (REFERENCE.md §1.5, MANIFEST §5.1). Two formulas are in use:
 *
 * - legacy (in-toto 1.3.1, in-toto-golang): sha256 of the canonical JSON of
 *   `{keyid_hash_algorithms: ["sha256", "sha512"], keytype, keyval: {public}, scheme}`;
 * - new (securesystemslib signer API, in-toto ≥ 2.2): the same without `keyid_hash_algorithms`.
 *
 * The `public` value differs by key source, which is why both a "legacy public value" and a
 * "new public value" are passed in (see keys.ts).
 */
import { createHash } from 'node:crypto';
import { encodeCanonical } from '../encoding/index.js';

/** The `keyid_hash_algorithms` constant of securesystemslib's settings, whatever a file says. */
export const KEYID_HASH_ALGORITHMS = ['sha256', 'sha512'] as const;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Legacy keyid over `{keyid_hash_algorithms, keytype, keyval: {public}, scheme}`. */
export function legacyKeyID(keytype: string, scheme: string, publicValue: string): string {
  return sha256Hex(
    encodeCanonical({
      keyid_hash_algorithms: [...KEYID_HASH_ALGORITHMS],
      keytype,
      keyval: { public: publicValue },
      scheme,
    })
  );
}

/** New-style keyid over `{keytype, keyval: {public}, scheme}`. */
export function newKeyID(keytype: string, scheme: string, publicValue: string): string {
  return sha256Hex(encodeCanonical({ keytype, keyval: { public: publicValue }, scheme }));
}
