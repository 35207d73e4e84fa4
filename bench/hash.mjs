// Recording speed: `intoto run -m TREE -x` against the reference `in-toto-run -m TREE -x` and a
// `sha256sum` pipeline on both cores, alternating in one run; medians of 3 after a warm-up round.
// Usage: npm run build && node bench/hash.mjs [--sizes 1k,20k,100k]
// Trees are generated once under bench/out/ and reused. When the built CLI has no `run` command yet,
// the library's recordArtifacts is timed through bench/record-lib.mjs instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { CLI, HAVE_REFERENCE, OUT, ROOT, TREES, fmt, makeTree, median, time } from './common.mjs';

const args = process.argv.slice(2);
const sizesAt = args.indexOf('--sizes');
const sizes = (
  sizesAt >= 0 ? args[sizesAt + 1] : (args.find((a) => !a.startsWith('-')) ?? '1k,20k,100k')
).split(',');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
mkdirSync(OUT, { recursive: true });
const keys = join(OUT, 'keys');
mkdirSync(keys, { recursive: true });
// One RSA key made by the reference's keygen, used by both recorders (signing is the same work).
const key = join(keys, 'rsa');
if (!existsSync(key)) {
  const made = HAVE_REFERENCE
    ? spawnSync('/usr/bin/in-toto-keygen', ['-t', 'rsa', key], { stdio: 'ignore' })
    : spawnSync(process.execPath, [CLI, 'keygen', '-t', 'rsa', key], { stdio: 'ignore' });
  if (made.status !== 0) throw new Error('cannot create the benchmark key');
}
const hasRun =
  spawnSync(process.execPath, [CLI, 'run', '--help'], { stdio: 'ignore' }).status === 0;
const links = join(OUT, 'links');

/**
 * Wall time and CPU time (user + system of the process and everything it waited for, from
 * /usr/bin/time) of one run. CPU time shows what a contender would cost on an idle machine: on a
 * shared one, wall-time ratios shrink towards CPU-time ratios whatever the parallelism.
 */
const cpuFile = join(OUT, 'cpu.txt');
function timed(cmd, argv) {
  const wall = time('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, cmd, ...argv]);
  const [u, sy] = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: (u + sy) * 1000 };
}

/**
 * Alternating rounds after a warm-up round; medians of wall and CPU time per contender. Each round
 * starts with the next contender, so that none always runs right after the same one (a process
 * that just ended, the reference's say, leaves the kernel work that slows whoever comes next).
 */
function raceBoth(contenders) {
  const runs = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (const c of contenders) c.run();
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length];
      runs[c.name].push(c.run());
    }
  return Object.fromEntries(
    contenders.map((c) => [
      c.name,
      {
        wall: median(runs[c.name].map((x) => x.wall)),
        cpu: median(runs[c.name].map((x) => x.cpu)),
      },
    ])
  );
}

const rows = [];
const loadStart = loadavg()[0];
for (const size of sizes) {
  process.stderr.write(`building tree ${size}…\n`);
  const tree = makeTree(size);
  const contenders = [
    {
      name: 'intoto',
      run: () =>
        hasRun
          ? timed(process.execPath, [
              CLI,
              'run',
              '-n',
              'bench',
              '-k',
              key,
              '-t',
              'rsa',
              '-m',
              tree,
              '-x',
              '-d',
              links,
              '-q',
            ])
          : timed(process.execPath, [join(ROOT, 'bench/record-lib.mjs'), tree]),
    },
    {
      // Not a contender: what any Node recorder must do at least (see bench/record-floor.mjs).
      name: 'floor',
      run: () => timed(process.execPath, [join(ROOT, 'bench/record-floor.mjs'), tree]),
    },
    {
      name: 'sha256sum',
      run: () =>
        timed('sh', [
          '-c',
          `find '${tree}' -type f -print0 | xargs -0 -P2 -n 256 sha256sum > /dev/null`,
        ]),
    },
  ];
  if (HAVE_REFERENCE)
    contenders.push({
      name: 'in-toto-run',
      run: () =>
        timed('/usr/bin/in-toto-run', [
          '-n',
          'bench',
          '-k',
          key,
          '-t',
          'rsa',
          '-m',
          tree,
          '-x',
          '-d',
          links,
        ]),
    });
  process.stderr.write(`timing ${size} (${rounds} rounds)…\n`);
  const t = raceBoth(contenders);
  rows.push({ size, ...t });
  process.stderr.write(`${size}: ${JSON.stringify(t)}\n`);
}

