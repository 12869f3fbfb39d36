// Running the controller's own tools (ip, mount, ssh-keygen, debootstrap...) without a shell:
// argv goes straight to execve, so no value is ever interpreted by sh.

import { execFile } from 'node:child_process';
import { UserError } from '../errors.js';

export interface CommandOptions {
  timeoutMs?: number;
  input?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class LabCommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
}

/** Run a command; resolve with its stdout, reject with LabCommandError (stderr in the message). */
export function run(cmd: string, args: string[], options: CommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: options.timeoutMs, cwd: options.cwd, env: options.env, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            new UserError('lab', `the lab needs \`${cmd}\`, which is not installed`, {
              hint: 'install the lab\'s system packages: `bash .ci/system-deps` (Debian/Ubuntu, as root)',
            }),
          );
        }
        reject(new LabCommandError([cmd, ...args], error.code ?? error.signal ?? null, stdout, stderr));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like `run`, but a failure is an expected answer (a missing netns, an unmounted dir). */
export async function tryRun(cmd: string, args: string[], options: CommandOptions = {}): Promise<boolean> {
  try {
    await run(cmd, args, options);
    return true;
  } catch (e) {
    if (e instanceof LabCommandError) return false;
    throw e;
  }
}
