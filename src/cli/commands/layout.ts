/**
 * `intoto layout …`: author, edit, lint, infer, sign and draw layouts. Every subcommand takes
 * `-l/--layout FILE` (default ./root.layout). Edits drop signatures: re-signing is explicit.
 */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Layout, LayoutBuilder, ReportLike } from '../../index.js';
import { loadKeys } from '../keys.js';
import { errChalk, info, outChalk, warn } from '../output.js';
import { ExitCode } from '../program.js';
import { collect, UsageErrorLike } from '../usage.js';
import { signFile } from './sign.js';

const DEFAULT = './root.layout';

async function lib() {
  return import('../../index.js');
}

async function readLayout(path: string): Promise<{ layout: Layout; signed: boolean }> {
  const l = await lib();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch {
    throw new UsageErrorLike(`${path}: no such layout`, 'create one with: intoto layout init');
  }
  const env = l.parseMetadata(bytes, { source: path });
  return { layout: l.Layout.fromJSON(env.payload, path), signed: env.signatures.length > 0 };
}

async function writeLayout(path: string, layout: Layout, wasSigned: boolean): Promise<void> {
  const l = await lib();
  l.writeFileAtomic(path, new l.Metablock(layout.toJSON()).toFileBytes());
  if (wasSigned)
    warn(
      `${path} changed, so its signatures were dropped: sign it again with intoto layout sign -k KEY`
    );
}

async function edit(path: string, change: (b: LayoutBuilder) => void, what: string): Promise<void> {
  const l = await lib();
  const { layout, signed } = await readLayout(path);
  change(new l.LayoutBuilder(layout));
  await writeLayout(path, layout, signed);
  info(`${what} (${path})`);
  warnIfExpired(layout);
}

/** An expiry in the past is allowed (to try out a failing verification), but never unnoticed. */
function warnIfExpired(layout: Layout): void {
  if (Date.parse(layout.expires) <= Date.now())
    warn(
      `the layout expires at ${layout.expires}, which is already past: every verification will fail on it (set a later date with intoto layout set-expires 1y)`
    );
}

const layoutOpt = (c: Command) => c.option('-l, --layout <file>', 'the layout file', DEFAULT);

function describeRule(r: string[]): string {
  return r.map((p) => (/\s/.test(p) ? JSON.stringify(p) : p)).join(' ');
}

