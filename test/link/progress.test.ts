/** The progress line: only on a TTY, only after a second of one recording, cleared at the end. */
import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/recording.js';

function fake(isTTY: boolean): { isTTY: boolean; out: string[]; write: (t: string) => void } {
  const out: string[] = [];
  return { isTTY, out, write: (t) => void out.push(t) };
}

describe('progressReporter', () => {
  it('stays silent for the first second and off a terminal', () => {
    let t = 0;
    const tty = fake(true);
    const p = progressReporter('hashing', tty, () => t);
    p.phase('materials');
    t = 900;
    p.onProgress(1, 10);
    expect(tty.out).toEqual([]);
    t = 1100;
    p.onProgress(2, 10);
    expect(tty.out).toEqual(['\rhashing materials: 2/10 files   ']);
    t = 1150; // throttled to ten lines a second
    p.onProgress(3, 10);
    expect(tty.out).toHaveLength(1);
    p.end();
    expect(tty.out.at(-1)).toBe('\r\u001b[K');
    const pipe = fake(false);
    const q = progressReporter('hashing', pipe, () => t);
    t = 5000;
    q.onProgress(1, 1);
    q.end();
    expect(pipe.out).toEqual([]);
  });

  it('a new phase restarts the clock: a long command does not make products show at once', () => {
    let t = 0;
    const tty = fake(true);
    const p = progressReporter('hashing', tty, () => t);
    p.phase('materials');
    p.end(); // the command starts
    t = 60_000; // ... and runs a minute
    p.phase('products');
    t = 60_500;
    p.onProgress(5, 5);
    expect(tty.out).toEqual([]);
    t = 61_200;
    p.onProgress(6, 9);
    expect(tty.out).toEqual(['\rhashing products: 6/9 files   ']);
    p.phase('next'); // clears the line it left
    expect(tty.out.at(-1)).toBe('\r\u001b[K');
  });
});
