// `npm run bench`: runs every benchmark in this folder (each prints a Markdown section and writes it
// to bench/out/<name>.md), then assembles BENCHMARKS.md with the machine's description.
// Pass benchmark names to run a subset: `npm run bench -- hash verify`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const all = ['startup', 'hash', 'verify', 'rules'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : all;

for (const name of names) {
  const script = `${root}bench/${name}.mjs`;
  if (!existsSync(script)) {
    console.error(`bench: ${name}.mjs not found, skipped`);
    continue;
  }
  console.error(`\n=== bench ${name} ===`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.error(`bench ${name} exited ${r.status}`);
}

const inToto = spawnSync('/usr/bin/in-toto-run', ['--version'], { encoding: 'utf8' });
const sections = all
  .map((n) => `${root}bench/out/${n}.md`)
  .filter(existsSync)
  .map((f) => readFileSync(f, 'utf8').trim());
const header = `# Benchmarks

Produced by \`npm run bench\` (sections by \`bench/<name>.mjs\`; rerun one with \`npm run bench -- <name>\`).
Every comparison runs the tools alternately in the same run and reports medians.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version},
reference: ${(inToto.stdout || inToto.stderr || 'in-toto not installed').trim()}.
Date: ${new Date().toISOString().slice(0, 10)}.
`;
writeFileSync(`${root}BENCHMARKS.md`, `${header}\n${sections.join('\n\n')}\n`);
console.error(`\nwrote BENCHMARKS.md (${sections.length} sections)`);
