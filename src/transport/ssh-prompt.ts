// Asking the user for a secret (a key passphrase) on the terminal, without echoing it. Prompts are
// taken one at a time, so hosts connecting in parallel do not interleave them.

import { UserError } from '../errors.js';

/** The passphrase of encrypted keys, for runs without a terminal (ssh-auth.ts). */
export const KEY_PASSPHRASE_ENV = 'RUNBOOK_SSH_KEY_PASSPHRASE';

let queue: Promise<unknown> = Promise.resolve();

/** Whether a prompt can be shown at all (interactive run). */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export function promptSecret(question: string): Promise<string> {
  const asked = queue.then(() => readHidden(question));
  queue = asked.catch(() => undefined);
  return asked;
}

function readHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let answer = '';
    const done = (result: Error | string) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(answer);
        if (ch === '\u0003') return done(new UserError('interrupted', 'interrupted at a passphrase prompt'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
