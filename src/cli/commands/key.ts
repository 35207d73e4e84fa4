/** `intoto key id FILE...`: print each key's ids (both formulas) and type. */
import type { Command } from 'commander';
import { loadKeys } from '../keys.js';

export function register(program: Command): void {
  const key = program.command('key').description('inspect keys');
  key
    .command('id')
    .description(
      "print each key's ids (legacy: in-toto 1.3.1 and golang; new: in-toto >= 2.2) and type"
    )
    .argument('<files...>', 'key files (PEM or securesystemslib JSON, public or private)')
    .option('-P, --password [password]', 'password of encrypted keys (bare -P prompts)')
    .option('--json', 'print JSON')
    .action(async (files: string[], opts: { password?: string | boolean; json?: boolean }) => {
      const keys = await loadKeys(files, { password: opts.password });
      const rows = keys.map((k, i) => ({
        file: files[i],
        keytype: k.keyType,
        scheme: k.scheme,
        keyid: k.keyID,
        keyid_legacy: k.keyIDs.legacy,
        keyid_new: k.keyIDs.new,
        private: k.hasPrivate,
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        process.stdout.write(
          `${r.file}: ${r.keytype} (${r.scheme})${r.private ? ', private' : ''}\n  legacy ${r.keyid_legacy}\n  new    ${r.keyid_new}\n`
        );
      }
    });
}
