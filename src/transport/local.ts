// `connection: local`: scripts run on the controller itself with /bin/sh -c, each through a sudo
// of its own when they run as another user.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { connect } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { abortError, TaskError } from '../errors.js';
import { throughSudo } from './become.js';
import type { ExecOptions, ExecResult, Transport } from './types.js';

/**
 * Commands die with the controller. Without this, a command in flight when the controller is
 * killed (kill -9) runs on as an orphan, and a write it finishes after `runbook resume` has
 * re-applied later steps puts stale content back. util-linux's setpriv sets the parent-death
 * signal: SIGTERM, so scripts can clean up (HostShell.writeFile removes its temp file); where
 * setpriv is missing (not Linux), commands run as plain children.
 */
const SETPRIV = '/usr/bin/setpriv';
const DIE_WITH_CONTROLLER = existsSync(SETPRIV) ? ['--pdeathsig', 'SIGTERM', '--'] : null;

export class LocalTransport implements Transport {
  constructor(readonly host: string = 'localhost') {}

  async connect(): Promise<void> {}

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (options.become) {
      const { become, ...asLogin } = options;
      const sudo = throughSudo(become, script, options.stdin);
      return this.exec(sudo.script, { ...asLogin, stdin: sudo.stdin });
    }
    return new Promise((resolve, reject) => {
      options.signal?.throwIfAborted();
      const [command, args] = DIE_WITH_CONTROLLER
        ? [SETPRIV, [...DIE_WITH_CONTROLLER, '/bin/sh', '-c', script]]
        : ['/bin/sh', ['-c', script]];
      // Its own process group, so a timeout or an abort stops everything the script started, not
      // only the sh (as the SSH transport does); and Ctrl-C on the controller's terminal reaches
      // the controller alone, which lets in-flight steps finish as the engine intends.
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      let stopped: Error | undefined;
      const stop = (error: Error) => {
        stopped ??= error;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const onAbort = () => stop(abortError(options.signal!.reason));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = options.timeoutMs ? setTimeout(() => stop(new TaskError(`command timed out after ${options.timeoutMs} ms`, { host: this.host })), options.timeoutMs) : undefined;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      // A script that exits without reading all of stdin closes the pipe; that is not an error.
      child.stdin.on('error', () => {});
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (stopped) return reject(stopped);
        resolve({
          code: code ?? 128 + (signal ? constants.signals[signal] : 0),
          stdout: Buffer.concat(out),
          stderr: Buffer.concat(err),
        });
      });
      const stdin = options.stdin;
      if (stdin === undefined) child.stdin.end();
      else if (stdin instanceof Readable) stdin.pipe(child.stdin);
      else child.stdin.end(stdin);
    });
  }

  openTcp(address: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address, port }, () => (socket.off('error', reject), resolve(socket)));
      socket.once('error', reject);
    });
  }

  async close(): Promise<void> {}
}
