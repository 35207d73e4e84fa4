/**
 * `intoto sign`: sign a link or layout, or check signatures (`--verify`); flag-compatible with
 * in-toto-sign (REFERENCE.md §2).
 */
import type { Command } from 'commander';
import { loadKeys } from '../keys.js';
import { ExitCode } from '../program.js';
import { errChalk, info, outChalk } from '../output.js';
import { UsageErrorLike } from '../usage.js';

export interface SignOptions {
  file: string;
  key?: string[];
  keyType?: string[];
  prompt?: boolean;
  password?: string | boolean;
  output?: string;
  append?: boolean;
  verify?: boolean;
  dsse?: boolean;
  keyidFormat?: string;
  gpg?: unknown;
}

export function register(program: Command): void {
  program
    .command('sign')
    .description(
      'sign a link or layout with one or more keys, or check its signatures with --verify'
    )
    .requiredOption('-f, --file <path>', 'the link or layout to sign or verify')
    .option('-k, --key <paths...>', 'private keys to sign with (public keys with --verify)')
    .option('-t, --key-type <types...>', 'rsa, ed25519 or ecdsa per key (detected when omitted)')
    .option('-p, --prompt', 'prompt for each key password')
    .option('-P, --password [password]', 'password of encrypted keys (bare -P prompts)')
    .option(
      '-o, --output <path>',
      'where to write (default: a link goes to <name>.<keyid8>.link, a layout is overwritten)'
    )
    .option('-a, --append', 'keep existing signatures (layouts only)')
    .option('--verify', 'check that every key given has a valid signature (exit 0 or 1)')
    .option('--dsse', 'write a DSSE envelope instead of a Metablock')
    .option(
      '--keyid-format <format>',
      'legacy (in-toto 1.3.1, golang; default) or new (in-toto >= 2.2)'
    )
    .option('-g, --gpg [ids...]', 'not supported (GPG signing)')
    .action(signFile);
}

/** Signs or verifies one metadata file (shared by `intoto sign` and `intoto layout sign`). */
export async function signFile(opts: SignOptions): Promise<void> {
  if (opts.gpg !== undefined)
    throw new UsageErrorLike(
      'GPG keys are not supported',
      'use a PEM or securesystemslib key with -k'
    );
  if (!opts.key?.length) throw new UsageErrorLike('give at least one key with -k/--key');
  if (opts.verify && (opts.append || opts.output))
    throw new UsageErrorLike('--verify cannot be combined with --append or --output');
  const lib = await import('../../index.js');
  const { readFileSync } = await import('node:fs');
  let bytes: Buffer;
  try {
    bytes = readFileSync(opts.file);
  } catch (err) {
    throw new lib.InputError(
      `${opts.file}: cannot read (${(err as { code?: string }).code ?? String(err)})`
    );
  }
  let env = lib.parseMetadata(bytes, { source: opts.file });
  const keys = await loadKeys(opts.key, opts);

  if (opts.verify) {
    let failed = 0;
    for (const [i, key] of keys.entries()) {
      const status = env.verifySignature(key);
      const label = `${opts.key[i]} (${key.keyID.slice(0, 8)})`;
      if (status === 'valid') {
        process.stdout.write(`${outChalk.green('✓')} ${label}: valid signature\n`);
      } else {
        failed++;
        process.stdout.write(
          `${outChalk.red('✗')} ${label}: ${status === 'missing' ? 'no signature by this key' : 'invalid signature (the file was changed after signing, or signed by another key)'}\n`
        );
      }
    }
    if (failed) {
      process.stderr.write(
        `${errChalk.red('FAILED:')} ${failed} of ${keys.length} key(s) have no valid signature on ${opts.file}\n`
      );
      throw new ExitCode(1);
    }
    return;
  }

  const type = env.payload._type;
  if (type === 'link' && (keys.length > 1 || opts.append)) {
    throw new UsageErrorLike('a link is signed by exactly one key (no --append, one -k)');
  }
  if (opts.dsse && env.kind !== 'dsse') env = lib.DSSEEnvelope.fromPayload(env.payload);
  for (const [i, key] of keys.entries()) {
    await env.sign(key.toSigner(), { append: opts.append || i > 0 });
  }
  let out = opts.output;
  if (!out) {
    if (type === 'link') {
      const name = typeof env.payload.name === 'string' ? env.payload.name : 'link';
      const problem = lib.checkItemName(name);
      if (problem)
        throw new lib.EvidenceError(
          `${opts.file}: the link name ${JSON.stringify(name)} ${problem}; pass -o`
        );
      out = `${name}.${keys[0].keyID.slice(0, 8)}.link`;
    } else {
      out = opts.file;
    }
  }
  lib.writeFileAtomic(out, env.toFileBytes());
  info(`signed ${opts.file} with ${keys.map((k) => k.keyID.slice(0, 8)).join(', ')} → ${out}`);
}
