/**
 * Builds real signed supply chains for tests: keys made with the project's own keygen, layouts and
 * links signed with the project's own signer, written to a directory as a verifier finds them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DSSEEnvelope,
  Metablock,
  generateKeyPair,
  parseKey,
  type Key,
  type SignedMetadata,
} from '../../src/index.js';

export interface Party {
  key: Key;
  pub: Key;
  pubText: string;
  privText: string;
}

export function party(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Party {
  const pair = generateKeyPair({ type, bits: type === 'rsa' ? 2048 : undefined });
  return {
    key: parseKey(pair.privateText),
    pub: parseKey(pair.publicText),
    pubText: pair.publicText,
    privText: pair.privateText,
  };
}

export const H = (c: string) => ({ sha256: c.repeat(64).slice(0, 64) });

export type Rules = string[][];
export interface StepSpec {
  name: string;
  keys: Party[];
  threshold?: number;
  materials?: Rules;
  products?: Rules;
  command?: string[];
}

/** A layout object (the `signed` part) for steps and inspections. */
export function layoutBody(
  steps: StepSpec[],
  inspect: { name: string; run: string[]; materials?: Rules; products?: Rules }[] = [],
  extra: Record<string, unknown> = {}
) {
  const keys: Record<string, unknown> = {};
  for (const s of steps) for (const p of s.keys) keys[p.pub.keyID] = p.pub.toPublicDict();
  return {
    _type: 'layout',
    expires: '2099-01-01T00:00:00Z',
    readme: '',
    keys,
    steps: steps.map((s) => ({
      _type: 'step',
      name: s.name,
      threshold: s.threshold ?? 1,
      pubkeys: s.keys.map((p) => p.pub.keyID),
      expected_command: s.command ?? [],
      expected_materials: s.materials ?? [],
      expected_products: s.products ?? [],
    })),
    inspect: inspect.map((i) => ({
      _type: 'inspection',
      name: i.name,
      run: i.run,
      expected_materials: i.materials ?? [],
      expected_products: i.products ?? [],
    })),
    ...extra,
  };
}

export function linkBody(
  name: string,
  materials: Record<string, unknown> = {},
  products: Record<string, unknown> = {},
  extra: Record<string, unknown> = {}
) {
  return {
    _type: 'link',
    name,
    materials,
    products,
    byproducts: {},
    command: [],
    environment: {},
    ...extra,
  };
}

export async function signed(
  body: Record<string, unknown>,
  signers: Party[],
  dsse = false
): Promise<SignedMetadata> {
  const env: SignedMetadata = dsse ? DSSEEnvelope.fromPayload(body) : new Metablock(body as never);
  for (const [i, p] of signers.entries()) await env.sign(p.key.toSigner(), { append: i > 0 });
  return env;
}

export function write(dir: string, file: string, content: string | SignedMetadata): string {
  const p = join(dir, file);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, typeof content === 'string' ? content : content.toFileText());
  return p;
}

export function linkFile(step: string, p: Party): string {
  return `${step}.${p.pub.keyID.slice(0, 8)}.link`;
}
