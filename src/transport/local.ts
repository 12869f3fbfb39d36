// `connection: local`: scripts run on the controller itself with /bin/sh -c.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
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
    return new Promise((resolve, reject) => {
      const [command, args] = DIE_WITH_CONTROLLER
        ? [SETPRIV, [...DIE_WITH_CONTROLLER, '/bin/sh', '-c', script]]
        : ['/bin/sh', ['-c', script]];
      const child = spawn(command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: options.signal,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      // A script that exits without reading all of stdin closes the pipe; that is not an error.
      child.stdin.on('error', () => {});
      child.on('close', (code, signal) => {
        if (signal && options.timeoutMs && !options.signal?.aborted) {
          reject(new Error(`command timed out after ${options.timeoutMs} ms`));
          return;
        }
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

  async close(): Promise<void> {}
}
