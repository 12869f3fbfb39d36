// --confirm on the terminal: each question printed with its preview, the answer read as a line
// (readline: editing, and Ctrl-C or Ctrl-D at the prompt mean quit). Refused up front where no
// one can answer, so a cron job never waits on a question.

import { createInterface } from 'node:readline';
import { assertConfirmable, type Confirm } from '../engine/confirm.js';
import type { Runbook } from '../model.js';
import { UserError } from '../errors.js';
import { CONFIRM_HELP, CONFIRM_QUESTION, parseAnswer, previewText } from '../ui/confirm.js';

export interface ConfirmFlags {
  confirm?: boolean;
  check?: boolean;
  json?: boolean;
}

/** The prompter for --confirm, or undefined without the flag; a UserError (before any run starts) when it cannot work. */
export function terminalConfirm(flags: ConfirmFlags, runbook: Runbook): Confirm | undefined {
  if (!flags.confirm) return undefined;
  assertConfirmable(runbook);
  const refuse = (why: string, hint: string) => new UserError('usage', `--confirm: ${why}`, { hint });
  if (flags.check) throw refuse('--check changes nothing, so there is nothing to confirm', 'use --check --diff alone to see what would change');
  if (flags.json) throw refuse('--json output is for programs, and --confirm asks a person', 'drop one of the two');
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw refuse('it asks on a terminal, and stdin or stdout is not one', "use --check --diff to see what would change, then --step 'name' to run chosen steps");
  }
  return async (preview) => {
    process.stdout.write(previewText(preview));
    for (;;) {
      const line = await readLine(CONFIRM_QUESTION);
      if (line === undefined) return 'quit';
      const answer = parseAnswer(line);
      if (answer) return answer;
      process.stdout.write(CONFIRM_HELP);
    }
  };
}

/** One line from the terminal; undefined for Ctrl-C or Ctrl-D. */
function readLine(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    let answered = false;
    const done = (line: string | undefined) => {
      if (answered) return;
      answered = true;
      rl.close();
      // Leave stdin as it was: the run's own Ctrl-C handling needs the terminal in cooked mode.
      process.stdin.pause();
      resolve(line);
    };
    rl.on('line', done);
    rl.on('SIGINT', () => {
      process.stdout.write('\n');
      done(undefined);
    });
    rl.on('close', () => done(undefined));
    rl.setPrompt(question);
    rl.prompt();
  });
}
