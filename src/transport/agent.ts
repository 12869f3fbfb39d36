// The connection agent (`runbook agent`, started by agent-transport.ts when
// RUNBOOK_CONTROL_PERSIST is set): one process per user that keeps each host's SSH connection,
// its login shell and its become shells open between runs, as OpenSSH's ControlPersist keeps a
// master connection. A run talks to it over a Unix socket in a 0700 directory of the user's own
// (agent-socket.ts); each socket is one host's transport for one run.
//
// What keeps it safe to hold root shells: only the user (and root) can reach the socket; a
// connection is shared only by requests that ask for exactly the same endpoint, credentials,
// host-key policy and known_hosts files as they are now (a known_hosts file edited since makes
// a new connection); a run that goes away (ended, killed) has everything it started aborted,
// its remote commands killed, as a dropped connection would; a connection no run has used for
// the idle time is closed, and the agent exits once no run has attached for that long.

import { createServer, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { chmod, rename, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { PassThrough, type Duplex } from 'node:stream';
import { AGENT_PROTOCOL, errorToWire, readFrames, writeFrame, type Frame } from './agent-frames.js';
import type { SshEndpoint } from './ssh-endpoint.js';
import { SshTransport, type SshTransportOptions } from './ssh.js';
import type { Become, ExecResult } from './types.js';

export interface AgentOptions {
  socketPath: string;
  /** Exit this long after the last run detached. */
  idleMs: number;
  log: (line: string) => void;
  /** Called once the socket answers. */
  ready: () => void;
}

/** Listens until idle; resolves once every connection is closed and the socket removed. */
export async function runAgent(options: AgentOptions): Promise<void> {
  const connections = new Connections(options.idleMs, options.log);
  const clients = new Set<Socket>();
  let idleTimer: NodeJS.Timeout | undefined;
  const server = createServer((socket) => {
    clients.add(socket);
    clearTimeout(idleTimer);
    socket.on('close', () => {
      clients.delete(socket);
      if (clients.size === 0) armIdle();
    });
    serve(socket, connections);
  });
  // Listen on a name of our own, then rename it over the socket's: a dead agent's socket is
  // replaced in one step, and two agents starting at once never unlink each other's.
  const temporary = `${options.socketPath}.${process.pid}`;
  await rm(temporary, { force: true });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(temporary, () => resolve()));
  await chmod(temporary, 0o600);
  await rename(temporary, options.socketPath);
  const ours = (await stat(options.socketPath)).ino;
  options.log(`listening on ${options.socketPath}, idle ${options.idleMs} ms`);
  options.ready();

  const closed = new Promise<void>((resolve) => server.on('close', resolve));
  function armIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      options.log('idle: closing');
      server.close();
    }, options.idleMs);
  }
  armIdle();
  await closed;
  // Another agent may have taken the name since: its socket is not ours to remove.
  if ((await stat(options.socketPath).catch(() => undefined))?.ino === ours) await rm(options.socketPath, { force: true });
  await connections.closeAll();
}

interface OpenRequest {
  protocol: number;
  host: string;
  endpoint: SshEndpoint;
  settings: SshTransportOptions;
}

/** What makes two requests the same connection: everything they ask for, known_hosts as it is now. */
function identity(request: OpenRequest): string {
  const knownHosts = request.settings.knownHostsFiles.map((file) => {
    const s = statSync(file, { throwIfNoEntry: false });
    return s ? [file, s.ino, s.size, s.mtimeMs] : [file];
  });
  return createHash('sha256').update(JSON.stringify([request.host, request.endpoint, request.settings, knownHosts])).digest('hex');
}

interface Held {
  transport: SshTransport;
  /** Runs attached to it now. */
  users: number;
  /** Closes it once no run has used it for the idle time. */
  timer?: NodeJS.Timeout;
}

/** The agent's connections by identity; one no run uses is closed after the idle time. */
class Connections {
  private readonly byKey = new Map<string, Held>();

  constructor(
    private readonly idleMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** The connection for this request, held until `release` (called at most once). */
  take(request: OpenRequest): { transport: SshTransport; release: () => void } {
    const key = identity(request);
    let held = this.byKey.get(key);
    if (!held) {
      held = { transport: new SshTransport(request.host, request.endpoint, request.settings), users: 0 };
      this.byKey.set(key, held);
      this.log(`new connection ${key.slice(0, 8)} for ${request.host} (${request.endpoint.user}@${request.endpoint.address}:${request.endpoint.port})`);
    }
    const entry = held;
    entry.users++;
    clearTimeout(entry.timer);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      entry.timer = setTimeout(() => {
        this.byKey.delete(key);
        this.log(`closing the idle connection ${key.slice(0, 8)} for ${request.host}`);
        void entry.transport.close();
      }, this.idleMs);
    };
    return { transport: entry.transport, release };
  }

