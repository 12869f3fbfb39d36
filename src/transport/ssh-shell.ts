// A long-lived sh on one session channel that runs scripts sent to it one at a time. Opening a
// session channel costs a round trip plus sshd's fork, login shell and setup (9–58 ms,
// bench/exec-vs-shell.ts); a script sent to this shell costs one round trip and one fork.
//
// The channel runs plain `/bin/sh` reading commands from its stdin: as the login user, or through
// sudo as a become user (one sudo per connection instead of one per script: sudo's PAM session
// and logging cost a lab host 4.8 ms of CPU against 1 ms for a fork, bench/RESULTS.md; Mitogen
// keeps a sudo'd interpreter the same way). The controller first sends a prologue that defines a
// function, then one line per script: `__runbook_run '<script>'`, the script quoted by the one
// quoting function. The function runs the script in a subshell (`eval` in `( )`, stdin from
// /dev/null: the shell's stdin is the command stream), and then ends its output with a marker on
// each stream: `\n<key> <exit code>\n` on stdout, `\n<key>\n` on stderr. The key is 128 random bits
// sent on stdin, never exported, and unset in the subshell before the script runs (as is the
// function, and the positional parameters): a script cannot print the marker by accident, and it
// is not visible in argv. Nothing is written to disk on the host. A subshell rather than
// `/bin/sh -c`: no exec of a new shell per script, a third of what a no-op check costs the host
// (bench/RESULTS.md); the script sees what `sh -c` would show it, but for `$$`, which is the
// long-lived shell's pid (in the same process group).
//
// Only stdin-less scripts come here (the SSH transport gives everything else a channel of its
// own). A script started in the shell is in the shell's process group, which the shell reports
// when it greets (sudo's, for a become shell): stopping a script (timeout, abort) kills the
// group, the shell with it, and the next exec starts a new shell. A background process a script
// leaves holding its stdout would write into later scripts' output (on a channel it would hold
// the channel open instead): daemons belong to systemd, not to scripts.

import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { quote } from '../shell/quote.js';
import { sudoScript } from './become.js';
import type { Become, ExecResult } from './types.js';

/** A login shell's rc files may be slow (pyenv, conda); a shell silent for this long is given up. */
const GREETING_TIMEOUT_MS = 15_000;

/** The command the session channel runs: sh as the login user, or through sudo as `become.user`. */
export function shellCommand(become?: Become): string {
  return become ? sudoScript(become, 'exec /bin/sh') : 'exec /bin/sh';
}

/** One script in flight on the shell. */
export interface ShellJob {
  /** The process group that holds the script, for killing it. */
  started(group: number): void;
  ended(result: ExecResult): void;
  /** The shell went away with the job unfinished. */
  lost(): void;
}

export class ShellSession {
  private readonly key = randomBytes(16).toString('hex');
  private readonly stdoutEnd: Buffer;
  private readonly stderrEnd: Buffer;
  private readonly stdout = new MarkedStream();
  private readonly stderr = new MarkedStream();
  /** The current job's output, each taken once its marker arrived. */
  private out: { before: Buffer; rest: string } | undefined;
  private err: { before: Buffer; rest: string } | undefined;
  /** The shell's process group: known once it has greeted. */
  private group: number | undefined;
  /** Scripts sent and not yet ended, oldest first: the shell runs them in the order sent. */
  private readonly jobs: ShellJob[] = [];
  private dead = false;
  private readonly startup: Promise<void>;

  /** `become`: the shell runs through sudo (shellCommand), which reads a password first. */
  constructor(
    private readonly channel: ClientChannel,
    become?: Become,
  ) {
    this.stdoutEnd = Buffer.from(`\n${this.key} `);
    this.stderrEnd = Buffer.from(`\n${this.key}\n`);
    // Anything a login shell prints before the greeting (a .bashrc talking) is skipped.
    const greeting = Buffer.from(`${this.key} R `);
    const stderrGreeting = Buffer.from(`${this.key}\n`);
    this.startup = new Promise((resolve, reject) => {
      channel.on('data', (chunk: Buffer) => {
        this.stdout.push(chunk);
        if (this.group === undefined) {
          const greeted = this.stdout.take(greeting, true);
          if (!greeted) return;
          this.group = Number(greeted.rest);
          resolve();
        }
        this.settleJob();
      });
      let greeted = false;
      channel.stderr.on('data', (chunk: Buffer) => {
        this.stderr.push(chunk);
        if (!greeted) greeted = this.stderr.take(stderrGreeting) !== undefined;
        if (greeted) this.settleJob();
      });
      const gone = () => {
        if (this.dead) return;
        this.dead = true;
        reject(new Error('the shell ended before it greeted'));
        for (const job of this.jobs.splice(0)) job.lost();
      };
      channel.on('error', gone);
      channel.on('close', gone);
    });
    // A host whose sshd forces a command of its own never greets: the transport falls back to channels.
    const silent = setTimeout(() => channel.close(), GREETING_TIMEOUT_MS).unref();
    const stopTimer = () => clearTimeout(silent);
    this.startup.then(stopTimer, stopTimer);
    // The shell's group is its own pid as the session's leader, sudo's through sudo: /proc says which.
    channel.write(
      `${become?.password === undefined ? '' : `${become.password}\n`}__runbook_key=${this.key}
__runbook_run() {
  ( eval "unset __runbook_key; unset -f __runbook_run; set --
$1" ) </dev/null
  printf '\\n%s %s\\n' "$__runbook_key" "$?"
  printf '\\n%s\\n' "$__runbook_key" >&2
}
__runbook_group=$$
read -r __runbook_group __runbook_group __runbook_group __runbook_group __runbook_group __runbook_rest 2>/dev/null </proc/$$/stat
printf '%s R %s\\n' "$__runbook_key" "$__runbook_group"
unset __runbook_group __runbook_rest
printf '%s\\n' "$__runbook_key" >&2
`,
    );
  }

