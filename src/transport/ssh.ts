// `connection: ssh`: ONE ssh2 connection per host. Scripts without stdin (nearly every check) go
// to a long-lived shell on one session channel (ssh-shell.ts), which saves opening a channel per
// exec; scripts with stdin, and any that arrive while the shell is busy, get a session channel of
// their own. The number of channels open at once, the shell's included, is capped below the
// server's MaxSessions (OpenSSH's default is 10) so parallel work queues instead of failing. If
// the connection drops, every exec in flight or queued on it fails at once with UnreachableError;
// connect() then opens a new one.
//
// OpenSSH ignores the SSH "signal" request and leaves a command running when its channel closes,
// so a timed-out or aborted command is killed by process group from a second channel. sshd makes
// each session's command a session (and group) leader; the wrapper below reports its pid on a
// marked line of stderr, and execs the script so the pid stays the group's. A script on a shell
// is in the shell's group, which is killed with it (ssh-shell.ts). A command run through sudo is
// killed through sudo, as the user it runs as: the login user may not signal what runs as root.
//
// Over 300 lines for a reason: Connection is one state machine (loss, the channel cap, the shell,
// each exec's timeout and kill) whose parts share its private state. What does not share it is
// apart: a command on a channel of its own (ssh-channel.ts), the cap (semaphore.ts).

