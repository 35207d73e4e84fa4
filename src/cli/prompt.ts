/** Password prompts on the terminal, without echo. */
import { UsageErrorLike } from './usage.js';

export async function promptPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageErrorLike(
      'a password is needed but standard input is not a terminal; pass it with -P/--password PASSWORD'
    );
  }
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let answer = '';
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(answer);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UsageErrorLike('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
