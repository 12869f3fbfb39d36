// A host's transport through the connection agent (agent.ts): the same Transport as SshTransport,
// each call a request on this host's socket to the agent, which runs it on a connection it keeps
// between runs. A run that uses it loads no ssh2 and pays no handshake after the first run of a
// series. Chosen by connect.ts when RUNBOOK_CONTROL_PERSIST is set.

import type { Socket } from 'node:net';
import { Duplex, Readable } from 'node:stream';
import { abortError, isUnreachable, UnreachableError, UserError } from '../errors.js';
import { AGENT_PROTOCOL, errorFromWire, readFrames, writeFrame, type Frame, type WireError } from './agent-frames.js';
import { dialAgent } from './agent-socket.js';
import type { SshEndpoint } from './ssh-endpoint.js';
import type { SshTransportOptions } from './ssh.js';
import type { BatchOptions, ExecOptions, ExecResult, Transport } from './types.js';

export const PERSIST_ENV = 'RUNBOOK_CONTROL_PERSIST';

/** Seconds the agent keeps connections after a run (RUNBOOK_CONTROL_PERSIST); undefined: no agent. */
export function persistSeconds(): number | undefined {
  const value = process.env[PERSIST_ENV];
  if (value === undefined || value === '' || value === '0') return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) {
    throw new UserError('config', `${PERSIST_ENV}=${JSON.stringify(value)}: expected the seconds to keep connections after a run (1 to 86400), or 0 for none`);
  }
  return seconds;
}

type Reply = (frame: Frame) => void;

export class AgentTransport implements Transport {
  private socket: Socket | undefined;
  private connected = false;
  private opening: Promise<void> | undefined;
  private nextId = 1;
  private readonly replies = new Map<number, Reply>();

  constructor(
    readonly host: string,
    private readonly endpoint: SshEndpoint,
    private readonly settings: SshTransportOptions,
    private readonly idleSeconds: number,
  ) {}