import { setMaxListeners } from 'node:events';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel } from 'ssh2';
import { abortError, TaskError, UnreachableError } from '../errors.js';
import { quote, sh } from '../shell/quote.js';
import { describe, openClient, type SshSettings } from './ssh-connect.js';
import type { SshEndpoint } from './ssh-endpoint.js';
import { runOnChannel, type Job } from './ssh-channel.js';
import type { ShellSession } from './ssh-shell.js';
import { Shells } from './ssh-shells.js';
import { Semaphore } from './semaphore.js';
import { throughSudo } from './become.js';
import { ForwardingRefused, withoutInput, type BatchOptions, type Become, type ExecOptions, type ExecResult, type Transport } from './types.js';

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

  async execMany(scripts: string[], options: BatchOptions = {}): Promise<Promise<ExecResult>[] | undefined> {
    if (!this.current) await this.connect();
    return this.current!.execMany(scripts, options);
  }

  async openTcp(address: string, port: number): Promise<Duplex> {
    if (!this.current) await this.connect();
    return this.current!.openTcp(address, port);
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
  /** Channels for execs (and become shells); the login shell holds a slot of its own outside these. */
  private readonly slots: Semaphore;
  private readonly closed: Promise<void>;
  private readonly shells: Shells;

  constructor(
    private readonly client: Client,
    private readonly host: string,
    private readonly endpoint: SshEndpoint,
    maxSessions: number,
  ) {
    const loginShell = maxSessions >= 2;
    const channels = loginShell ? maxSessions - 1 : maxSessions;
    this.slots = new Semaphore(channels);
    this.shells = new Shells((command, attach) => this.openSession(command, attach), this.slots, channels - 1, loginShell);
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

  openTcp(address: string, port: number): Promise<Duplex> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise((resolve, reject) =>
      this.client.forwardOut('127.0.0.1', 0, address, port, (err, channel) => {
        if (!err) return resolve(channel);
        // RFC 4254 5.1: reason 1 is SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (OpenSSH's AllowTcpForwarding no).
        if ((err as Error & { reason?: number }).reason === 1) {
          return reject(new ForwardingRefused(`${this.host}'s sshd refuses to forward connections (AllowTcpForwarding)`, { host: this.host }));
        }
        reject(new TaskError(`${this.host} could not open a connection to ${address}:${port}: ${err.message}`, { host: this.host }));
      }),
    );
  }

  async close(): Promise<void> {
    this.shells.close();
    this.drop(new Error('closed by runbook'));
    this.client.end();
    await this.closed;
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.lost) throw this.lost;
    options.signal?.throwIfAborted();
    if (withoutInput(options)) {
      const shell = await this.idleShell(options.become);
      // Checked again in the same tick as the claim: others waiting for the shell to start resume too.
      if (shell?.idle) return this.track(options, (job) => shell.run([{ script: command, job }]));
    }
    const { script, stdin } = options.become ? throughSudo(options.become, command, options.stdin) : { script: command, stdin: options.stdin };
    const release = await this.slots.acquire();
    try {
      return await this.track(options, (job) => runOnChannel((c, attach) => this.openSession(c, attach), script, stdin, job));
    } finally {
      release();
    }
  }

  /**
   * Stdin-less scripts one after another on the shell (the become user's, with `become`), sent in
   * one write: one round trip for all. undefined when the shell cannot take them now (busy, or the
   * host cannot run it).
   */
  async execMany(scripts: string[], options: BatchOptions): Promise<Promise<ExecResult>[] | undefined> {
    if (this.lost) throw this.lost;
    const shell = await this.idleShell(options.become);
    if (!shell?.idle) return undefined;
    // One listener on the caller's signal for the whole batch; the jobs listen to a signal of its own.
    const batchAbort = new AbortController();
    setMaxListeners(scripts.length + 1, batchAbort.signal);
    const onAbort = () => batchAbort.abort(options.signal!.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const batch: Array<{ script: string; job: Job }> = [];
    const results = scripts.map((script) => this.track({ ...options, signal: batchAbort.signal }, (job) => void batch.push({ script, job })));
    shell.run(batch, options.prelude);
    void Promise.allSettled(results).then(() => options.signal?.removeEventListener('abort', onAbort));
    // A result nobody takes (its step was skipped, the play changed something) may fail unobserved.
    for (const result of results) result.catch(() => {});
    return results;
  }

  /** The shell that runs scripts as `become`, started on first use; undefined when the host cannot run it. */
  private idleShell(become: Become | undefined): Promise<ShellSession | undefined> {
    return this.lost ? Promise.resolve(undefined) : this.shells.idle(become);
  }

  /**
   * Runs one command through `start` with the timeout and abort handling both paths share: a
   * stopped command is killed by process group once its pid is known, and settles at once.
   */
  private track(options: ExecOptions, start: (job: Job) => (() => void) | void): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let pid: number | undefined;
      let ended = false;
      let killWanted = false;
      let cancel: (() => void) | void;

      const settle = (error: Error | undefined, result?: ExecResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.inFlight.delete(settle);
        if (error) reject(error);
        else resolve(result!);
      };
      const kill = () => {
        if (pid !== undefined && !ended) this.killGroup(pid, options.become);
      };
      const stop = (error: Error) => {
        killWanted = true;
        kill();
        cancel?.();
        settle(error);
      };
      const onAbort = () => stop(abortError(options.signal!.reason));

      if (this.lost) return settle(this.lost);
      // Aborted while waiting for a slot or for the shell to start: the listener below would never fire.
      if (options.signal?.aborted) return settle(abortError(options.signal.reason));
      this.inFlight.add(settle);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs) {
        timer = setTimeout(() => stop(new TaskError(`command timed out after ${options.timeoutMs} ms`, { host: this.host })), options.timeoutMs);
      }
      try {
        cancel = start({
          get stopped() {
            return settled;
          },
          started: (p) => {
            pid = p;
            // Stopped before the command started: it is killed as soon as its pid is known.
            if (killWanted) kill();
          },
          ended: (result) => {
            ended = true;
            settle(undefined, result);
          },
          lost: () => settle(this.lost ?? new UnreachableError(this.host, `${describe(this.endpoint)} ended the session without an exit status`)),
          failed: (e) => settle(this.lost ?? e),
          stop,
        });
      } catch (e) {
        settle(e as Error);
      }
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
   * TERM the command's process group, then KILL it, as the user the command runs as (through
   * sudo: what runs as root the login user may not signal, and a TERM that sudo passes on reaches
   * its child alone, not what that started). Best effort and not waited for: it runs in the
   * background on the host, on a channel outside the cap (which is kept below MaxSessions for room).
   */
  private killGroup(group: number, become: Become | undefined): void {
    if (this.lost) return;
    const target = `-${group}`;
    const kill = sh`kill -TERM ${target} 2>/dev/null; (sleep 2; kill -KILL ${target}) >/dev/null 2>&1 </dev/null &`.text;
    const { script, stdin } = become ? throughSudo(become, kill, undefined) : { script: kill, stdin: undefined };
    this.client.exec(`/bin/sh -c ${quote(script)}`, (err, ch) => {
      if (err) return;
      ch.on('error', () => {}).resume();
      ch.stderr.resume();
      ch.end(stdin as Buffer | undefined);
    });
  }
}
