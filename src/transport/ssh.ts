// `connection: ssh`: ONE ssh2 connection per host, every exec a session channel on it. The number
// of channels open at once is capped below the server's MaxSessions (OpenSSH's default is 10) so
// parallel work queues instead of failing. If the connection drops, every exec in flight or
// queued on it fails at once with UnreachableError; connect() then opens a new one.
//
// OpenSSH ignores the SSH "signal" request and leaves a command running when its channel closes,
// so a timed-out or aborted command is killed by process group from a second channel. sshd makes
// each session's command a session (and group) leader; the wrapper below reports its pid as the
// first line of stderr, and execs the script so the pid stays the group's.

import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel } from 'ssh2';
import { TaskError, UnreachableError } from '../errors.js';
import { quote, sh } from '../shell/quote.js';
import { describe, openClient, type SshSettings } from './ssh-connect.js';
import type { SshEndpoint } from './ssh-endpoint.js';
import type { ExecOptions, ExecResult, Transport } from './types.js';

const SESSION_RETRY_DELAYS_MS = [10, 25, 50, 100, 200, 400];

export interface SshTransportOptions extends SshSettings {
  /** Channels open at once on the connection; keep below the server's MaxSessions. */
  maxSessions: number;
}

export class SshTransport implements Transport {
  private current: Connection | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    readonly host: string,
    readonly endpoint: SshEndpoint,
    private readonly options: SshTransportOptions,
  ) {}

  /** Opens the connection, or a new one when the previous one was lost; concurrent calls share it. */
  connect(): Promise<void> {
    if (this.current && !this.current.ended) return Promise.resolve();
    this.opening ??= openClient(this.endpoint, this.options)
      .then((client) => {
        this.current = new Connection(client, this.host, this.endpoint, this.options.maxSessions);
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  /** Fails with the UnreachableError of a lost connection until connect() is called again. */
  async exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.current) await this.connect();
    return this.current!.exec(script, options);
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    const connection = this.current;
    this.current = undefined;
    await connection?.close();
  }
}