  /** Resolves once the shell has greeted; rejects when it could not start. */
  started(): Promise<void> {
    return this.startup;
  }

  /** Greeted, alive and not running anything. */
  get idle(): boolean {
    return this.group !== undefined && !this.dead && this.jobs.length === 0;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /**
   * Send scripts, in one write: the shell runs them one after another and each job ends in turn,
   * so N scripts cost one round trip. A prelude runs first, in a subshell that holds them all:
   * what it sets is theirs alone (BatchOptions.prelude).
   */
  run(scripts: Array<{ script: string; job: ShellJob }>, prelude?: string): void {
    if (!this.idle) throw new Error('the shell is busy');
    for (const { job } of scripts) {
      this.jobs.push(job);
      job.started(this.group!);
    }
    const runs = scripts.map(({ script }) => `__runbook_run ${quote(script)}\n`).join('');
    this.channel.write(prelude === undefined ? runs : `(\n${prelude}\n${runs})\n`);
  }

  /** Ends the shell: it reads end of input and exits. */
  close(): void {
    if (!this.dead) this.channel.end();
  }

  /** Ends the oldest job once both of its streams carry their end marker (in either order), and so on. */
  private settleJob(): void {
    while (this.jobs.length > 0) {
      this.out ??= this.stdout.take(this.stdoutEnd, true);
      this.err ??= this.stderr.take(this.stderrEnd);
      if (!this.out || !this.err) return;
      const result = { code: Number(this.out.rest), stdout: this.out.before, stderr: this.err.before };
      this.out = this.err = undefined;
      this.jobs.shift()!.ended(result);
    }
  }
}

/**
 * A stream's bytes so far, cut at markers. Each stream looks for one marker at a time; a search
 * covers only what arrived since the last one (plus a marker's length of overlap), and the chunks
 * are joined once, when the marker is found: a large output costs linear time, not quadratic.
 */
class MarkedStream {
  private chunks: Buffer[] = [];
  private size = 0;
  /** No match of the marker being looked for starts before `searched - marker.length + 1`. */
  private searched = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /**
   * When `marker` has arrived (and with `line`, the rest of its line too): the bytes before it and
   * the text after it up to the newline, both removed from the stream.
   */
  take(marker: Buffer, line = false): { before: Buffer; rest: string } | undefined {
    const from = Math.max(0, this.searched - marker.length + 1);
    const window = this.from(from);
    const at = window.indexOf(marker);
    if (at === -1) {
      this.searched = this.size;
      return undefined;
    }
    this.searched = from + at;
    const after = at + marker.length;
    const stop = line ? window.indexOf(0x0a, after) : after;
    if (stop === -1) return undefined;
    const all = Buffer.concat(this.chunks, this.size);
    const start = from + at;
    const end = from + stop + (line ? 1 : 0);
    const result = { before: all.subarray(0, start), rest: window.subarray(after, stop).toString('latin1') };
    // Copied, so an idle shell does not keep a large output's buffer alive.
    const remaining = Buffer.from(all.subarray(end));
    this.chunks = remaining.length ? [remaining] : [];
    this.size = remaining.length;
    this.searched = 0;
    return result;
  }

  /** The bytes from offset `start` to the end, joining only the chunks that hold them. */
  private from(start: number): Buffer {
    let offset = this.size;
    let first = this.chunks.length;
    while (first > 0 && offset > start) offset -= this.chunks[--first].length;
    const joined = first === this.chunks.length - 1 ? this.chunks[first] : Buffer.concat(this.chunks.slice(first));
    return joined.subarray(start - offset);
  }
}
