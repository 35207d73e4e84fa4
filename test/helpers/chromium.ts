/** Headless Chromium (Debian package `chromium`, installed by .ci/run) for rendering graph pages. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/** Runs headless Chromium with a fresh profile, no network chatter, and `args` (e.g. --dump-dom URL). */
export function chromium(args: string[]) {
  if (!CHROMIUM) throw new Error('chromium is missing: .ci/run installs it');
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`,
  ];
  return spawnSync(CHROMIUM, [...flags, ...args], { encoding: 'utf8', timeout: 120_000 });
}
