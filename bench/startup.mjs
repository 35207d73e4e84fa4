// Start-up cost: `intoto --version` against `node -e 0`, alternating, medians of many runs.
// Target (issue: Foundation): at most 1.5x `node -e 0`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/main.js`;
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 30);

function time(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const base = [];
const ours = [];
for (let i = 0; i < 3; i++) (time(['-e', '0']), time([cli, '--version']));
for (let i = 0; i < runs; i++) {
  base.push(time(['-e', '0']));
  ours.push(time([cli, '--version']));
}
const b = median(base);
const o = median(ours);
const md = `## Start-up\n\n\`intoto --version\` against \`node -e 0\`, alternating, median of ${runs} runs each.\n\n| command | median (ms) |\n|---|---|\n| \`node -e 0\` | ${b.toFixed(1)} |\n| \`intoto --version\` | ${o.toFixed(1)} |\n\nRatio: **${(o / b).toFixed(2)}×** (target ≤ 1.5×).\n`;
mkdirSync(`${root}bench/out`, { recursive: true });
writeFileSync(`${root}bench/out/startup.md`, md);
process.stdout.write(md);