class Connection {
  /** Set once the connection is gone; execs after that fail with it. */
  private lost: Error | undefined;
  private readonly inFlight = new Set<(e: Error) => void>();
  private readonly slots: Semaphore;
  private readonly closed: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly host: string,
    private readonly endpoint: SshEndpoint,
    maxSessions: number,
  ) {
    this.slots = new Semaphore(maxSessions);
    // ssh2 emits 'end'/'close' on the client before it fails the channels, so every exec learns
    // the real reason (connection lost) rather than a bare closed channel.
    const onGone = (cause?: Error) => this.drop(cause);
    client.on('error', onGone).on('end', () => onGone());
    this.closed = new Promise((resolve) =>
      client.on('close', () => {
        onGone();
        resolve();
      }),
    );
  }

  get ended(): boolean {
    return this.lost !== undefined;
  }

  private drop(cause?: Error): void {
    if (this.lost) return;
    this.lost = new UnreachableError(
      this.host,
      `the connection to ${describe(this.endpoint)} was lost${cause ? ` (${cause.message})` : ''}`,
      { hint: 'check that the host is up; the next run (or `runbook resume`) reconnects', cause },
    );
    for (const fail of this.inFlight) fail(this.lost);
    this.slots.fail(this.lost);
  }

  async close(): Promise<void> {
    this.drop(new Error('closed by runbook'));
    this.client.end();
    await this.closed;
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.lost) throw this.lost;
    options.signal?.throwIfAborted();
    const release = await this.slots.acquire();
    try {
      return await this.run(command, options);
    } finally {
      release();
    }
  }

  private run(script: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const stdout: Buffer[] = [];
      const stderr = new PidHeader();
      let exitCode: number | undefined;

      const settle = (error: Error | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.inFlight.delete(settle);
        if (error) reject(error);
        else resolve({ code: exitCode!, stdout: Buffer.concat(stdout), stderr: stderr.body() });
      };
      let killWanted = false;
      const kill = () => {
        if (stderr.pid !== undefined && exitCode === undefined) this.killGroup(stderr.pid);
      };
      const stop = (error: Error) => {
        killWanted = true;
        kill();
        channel?.close();
        settle(error);
      };
      const onAbort = () => stop(abortError(options.signal!.reason));

      if (this.lost) return settle(this.lost);
      this.inFlight.add(settle);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs) {
        timer = setTimeout(() => stop(new TaskError(`command timed out after ${options.timeoutMs} ms`, { host: this.host })), options.timeoutMs);
      }

      this.openSession(wrap(script), (ch) => {
        channel = ch;
        ch.stderr.on('data', (b: Buffer) => {
          const known = stderr.pid !== undefined;
          stderr.push(b);
          if (!known && killWanted) kill();
        });
        // Stopped before the channel opened: the command may start anyway, so it is killed as soon as its pid is known.
        if (settled) return void ch.close();
        ch.on('data', (b: Buffer) => stdout.push(b));
        ch.on('exit', (code: number | null, signalName?: string) => {
          exitCode = code ?? 128 + signalNumber(signalName);
        });
        ch.on('error', (e: Error) => settle(this.lost ?? e));
        ch.on('close', () => {
          // A channel closed without an exit status on a live connection: sshd lost the command.
          if (exitCode === undefined) settle(this.lost ?? new UnreachableError(this.host, `${describe(this.endpoint)} closed the session without an exit status`));
          else settle(undefined);
        });
        feed(ch, options.stdin, stop);
      }).catch(settle);
    });
  }

  /**
   * Open a session channel running `command`. sshd frees a closed session only after it has read
   * the packets queued behind the close, so a channel opened right after another closed can be
   * refused although fewer than MaxSessions are open: such refusals are retried briefly.
   * `attach` runs synchronously in ssh2's callback: ssh2 may emit the channel's exit event in the
   * same tick, before a promise continuation would have added the listener.
   */
  private async openSession(command: string, attach: (channel: ClientChannel) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.lost) throw this.lost;
      try {
        return await new Promise<void>((resolve, reject) =>
          this.client.exec(command, (err, ch) => {
            if (err) return reject(err);
            attach(ch);
            resolve();
          }),
        );
      } catch (e) {
        if (this.lost) throw this.lost;
        const err = e as Error;
        if (attempt >= SESSION_RETRY_DELAYS_MS.length) {
          throw new UnreachableError(this.host, `${describe(this.endpoint)} refused a session channel: ${err.message}`, {
            hint: "lower the channel cap (maxSessions) below the server's MaxSessions",
            cause: err,
          });
        }
        await sleep(SESSION_RETRY_DELAYS_MS[attempt]);
      }
    }
  }

  /**
   * TERM the command's process group (sudo passes TERM on to a command it runs as another user),
   * then KILL it. Best effort and not waited for: it runs in the background on the host, on a
   * channel outside the cap (which is kept below MaxSessions for room).
   */
  private killGroup(pid: number): void {
    if (this.lost) return;
    const group = `-${pid}`;
    const script = sh`kill -TERM ${group} 2>/dev/null; (sleep 2; kill -KILL ${group}) >/dev/null 2>&1 </dev/null &`.text;
    this.client.exec(`/bin/sh -c ${quote(script)}`, (err, ch) => {
      if (err) return;
      ch.on('error', () => {}).resume();
      ch.stderr.resume();
      ch.end();
    });
  }
}

/** The command sshd runs: report the pid (see the top of this file), then become the script. */
function wrap(script: string): string {
  return `exec /bin/sh -c ${quote('echo $$ >&2; exec /bin/sh -c "$1"')} sh ${quote(script)}`;
}

/** stderr with the wrapper's pid line taken off the front. */
class PidHeader {
  pid: number | undefined;
  private head: Buffer[] | undefined = [];
  private readonly chunks: Buffer[] = [];

  push(chunk: Buffer): void {
    if (!this.head) return void this.chunks.push(chunk);
    this.head.push(chunk);
    const joined = Buffer.concat(this.head);
    const nl = joined.indexOf(0x0a);
    if (nl === -1) return;
    this.pid = Number(joined.subarray(0, nl).toString('latin1'));
    this.head = undefined;
    if (nl + 1 < joined.length) this.chunks.push(joined.subarray(nl + 1));
  }

  body(): Buffer {
    return Buffer.concat(this.head ? [] : this.chunks);
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

function abortError(reason: unknown): Error {
  return Object.assign(new Error('the command was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** At most `size` holders at once; waiters are served in order, and all fail if the connection does. */
class Semaphore {
  private held = 0;
  private readonly waiting: Array<{ grant: () => void; fail: (e: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(private readonly size: number) {}

  acquire(): Promise<() => void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.held--;
          this.waiting.shift()?.grant();
        });
      };
      if (this.held < this.size) grant();
      else this.waiting.push({ grant, fail: reject });
    });
  }

  fail(error: Error): void {
    this.failure = error;
    for (const w of this.waiting.splice(0)) w.fail(error);
  }
}
