/** `intoto keygen`: make a key pair (PEM by default, or what in-toto 1.3.1 reads). */
import type { Command } from 'commander';
import { promptPassword } from '../prompt.js';
import { UsageErrorLike } from '../usage.js';
import { info } from '../output.js';

export function register(program: Command): void {
  program
    .command('keygen')
    .description('generate a key pair: NAME (private, mode 0600) and NAME.pub')
    .argument('<name>', 'file name of the private key; the public key is NAME.pub')
    .option('-t, --type <type>', 'ed25519, rsa or ecdsa (P-256)', 'ed25519')
    .option('-b, --bits <bits>', 'RSA modulus size (default 3072; rsa only)')
    .option(
      '--format <format>',
      'pem (PKCS#8/SPKI) or securesystemslib (what in-toto 1.3.1 reads)',
      'pem'
    )
    .option('-p, --prompt', 'prompt for a password to encrypt the private key')
    .option('--password <password>', 'encrypt the private key with this password')
    .option('--force', 'overwrite existing files')
    .action(
      async (
        name: string,
        opts: {
          type: string;
          bits?: string;
          format: string;
          prompt?: boolean;
          password?: string;
          force?: boolean;
        }
      ) => {
        if (!['ed25519', 'rsa', 'ecdsa'].includes(opts.type))
          throw new UsageErrorLike(`-t/--type must be ed25519, rsa or ecdsa, got ${opts.type}`);
        if (opts.format !== 'pem' && opts.format !== 'securesystemslib')
          throw new UsageErrorLike(`--format must be pem or securesystemslib, got ${opts.format}`);
        const bits = opts.bits === undefined ? undefined : Number(opts.bits);
        if (bits !== undefined && !Number.isInteger(bits))
          throw new UsageErrorLike(`-b/--bits must be a whole number, got ${opts.bits}`);
        const { existsSync } = await import('node:fs');
        for (const f of [name, `${name}.pub`]) {
          if (existsSync(f) && !opts.force)
            throw new UsageErrorLike(
              `${f} already exists; not overwriting it`,
              'choose another name or pass --force'
            );
        }
        let password = opts.password;
        if (opts.prompt) {
          password = await promptPassword('Enter a password to encrypt the key (empty for none): ');
          const again = await promptPassword('Repeat the password: ');
          if (again !== password) throw new UsageErrorLike('the passwords do not match');
        }
        const lib = await import('../../index.js');
        const pair = lib.generateKeyPair({
          type: opts.type as 'ed25519' | 'rsa' | 'ecdsa',
          bits,
          format: opts.format,
          password: password || undefined,
        });
        // Atomic writes create fresh files: with --force an old world-readable file is replaced by
        // one with mode 0600, never rewritten in place with its old mode.
        lib.writeFileAtomic(name, pair.privateText, 0o600);
        lib.writeFileAtomic(`${name}.pub`, pair.publicText, 0o644);
        info(
          `wrote ${name} (private${password ? ', encrypted' : ''}) and ${name}.pub: ${pair.keyType} key ${pair.keyID}`
        );
      }
    );
}
