// Runs the built CLI (dist/cli/main.js, as users do) in a project directory.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const main = `${root}dist/cli/main.js`;

/** The CLI runs from dist: build it when it is not there (npm test builds first). */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(main)) return;
  const r = await exec('npm', ['run', '--silent', 'build'], root);
  if (!existsSync(main)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function runbook(args: string[], cwd: string): Promise<Ran> {
  // Without the development condition: `runbook` resolves to dist, as in production.
  return exec(process.execPath, [main, ...args], cwd);
}

/** A command with the CLI's environment (no colour, no NODE_OPTIONS). */
export function exec(cmd: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    delete env['NODE_OPTIONS'];
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
