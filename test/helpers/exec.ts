// Runs a program to its end and keeps what it printed (the lab suites run the CLI, ssh, kcat).

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(cmd: string, args: string[], cwd = ROOT, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 255) : 0, stdout, stderr });
    });
  });
}

export const show = (r: Result) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