export function register(program: Command): void {
  const cmd = program
    .command('layout')
    .description(
      'author, lint, sign and draw the layout (steps, functionaries, rules, inspections)'
    );

  layoutOpt(cmd.command('init').description('create an empty layout'))
    .option('--expires <when>', 'expiry: 1y, 6m, 30d, or a date', '1y')
    .option('--readme <text>', 'a description of the supply chain', '')
    .option('--force', 'overwrite an existing layout')
    .action(async (o: { layout: string; expires: string; readme: string; force?: boolean }) => {
      const l = await lib();
      if (fs.existsSync(o.layout) && !o.force)
        throw new UsageErrorLike(
          `${o.layout} already exists`,
          'pass --force to start over, or edit it with the other layout commands'
        );
      const layout = l.createLayout({ expires: o.expires, readme: o.readme }).build();
      await writeLayout(o.layout, layout, false);
      info(
        `created ${o.layout} (expires ${layout.expires}); next: intoto layout add-step NAME --key PUBKEY`
      );
      warnIfExpired(layout);
    });

  layoutOpt(
    cmd
      .command('add-key')
      .description("add public keys to the layout's keys")
      .argument('<pubkeys...>')
  ).action(async (pubkeys: string[], o: { layout: string }) => {
    const keys = await loadKeys(pubkeys, {});
    await edit(
      o.layout,
      (b) => keys.forEach((k) => b.addKey(k)),
      `added ${keys.map((k) => k.keyID.slice(0, 8)).join(', ')}`
    );
  });

  layoutOpt(
    cmd
      .command('add-step')
      .description('add a step (its keys are added to the layout)')
      .argument('<name>')
  )
    .requiredOption('--key <pubkeys...>', 'public keys of the functionaries who may perform it')
    .option('--threshold <n>', 'how many distinct functionaries must sign a link', '1')
    .option('--expected-command <command>', 'the command the step is expected to run')
    .option(
      '--material <rule>',
      'a material rule, e.g. "MATCH src/* WITH PRODUCTS FROM checkout" (repeatable)',
      collect
    )
    .option('--product <rule>', 'a product rule, e.g. "CREATE app.bin" (repeatable)', collect)
    .action(
      async (
        name: string,
        o: {
          layout: string;
          key: string[];
          threshold: string;
          expectedCommand?: string;
          material?: string[];
          product?: string[];
        }
      ) => {
        const keys = await loadKeys(o.key, {});
        await edit(
          o.layout,
          (b) =>
            b.addStep({
              name,
              keys,
              threshold: Number(o.threshold),
              expectedCommand: o.expectedCommand,
              materials: o.material,
              products: o.product,
            }),
          `added step ${name}`
        );
      }
    );

  layoutOpt(
    cmd
      .command('add-inspection')
      .description('add an inspection the verifier runs')
      .argument('<name>')
  )
    .requiredOption('--run <command>', 'the command to run (no shell)')
    .option('--material <rule>', 'a material rule (repeatable)', collect)
    .option('--product <rule>', 'a product rule (repeatable)', collect)
    .action(
      async (
        name: string,
        o: { layout: string; run: string; material?: string[]; product?: string[] }
      ) => {
        await edit(
          o.layout,
          (b) => b.addInspection({ name, run: o.run, materials: o.material, products: o.product }),
          `added inspection ${name}`
        );
      }
    );

  layoutOpt(
    cmd.command('remove-step').description('remove a step or inspection').argument('<name>')
  ).action(async (name: string, o: { layout: string }) => {
    await edit(o.layout, (b) => b.remove(name), `removed ${name}`);
  });

  layoutOpt(
    cmd
      .command('set-expires')
      .description('set the expiry (1y, 6m, 30d, or a date)')
      .argument('<when>')
  ).action(async (when: string, o: { layout: string }) => {
    await edit(o.layout, (b) => b.setExpires(when), `expiry set`);
  });

  layoutOpt(cmd.command('set-readme').description('set the readme text').argument('<text>')).action(
    async (text: string, o: { layout: string }) => {
      await edit(o.layout, (b) => b.setReadme(text), 'readme set');
    }
  );

  layoutOpt(cmd.command('show').description('a readable summary of the layout'))
    .option('--json', 'print the layout JSON')
    .action(async (o: { layout: string; json?: boolean }) => {
      const { layout, signed } = await readLayout(o.layout);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(layout.toJSON(), null, 2)}\n`);
        return;
      }
      const days = Math.floor((Date.parse(layout.expires) - Date.now()) / 86400_000);
      const out: string[] = [];
      out.push(
        `${outChalk.bold(o.layout)}: ${layout.steps.length} step(s), ${layout.inspect.length} inspection(s), ${signed ? 'signed' : outChalk.yellow('not signed')}`
      );
      out.push(
        `expires ${layout.expires} (${days >= 0 ? `in ${days} days` : outChalk.red('expired')})${layout.readme ? `; readme: ${layout.readme}` : ''}`
      );
      for (const s of layout.steps) {
        const who = s.pubkeys
          .map(
            (k) =>
              `${k.slice(0, 8)} (${JSON.stringify(layout.keys[k]?.keytype ?? '?').replace(/"/g, '')})`
          )
          .join(', ');
        out.push(`\n${outChalk.bold(`step ${s.name}`)}: ${s.threshold} of ${who}`);
        if (s.expectedCommand.length)
          out.push(`  expected command: ${s.expectedCommand.join(' ')}`);
        for (const r of s.expectedMaterials) out.push(`  material ${describeRule(r)}`);
        for (const r of s.expectedProducts) out.push(`  product  ${describeRule(r)}`);
      }
      for (const i of layout.inspect) {
        out.push(`\n${outChalk.bold(`inspection ${i.name}`)}: runs ${i.run.join(' ')}`);
        for (const r of i.expectedMaterials) out.push(`  material ${describeRule(r)}`);
        for (const r of i.expectedProducts) out.push(`  product  ${describeRule(r)}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });

  layoutOpt(
    cmd.command('lint').description('report every problem of the layout at once (exit 1 on errors)')
  )
    .option('--links <dir>', 'sample links (a trial run) to check the patterns against')
    .option('--json', 'print the findings as JSON')
    .action(async (o: { layout: string; links?: string; json?: boolean }) => {
      const l = await lib();
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(o.layout);
      } catch {
        throw new UsageErrorLike(
          `${o.layout}: no such layout`,
          'create one with: intoto layout init'
        );
      }
      const env = l.parseMetadata(bytes, { source: o.layout });
      let links:
        | Map<
            string,
            {
              materials: Record<string, Record<string, string>>;
              products: Record<string, Record<string, string>>;
            }
          >
        | undefined;
      if (o.links) {
        links = new Map();
        for (const f of fs.readdirSync(o.links).filter((n) => n.endsWith('.link'))) {
          const link = l.Link.fromJSON(
            l.parseMetadata(fs.readFileSync(join(o.links, f)), { source: f }).payload,
            f
          );
          links.set(link.name, { materials: link.materials, products: link.products });
        }
      }
      const r = l.lintLayout(env.payload, { links });
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        for (const f of r.errors)
          process.stdout.write(
            `${errChalk.red('error')}   ${f.where}: ${f.message}${f.hint ? `\n        ${outChalk.dim(`hint: ${f.hint}`)}` : ''}\n`
          );
        for (const f of r.warnings)
          process.stdout.write(
            `${outChalk.yellow('warning')} ${f.where}: ${f.message}${f.hint ? `\n        ${outChalk.dim(`hint: ${f.hint}`)}` : ''}\n`
          );
        process.stdout.write(`${r.errors.length} error(s), ${r.warnings.length} warning(s)\n`);
      }
      if (!r.ok) throw new ExitCode(1);
    });

  cmd
    .command('infer')
    .description('propose a strict layout from the links of a trial run')
    .requiredOption('--links <dir>', 'the links of the trial run')
    .requiredOption('-o, --output <file>', 'where to write the proposed layout')
    .option('--key <pubkeys...>', 'owner public keys (printed as the keys to sign with)')
    .option('--functionary-key <pubkeys...>', "the functionaries' public keys (the links' signers)")
    .option('--expires <when>', 'expiry: 1y, 6m, 30d, or a date', '1y')
    .action(
      async (o: {
        links: string;
        output: string;
        key?: string[];
        functionaryKey?: string[];
        expires: string;
      }) => {
        const l = await lib();
        const fkeys = await loadKeys(o.functionaryKey ?? [], {});
        if (fkeys.length === 0)
          throw new UsageErrorLike(
            'give the functionaries public keys with --functionary-key',
            'the links name their signers only by keyid'
          );
        const trial = [];
        for (const f of fs
          .readdirSync(o.links)
          .filter((n) => n.endsWith('.link'))
          .sort()) {
          const env = l.parseMetadata(fs.readFileSync(join(o.links, f)), { source: f });
          const key = fkeys.find((k) => env.verifySignature(k) === 'valid');
          if (!key)
            throw new UsageErrorLike(
              `${f}: not validly signed by any --functionary-key`,
              'pass the key that recorded this step'
            );
          trial.push({ link: l.Link.fromJSON(env.payload, f), key });
        }
        const layout = l.inferLayout(trial, { expires: o.expires });
        await writeLayout(o.output, layout, false);
        const lint = l.lintLayout(layout.toJSON());
        info(
          `wrote ${o.output}: ${layout.steps.map((s) => s.name).join(' → ')}; lint: ${lint.errors.length} error(s), ${lint.warnings.length} warning(s)`
        );
        info(
          `review it (intoto layout show -l ${o.output}), then sign it: intoto layout sign -l ${o.output} -k OWNER_KEY`
        );
      }
    );

  layoutOpt(
    cmd
      .command('graph')
      .description('draw the supply chain (mermaid, dot or a self-contained HTML page)')
  )
    .option('--format <format>', 'mermaid, dot or html', 'mermaid')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--verify-report <file>', 'colour steps by a report from intoto verify --json')
    .action(
      async (o: { layout: string; format: string; output?: string; verifyReport?: string }) => {
        const l = await lib();
        if (!['mermaid', 'dot', 'html'].includes(o.format))
          throw new UsageErrorLike(`--format must be mermaid, dot or html, got ${o.format}`);
        const { layout } = await readLayout(o.layout);
        let report;
        if (o.verifyReport) {
          try {
            report = JSON.parse(fs.readFileSync(o.verifyReport, 'utf8')) as ReportLike;
          } catch (err) {
            throw new UsageErrorLike(
              `${o.verifyReport}: not a JSON report (${(err as Error).message})`,
              'make one with intoto verify --json > report.json'
            );
          }
        }
        const g = l.layoutGraph(layout, report);
        const text =
          o.format === 'mermaid'
            ? l.toMermaid(g)
            : o.format === 'dot'
              ? l.toDot(g)
              : l.toHTML(g, layout.readme || 'Supply chain');
        if (o.output) {
          fs.writeFileSync(o.output, text);
          info(`wrote ${o.output}`);
        } else process.stdout.write(text);
      }
    );

  layoutOpt(cmd.command('sign').description('sign the layout (as intoto sign)'))
    .requiredOption('-k, --key <paths...>', 'private keys of the project owner')
    .option('-P, --password [password]', 'password of encrypted keys (bare -P prompts)')
    .option('-a, --append', 'keep existing signatures')
    .option('--keyid-format <format>', 'legacy (default) or new')
    .action(
      async (o: {
        layout: string;
        key: string[];
        password?: string | boolean;
        append?: boolean;
        keyidFormat?: string;
      }) => {
        await signFile({
          file: o.layout,
          key: o.key,
          password: o.password,
          append: o.append,
          keyidFormat: o.keyidFormat,
        });
      }
    );
}
