/** Loading keys for commands: `-k` files, `-t` types by position, `-P [pw]` / `-p` prompts. */
import type { Key, KeyIDFormat } from '../index.js';
import { promptPassword } from './prompt.js';
import { UsageErrorLike } from './usage.js';

export interface KeyFlags {
  keyType?: string[] | string;
  password?: string | boolean;
  prompt?: boolean;
  keyidFormat?: string;
}

export function keyIDFormat(value: string | undefined): KeyIDFormat | undefined {
  if (value === undefined) return undefined;
  if (value !== 'legacy' && value !== 'new')
    throw new UsageErrorLike(`--keyid-format must be legacy or new, got ${value}`);
  return value;
}

function typeAt(flags: KeyFlags, i: number, count: number): string | undefined {
  const types =
    flags.keyType === undefined
      ? []
      : Array.isArray(flags.keyType)
        ? flags.keyType
        : [flags.keyType];
  if (types.length === 0) return undefined;
  if (types.length !== count && types.length !== 1) {
    throw new UsageErrorLike(
      `-t/--key-type was given ${types.length} times for ${count} keys; give one per key, in order (or none: types are detected)`
    );
  }
  const t = types.length === 1 ? types[0] : types[i];
  if (t !== 'rsa' && t !== 'ed25519' && t !== 'ecdsa')
    throw new UsageErrorLike(`-t/--key-type must be rsa, ed25519 or ecdsa, got ${t}`);
  return t;
}

/**
 * Loads each key file with the password from `-P PW`; for bare `-P` / `-p`, prompts for the keys
 * that are encrypted (an unencrypted key needs no answer, so scripts can pass `-P` harmlessly).
 */
export async function loadKeys(paths: string[], flags: KeyFlags): Promise<Key[]> {
  const lib = await import('../index.js');
  const { readFile } = await import('node:fs/promises');
  const format = keyIDFormat(flags.keyidFormat);
  const keys: Key[] = [];
  for (const [i, path] of paths.entries()) {
    const keyType = typeAt(flags, i, paths.length);
    let password = typeof flags.password === 'string' ? flags.password : undefined;
    if (password === undefined && (flags.password === true || flags.prompt)) {
      // Unreadable files fall through to loadKey, which reports them.
      const content = await readFile(path).catch(() => undefined);
      if (content && lib.isEncryptedKey(content))
        password = await promptPassword(`Enter password for ${path}: `);
    }
    if (password === '') password = undefined;
    keys.push(await lib.loadKey(path, { password, keyType, keyIDFormat: format }));
  }
  return keys;
}
