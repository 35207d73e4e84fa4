// Rule-engine micro-benchmark: `applyRules` alone (no I/O, no signatures) on 20k and 100k artifacts
// with the rule list of a typical step — MATCH * WITH PRODUCTS FROM build, ALLOW, DISALLOW * — plus
// variants that stress the other paths (prefixed MATCH, globbed ALLOW, literal REQUIRE). Median of
// several rounds after a warm-up. Target: 100k artifacts, 3 rules, well under 200 ms.
// Usage: npm run build && node bench/rules.mjs [20k,100k]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT, median } from './common.mjs';

const lib = await import('../dist/index.js');
const sizes = (process.argv[2] ?? '20k,100k').split(',');
const N = { '1k': 1_000, '20k': 20_000, '100k': 100_000 };
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);

/** Deterministic artifacts: 100 directories, a fake sha256 per file. */
function artifacts(n, prefix = '') {
  const out = {};
  for (let i = 0; i < n; i++)
    out[`${prefix}src/d${i % 100}/sub${i % 7}/file${i}.c`] = {
      sha256: String(i).padStart(64, '0'),
    };
  return out;
}

const SCENARIOS = {
  'MATCH * / ALLOW / DISALLOW *': [
    ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'build'],
    ['ALLOW', 'README.md'],
    ['DISALLOW', '*'],
  ],
  'MATCH * IN out WITH … IN dist (prefixes)': [
    ['MATCH', '*', 'IN', 'out', 'WITH', 'PRODUCTS', 'IN', 'dist', 'FROM', 'build'],
    ['DISALLOW', '*'],
  ],
  'ALLOW src/d1*/*.c / ALLOW *.c / REQUIRE / DISALLOW *': [
    ['REQUIRE', 'src/d0/sub0/file0.c'],
    ['ALLOW', 'src/d1*/*.c'],
    ['ALLOW', '*.c'],
    ['DISALLOW', '*'],
  ],
};

function run(n, name, rules) {
  const prefixed = name.includes('prefixes');
  const materials = artifacts(n, prefixed ? 'out/' : '');
  // The destination carries the same files (under dist/ for the prefixed variant).
  const build = { materials: {}, products: artifacts(n, prefixed ? 'dist/' : '') };
  const parsed = rules.map((r) => lib.parseRule(r));
  const once = () => {
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    const r = lib.applyRules({
      kind: 'materials',
      rules: parsed,
      materials,
      products: {},
      links: new Map([['build', build]]),
    });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    const used = process.cpuUsage(cpu);
    if (!r.ok) throw new Error(`${name}: unexpected failure at rule ${r.failure.index}`);
    return { wall, cpu: (used.user + used.system) / 1e3 };
  };
  once();
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(once());
  // CPU time (user + sys, GC threads included) next to wall time: on a shared machine the wall time
  // mostly measures waiting for a core.
  return { wall: median(runs.map((x) => x.wall)), cpu: median(runs.map((x) => x.cpu)) };
}

const cell = (t) => `${t.wall.toFixed(1)} ms (CPU ${t.cpu.toFixed(1)} ms)`;
const rows = [];
for (const [name, rules] of Object.entries(SCENARIOS)) {
  const row = { name };
  for (const size of sizes) row[size] = run(N[size], name, rules);
  rows.push(row);
  process.stderr.write(`${name}: ${sizes.map((s) => `${s} ${cell(row[s])}`).join(', ')}\n`);
}

const md =
  [
    '## Rule engine',
    '',
    `\`applyRules\` alone on in-memory artifact maps (materials of one step checked against the products of another),`,
    `wall time and CPU time (user + sys), median of ${rounds} after a warm-up. Reproduce: \`npm run bench -- rules\`. Target: 100k artifacts, 3 rules, < 200 ms.`,
    '',
    `| rules | ${sizes.join(' | ')} |`,
    `|---|${sizes.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.name} | ${sizes.map((s) => cell(r[s])).join(' | ')} |`),
  ].join('\n') + '\n';
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'rules.md'), md);
process.stdout.write(md);