  /** Asks the agent for the host's connection (it reconnects one that was lost); idempotent. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.opening ??= (async () => {
      this.socket ??= this.attach(await dialAgent(this.idleSeconds));
      try {
        await this.request({ t: 'open', protocol: AGENT_PROTOCOL, host: this.host, endpoint: this.endpoint, settings: this.settings });
      } catch (e) {
        // A pool forgets a transport that failed to open: its socket must not outlive it (it
        // would keep the run's process alive, and the agent from idling out).
        await this.close();
        throw e;
      }
      this.connected = true;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  async exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    await this.connect();
    const { stdin, signal } = options;
    if (signal?.aborted) throw abortError(signal.reason);
    const id = this.nextId++;
    const done = this.request({ t: 'exec', id, script, stdin: stdin !== undefined, ...this.common(options) }, id, signal);
    if (stdin !== undefined) this.sendInput(id, stdin);
    return resultOf(await done);
  }

  async execMany(scripts: string[], options: BatchOptions = {}): Promise<Promise<ExecResult>[] | undefined> {
    await this.connect();
    if (options.signal?.aborted) throw abortError(options.signal.reason);
    const id = this.nextId++;
    const settlers = scripts.map(() => settleable<ExecResult>());
    // As over SSH: a result nobody waits for may fail unheard.
    for (const s of settlers) s.promise.catch(() => {});
    let left = scripts.length;
    const sent = settleable<number | null>();
    this.send({ t: 'many', id, scripts, prelude: options.prelude, ...this.common(options) });
    const onAbort = () => this.send({ t: 'abort', id });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      this.replies.delete(id);
      options.signal?.removeEventListener('abort', onAbort);
    };
    this.replies.set(id, ({ header, body }) => {
      const index = header.index as number | undefined;
      if (header.t === 'sent') {
        sent.resolve(header.count as number | null);
        if (header.count === null || header.count === 0) finish();
        return;
      }
      const error = header.t === 'error' ? errorFromWire(header.error as WireError, this.host) : undefined;
      if (index === undefined) {
        finish();
        return sent.reject(error ?? new Error(`unexpected ${header.t}`));
      }
      if (error) settlers[index].reject(error);
      else settlers[index].resolve(resultOf({ header, body }));
      if (--left === 0) finish();
    });
    const count = await sent.promise;
    return count === null ? undefined : settlers.map((s) => s.promise);
  }

  async openTcp(address: string, port: number): Promise<Duplex> {
    await this.connect();
    const id = this.nextId++;
    const send = (header: Frame['header'], body?: Buffer) => this.send(header, body);
    let opened = false;
    const tunnel = new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        send({ t: 'data', id }, chunk);
        callback();
      },
      final(callback) {
        send({ t: 'end', id });
        callback();
      },
      read() {},
      destroy: (error, callback) => {
        if (this.replies.delete(id)) send({ t: 'close', id });
        callback(error);
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.replies.set(id, ({ header, body }) => {
        if (header.t === 'tcp-open') {
          opened = true;
          return resolve();
        }
        if (header.t === 'data') return void tunnel.push(body);
        if (header.t === 'end') return void tunnel.push(null);
        const error = header.t === 'error' ? errorFromWire(header.error as WireError, this.host) : undefined;
        this.replies.delete(id);
        if (!opened) return reject(error ?? new Error('closed before it opened'));
        if (error) tunnel.destroy(error);
        else tunnel.destroy();
      });
      this.send({ t: 'tcp', id, address, port });
    });
    return tunnel;
  }

  /** Detaches this run from the agent; the agent keeps the connection for the next run. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => socket.end(resolve));
  }

  private attach(socket: Socket): Socket {
    readFrames(socket, (frame) => this.replies.get(frame.header.id as number)?.(frame));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.connected = false;
      const lost = new UnreachableError(this.host, `${this.host}: the connection agent went away`, {
        hint: `see the agent's log in ~/.runbook/cp, or unset RUNBOOK_CONTROL_PERSIST`,
      });
      for (const reply of [...this.replies.values()]) reply({ header: { t: 'error', error: { name: lost.name, message: lost.message, kind: 'unreachable', hint: lost.hint } }, body: Buffer.alloc(0) });
      this.replies.clear();
    });
    return socket;
  }

  private common(options: ExecOptions): Record<string, unknown> {
    return { ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.become ? { become: options.become } : {}) };
  }

  /** False when the socket's buffer is full (wait for 'drain'), or it is gone. */
  private send(header: Frame['header'], body?: Buffer): boolean {
    const socket = this.socket;
    return socket !== undefined && !socket.destroyed && writeFrame(socket, header, body);
  }

  /** Sends one request and waits for its one reply; an UnreachableError marks the connection lost. */
  private request(header: Frame['header'], id = this.nextId++, signal?: AbortSignal): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const onAbort = () => this.send({ t: 'abort', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.replies.set(id, (frame) => {
        this.replies.delete(id);
        signal?.removeEventListener('abort', onAbort);
        if (frame.header.t !== 'error') return resolve(frame);
        const error = errorFromWire(frame.header.error as WireError, this.host);
        if (isUnreachable(error)) this.connected = false;
        reject(error);
      });
      if (!this.socket || this.socket.destroyed) return this.replies.get(id)!({ header: { t: 'error', error: { name: 'UnreachableError', message: `${this.host}: not attached to the connection agent`, kind: 'unreachable' } }, body: Buffer.alloc(0) });
      this.send({ ...header, id });
    });
  }

  private sendInput(id: number, stdin: NonNullable<ExecOptions['stdin']>): void {
    if (!(stdin instanceof Readable)) {
      if (stdin.length) this.send({ t: 'stdin', id }, Buffer.from(stdin));
      this.send({ t: 'stdin-end', id });
      return;
    }
    stdin.on('data', (chunk: Buffer | string) => {
      // Read the stream no faster than the agent takes it.
      if (!this.send({ t: 'stdin', id }, Buffer.from(chunk))) {
        stdin.pause();
        this.socket?.once('drain', () => stdin.resume());
      }
    });
    stdin.on('end', () => this.send({ t: 'stdin-end', id }));
    stdin.on('error', () => this.send({ t: 'abort', id }));
  }
}

function resultOf({ header, body }: Frame): ExecResult {
  const outLength = header.outLength as number;
  return { code: header.code as number, stdout: body.subarray(0, outLength), stderr: body.subarray(outLength) };
}

/** A promise with its settle functions outside (Node 20 has no Promise.withResolvers). */
function settleable<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (e: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
