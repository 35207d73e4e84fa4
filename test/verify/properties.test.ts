/**
 * Verification monotonicity (SECURITY hardening): evidence cannot be taken away from a passing chain
 * without failing it — removing a link, a signature, or a product a later step consumes — and an
 * artifact no rule allows never passes under a final DISALLOW. Runs verifyLayout in-process on real
 * signed metadata. (Removing an input a step merely allowed leaves a smaller, still honest chain.)
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metablock, verifyLayout, type SignedMetadata } from '../../src/index.js';
import { H, layoutBody, linkBody, party, signed } from '../helpers/chain.js';
import { testdir } from '../helpers/vectors.js';

const owner = party();
const a = party();
const b = party();

const layout = layoutBody([
  {
    name: 'build',
    keys: [a],
    materials: [
      ['ALLOW', 'src/*'],
      ['DISALLOW', '*'],
    ],
    products: [
      ['CREATE', 'out/*'],
      ['DISALLOW', '*'],
    ],
  },
  {
    name: 'pack',
    keys: [b],
    materials: [
      ['MATCH', 'out/*', 'WITH', 'PRODUCTS', 'FROM', 'build'],
      ['DISALLOW', '*'],
    ],
    products: [
      ['CREATE', 'app.tar'],
      ['DISALLOW', '*'],
    ],
  },
]);

async function run(dir: string, links: Record<string, SignedMetadata>, layoutEnv: SignedMetadata) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, env] of Object.entries(links)) writeFileSync(join(dir, f), env.toFileText());
  return verifyLayout(layoutEnv, { layoutKeys: [owner.pub], linkDir: dir });
}

describe('verification monotonicity (property)', () => {
  it('a passing chain stays failing after any removal, and an unexpected artifact never passes', async () => {
    const layoutEnv = await signed(layout, [owner]);
    const base = testdir();
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom('a.c', 'b.c', 'lib/x.c', 'lib/y/z.c'), { minLength: 1 }),
        fc.constantFrom('link', 'signature', 'consumed-product', 'extra'),
        fc.nat(),
        async (files, mutation, pick) => {
          const src = Object.fromEntries(files.map((f, i) => [`src/${f}`, H(String(i))]));
          const out = Object.fromEntries(files.map((f, i) => [`out/${f}`, H(String(i + 5))]));
          const build = linkBody('build', src, out);
          const pack = linkBody('pack', out, { 'app.tar': H('9') });
          const links: Record<string, SignedMetadata> = {
            [`build.${a.pub.keyID.slice(0, 8)}.link`]: await signed(build, [a]),
            [`pack.${b.pub.keyID.slice(0, 8)}.link`]: await signed(pack, [b]),
          };
          const dir = join(base, 'chain');
          expect((await run(dir, links, layoutEnv)).ok).toBe(true);
          const names = Object.keys(links);
          const victim = names[pick % names.length];
          if (mutation === 'link') delete links[victim];
          else if (mutation === 'signature')
            links[victim] = new Metablock(links[victim].payload, []);
          else if (mutation === 'extra') {
            const body = structuredClone(victim.startsWith('build') ? build : pack);
            body.products['backdoor.sh'] = H('6');
            links[victim] = await signed(body, [victim.startsWith('build') ? a : b]);
          } else {
            // A product of build that pack consumes disappears from build's link.
            const body = structuredClone(build);
            const products = body.products;
            delete products[Object.keys(products)[pick % Object.keys(products).length]];
            links[names[0]] = await signed(body, [a]);
          }
          const r = await run(dir, links, layoutEnv);
          expect(r.ok, `${mutation} on ${victim}`).toBe(false);
        }
      ),
      { seed: 23, numRuns: 40 }
    );
  });
});
