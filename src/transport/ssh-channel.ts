// A command on a session channel of its own (the path for scripts with stdin, and for any that
// arrive while the connection's shell is busy): the wrapper that marks where the script's output
// starts and reports its pid (see the top of ssh.ts), the output after that mark, stdin streamed
// with backpressure, and the exit status, from a signal's number when the command was killed.

import { constants } from 'node:os';
import { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { quote } from '../shell/quote.js';
import type { ShellJob } from './ssh-shell.js';
import type { ExecOptions } from './types.js';

/** Opens a session channel running `command`; `attach` runs in ssh2's callback, before any event. */
export type OpenSession = (command: string, attach: (channel: ClientChannel) => void) => Promise<void>;

/** What a command reports to `track` as it runs, on a channel or on the shell. */
export interface Job extends ShellJob {
  /** The exec has settled (stopped, timed out, aborted): a channel opening now is closed at once. */
  readonly stopped: boolean;
  failed(error: Error): void;
  /** Stop the command and fail the exec with `error`. */
  stop(error: Error): void;
}

/**
 * Runs `script` on a session channel of its own, opened by `open` (the connection's, which retries
 * a refused channel); returns what closes the channel when the command is stopped.
 */
export function runOnChannel(open: OpenSession, script: string, stdin: ExecOptions['stdin'], job: Job): () => void {
  const stdout = new AfterStart();
  const stderr = new AfterStart();
  let exitCode: number | undefined;
  let channel: ClientChannel | undefined;
  open(wrap(script), (ch) => {
    channel = ch;
    ch.stderr.on('data', (b: Buffer) => {
      const known = stderr.tag !== undefined;
      stderr.push(b);
      if (!known && stderr.tag !== undefined) job.started(Number(stderr.tag));
    });
    if (job.stopped) return void ch.close();
    ch.on('data', (b: Buffer) => stdout.push(b));
    ch.on('exit', (code: number | null, signalName?: string) => {
      exitCode = code ?? 128 + signalNumber(signalName);
    });
    ch.on('error', (e: Error) => job.failed(e));
    ch.on('close', () => {
      // A channel closed without an exit status on a live connection: sshd lost the command.
      if (exitCode === undefined) job.lost();
      else job.ended({ code: exitCode, stdout: stdout.body(), stderr: stderr.body() });
    });
    feed(ch, stdin, job.stop);
  }).catch((e: Error) => job.failed(e));
  return () => channel?.close();
}

/** Starts the script's own output on each stream, after anything the login shell's rc files print. */
const START = '__runbook_start__';

/**
 * The command sshd runs: mark the start of the script's output on stdout and on stderr, the pid
 * with it (see the top of this file), then become the script.
 */
function wrap(script: string): string {
  return `exec /bin/sh -c ${quote(`echo ${START}; echo "${START} $$" >&2; exec /bin/sh -c "$1"`)} sh ${quote(script)}`;
}

/**
 * A channel stream with what comes before the start marker line dropped: a login shell's rc files
 * may print there (root's ~/.bashrc on a developer machine warns about pyenv, under load).
 */
class AfterStart {
  /** The text after the marker on its line (the pid, on stderr), once the marker arrived. */
  tag: string | undefined;
  private head: Buffer = Buffer.alloc(0);
  private readonly chunks: Buffer[] = [];

  push(chunk: Buffer): void {
    if (this.tag !== undefined) return void this.chunks.push(chunk);
    this.head = Buffer.concat([this.head, chunk]);
    const at = this.head.indexOf(START);
    if (at === -1 || (at > 0 && this.head[at - 1] !== 0x0a)) return;
    const nl = this.head.indexOf(0x0a, at);
    if (nl === -1) return;
    this.tag = this.head.subarray(at + START.length, nl).toString('latin1').trim();
    if (nl + 1 < this.head.length) this.chunks.push(this.head.subarray(nl + 1));
    this.head = Buffer.alloc(0);
  }

  body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Stream stdin into the channel with backpressure (pipe), then send EOF. */
function feed(channel: ClientChannel, stdin: ExecOptions['stdin'], stop: (e: Error) => void): void {
  if (stdin === undefined) return void channel.end();
  if (!(stdin instanceof Readable)) return void channel.end(stdin);
  stdin.once('error', (e) => stop(e));
  // A command that exits before reading all of its input closes the channel: stop reading then.
  channel.once('close', () => stdin.unpipe(channel));
  stdin.pipe(channel);
}

function signalNumber(name: string | undefined): number {
  if (!name) return 0;
  const full = (name.startsWith('SIG') ? name : `SIG${name}`) as keyof typeof constants.signals;
  return constants.signals[full] ?? 0;
}