// Memory: one 1 GiB file recorded with bounded RSS (the child's peak, via python's getrusage).
const big = join(OUT, 'big-1g.bin');
spawnSync('sh', ['-c', `[ -f '${big}' ] || head -c 1073741824 /dev/zero > '${big}'`]);
const rss = spawnSync(
  '/usr/bin/python3',
  [
    '-c',
    `import resource,subprocess,sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)`,
    process.execPath,
    CLI,
    'run',
    '-n',
    'big',
    '-k',
    key,
    '-m',
    big,
    '-x',
    '-d',
    links,
    '-q',
  ],
  { encoding: 'utf8' }
);
const rssMiB = Number(rss.stdout.trim()) / 1024;
rmSync(links, { recursive: true, force: true });

const lines = [
  '## Recording (hashing)',
  '',
  `\`intoto run -m TREE -x\` against \`in-toto-run -m TREE -x\` (python 1.3.1) and \`find TREE -type f -print0 | xargs -0 -P2 -n 256 sha256sum\`,`,
  `alternating in one run (each round led by the next contender), median of ${rounds} after a warm-up round (page cache warm for all). Reproduce: \`npm run build && node bench/hash.mjs --sizes 1k,20k,100k\`.`,
  `Times are wall (CPU = user + system of all processes and threads); ratios > 1 mean intoto is faster.`,
  '',
  '| tree | files | size | intoto | in-toto-run | sha256sum ×2 | vs in-toto-run | vs sha256sum |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const t = TREES[r.size];
    const ref = r['in-toto-run'];
    const cell = (x) => `${fmt(x.wall)} (cpu ${fmt(x.cpu)})`;
    const ratio = (a, b) =>
      `**${(a.wall / b.wall).toFixed(1)}×** (cpu ${(a.cpu / b.cpu).toFixed(1)}×)`;
    return `| ${r.size} | ${t.files} | ${(t.bytes / 2 ** 20).toFixed(0)} MiB | ${cell(r.intoto)} | ${ref ? cell(ref) : 'n/a'} | ${cell(r.sha256sum)} | ${ref ? ratio(ref, r.intoto) : 'n/a'} | ${ratio(r.sha256sum, r.intoto)} |`;
  }),
  '',
  `Targets: ≥ 4× faster than in-toto-run on 20k, ≥ 5× on 100k, no slower than the sha256sum pipeline (ratio ≥ 1.00).`,
  '',
  'Floor (`bench/record-floor.mjs`, timed in the same rounds): Node starting, walking the tree and opening, reading, hashing and',
  'closing every file on two threads, pipelined (a worker started first hashes while the walk goes on, then both share what is left)',
  '— no excludes, no link, no signature. It bounds what any Node recorder can reach here:',
  ...rows.map((r) => {
    const ref = r['in-toto-run'];
    return `- ${r.size}: floor ${fmt(r.floor.wall)} (cpu ${fmt(r.floor.cpu)})${ref ? `, **${(ref.wall / r.floor.wall).toFixed(1)}×** in-toto-run at best` : ''}; intoto takes ${(r.intoto.wall / r.floor.wall).toFixed(2)}× the floor.`;
  }),
  '',
  `Machine load (1-min average) at start / end: ${loadStart.toFixed(1)} / ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores — other work competes with all contenders alike.`,
  '',
  `Memory: recording one 1 GiB file peaked at **${rssMiB.toFixed(0)} MiB RSS** (target < 150 MiB).`,
];
const md = lines.join('\n') + '\n';
writeFileSync(join(OUT, 'hash.md'), md);
process.stdout.write(md);
