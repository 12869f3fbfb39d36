// `connection: local`: scripts run on the controller itself with /bin/sh -c.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Readable } from 'node:stream';
import type { ExecOptions, ExecResult, Transport } from './types.js';

export class LocalTransport implements Transport {
  constructor(readonly host: string = 'localhost') {}

  async connect(): Promise<void> {}

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', script], {
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
