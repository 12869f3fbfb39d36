// A program run in a real pseudo-terminal (util-linux `script`), driven as a person would: wait
// until the screen shows something, then type. Its stdin and stdout are a terminal (isTTY), so
// prompts, raw mode and Ctrl-C behave as they do for an operator.

import { spawn } from 'node:child_process';
import { argv } from '../../src/shell/quote.js';
import { waitFor } from './wait.js';

export interface Pty {
  /** Everything shown so far, colours and cursor moves taken out, \r\n as \n. */
  screen(): string;
  type(text: string): void;
  /** Waits until `pattern` has been shown `count` times; throws with the screen when it is not. */
  waitFor(pattern: RegExp, count?: number, deadlineMs?: number): Promise<void>;
  /** The program's exit code. */
  exited: Promise<number>;
  /** Ends the program (and the pty) if it still runs: a failed test must not leave it waiting at a prompt. */
  kill(): void;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]/g;

export function inPty(command: string[], cwd: string, env: Record<string, string> = {}): Pty {
  // A pty made by `script` without a terminal behind it has no size: give it one, so renderers
  // do not wrap at column 0.
  const shell = `stty cols 160 rows 50; exec ${argv(command)}`;
  const child = spawn('script', ['-qefc', shell, '/dev/null'], {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout.on('data', (b) => (raw += b));
  child.stderr.on('data', (b) => (raw += b));
  const screen = () => raw.replace(ANSI, '').replace(/\r+\n/g, '\n');
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    screen,
    type: (text) => void child.stdin.write(text),
    async waitFor(pattern, count = 1, deadlineMs = 60_000) {
      const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
      const shown = await waitFor(() => (screen().match(global) ?? []).length >= count, deadlineMs);
      if (!shown) throw new Error(`the terminal did not show ${pattern} ${count} time(s); it shows:\n${screen()}`);
    },
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