  async closeAll(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    for (const held of all) clearTimeout(held.timer);
    await Promise.all(all.map((held) => held.transport.close()));
  }
}

/** One run's use of one host: requests in, results out, everything aborted when it goes. */
function serve(socket: Socket, connections: Connections): void {
  const gone = new AbortController();
  const running = new Map<number, AbortController>();
  const inputs = new Map<number, PassThrough>();
  const tunnels = new Map<number, Duplex>();
  let transport: SshTransport | undefined;
  let release: (() => void) | undefined;

  socket.on('error', () => {});
  socket.on('close', () => {
    release?.();
    gone.abort();
    for (const tunnel of tunnels.values()) tunnel.destroy();
  });
  const send = (header: Frame['header'], body?: Buffer) => {
    if (!socket.destroyed) writeFrame(socket, header, body);
  };
  const fail = (id: unknown, e: unknown, index?: number) => send({ t: 'error', id, ...(index === undefined ? {} : { index }), error: errorToWire(e) });
  const result = (id: number, r: ExecResult, index?: number) =>
    send({ t: 'result', id, code: r.code, outLength: r.stdout.length, ...(index === undefined ? {} : { index }) }, Buffer.concat([r.stdout, r.stderr]));

  readFrames(socket, ({ header, body }) => {
    const id = header.id as number;
    const signalFor = () => {
      const controller = new AbortController();
      running.set(id, controller);
      return AbortSignal.any([controller.signal, gone.signal]);
    };
    const become = header.become as Become | undefined;
    const timeoutMs = header.timeoutMs as number | undefined;
    switch (header.t) {
      case 'open': {
        const request = header as unknown as OpenRequest;
        if (request.protocol !== AGENT_PROTOCOL) return fail(id, new Error(`the agent speaks protocol ${AGENT_PROTOCOL}, the run ${request.protocol}`));
        // A run opens again after its connection was lost; known_hosts may have changed since.
        const taken = connections.take(request);
        release?.();
        ({ transport, release } = taken);
        transport.connect().then(() => send({ t: 'opened', id }), (e) => fail(id, e));
        return;
      }
      case 'exec': {
        if (!transport) return fail(id, new Error('exec before open'));
        const stdin = header.stdin ? new PassThrough() : undefined;
        if (stdin) inputs.set(id, stdin);
        transport
          .exec(header.script as string, { stdin, timeoutMs, become, signal: signalFor() })
          .then((r) => result(id, r), (e) => fail(id, e))
          .finally(() => {
            running.delete(id);
            inputs.delete(id);
          });
        return;
      }
      case 'stdin': {
        // A big upload waits for the host rather than filling the agent's memory: the run's
        // socket is read again once the script has taken what it was given.
        const input = inputs.get(id);
        if (input && !input.write(body)) {
          socket.pause();
          input.once('drain', () => socket.resume());
        }
        return;
      }
      case 'stdin-end':
        inputs.get(id)?.end();
        return;
      case 'abort':
        running.get(id)?.abort();
        return;
      case 'many': {
        if (!transport) return fail(id, new Error('exec before open'));
        const signal = signalFor();
        transport
          .execMany(header.scripts as string[], { prelude: header.prelude as string | undefined, timeoutMs, become, signal })
          .then(
            (results) => {
              send({ t: 'sent', id, count: results ? results.length : null });
              return Promise.allSettled(
                (results ?? []).map((p, index) => p.then((r) => result(id, r, index), (e) => fail(id, e, index))),
              );
            },
            (e) => fail(id, e),
          )
          .finally(() => running.delete(id));
        return;
      }
      case 'tcp': {
        if (!transport) return fail(id, new Error('tcp before open'));
        transport.openTcp(header.address as string, header.port as number).then(
          (tunnel) => {
            if (gone.signal.aborted) return void tunnel.destroy();
            tunnels.set(id, tunnel);
            tunnel.on('data', (chunk: Buffer) => send({ t: 'data', id }, chunk));
            tunnel.on('end', () => send({ t: 'end', id }));
            tunnel.on('error', (e) => fail(id, e));
            tunnel.on('close', () => {
              tunnels.delete(id);
              send({ t: 'close', id });
            });
            send({ t: 'tcp-open', id });
          },
          (e) => fail(id, e),
        );
        return;
      }
      case 'data':
        tunnels.get(id)?.write(body);
        return;
      case 'end':
        tunnels.get(id)?.end();
        return;
      case 'close':
        tunnels.get(id)?.destroy();
        return;
      default:
        socket.destroy(new Error(`unknown frame ${header.t}`));
    }
  });
}
